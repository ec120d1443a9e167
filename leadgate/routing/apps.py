from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "leadgate.routing"
    label = "routing"
