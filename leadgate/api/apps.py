from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadgate.api"
    label = "api"
