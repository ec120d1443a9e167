from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "leadgate.routing"
    label = "routing"

    def ready(self) -> None:
        from . import sla  # noqa: F401 - registers the consumer `sla-clocks`
