from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "leadgate.workspace"
    label = "workspace"
