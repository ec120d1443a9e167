from django.apps import AppConfig


class NurtureConfig(AppConfig):
    name = "leadgate.nurture"
    label = "nurture"

    def ready(self) -> None:
        from . import reactions  # noqa: F401 - registers the consumer `nurture`
