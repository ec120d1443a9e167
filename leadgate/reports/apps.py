from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "leadgate.reports"
    label = "reports"
