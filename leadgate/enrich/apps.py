from django.apps import AppConfig


class EnrichConfig(AppConfig):
    name = "leadgate.enrich"
    label = "enrich"

    def ready(self) -> None:
        # Registers the built-in providers.
        from . import providers  # noqa: F401
