from django.apps import AppConfig


class EnrichConfig(AppConfig):
    name = "leadgate.enrich"
    label = "enrich"

    def ready(self) -> None:
        from . import providers  # noqa: F401 - registers the built-in providers (they import models)
