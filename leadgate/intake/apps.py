from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "leadgate.intake"
    label = "intake"
