from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "leadgate.reports"
    label = "reports"

    def ready(self) -> None:
        from . import facts  # noqa: F401 - registers the consumer `reports`
