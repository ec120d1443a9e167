from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "leadgate.workspace"
    label = "workspace"

    def ready(self) -> None:
        from . import frameworks  # noqa: F401 - registers the call-script test
