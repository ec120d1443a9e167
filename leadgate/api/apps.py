from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadgate.api"
    label = "api"

    def ready(self) -> None:
        from . import webhook_events  # noqa: F401 - registers the consumer `webhooks`
