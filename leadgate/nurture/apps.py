from django.apps import AppConfig


class NurtureConfig(AppConfig):
    name = "leadgate.nurture"
    label = "nurture"

    def ready(self) -> None:
        # Registers the consumer `nurture`, and the lead list's "Move to nurture".
        from . import bulk, reactions  # noqa: F401
