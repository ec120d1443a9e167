from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "leadgate.mail"
    label = "mail"

    def ready(self) -> None:
        # The reply mailbox's periodic poll registers on import; the scheduler
        # imports `leadgate.mail.tasks` only.
        from . import inbound_tasks  # noqa: F401
