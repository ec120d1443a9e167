"""The outbox in tests: run the send tasks it queued, as an urgent worker
would; mail servers that are down (`down`, `server.down()`) or refuse
recipients (`refusing`): fixtures for every module (tests/conftest.py)."""

import socket

import pytest
from aiosmtpd.controller import Controller
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leadgate.mail.tasks import send_email, send_emails


def run_email_tasks() -> list[str]:
    """Run every queued `send_email` and `send_emails` task once, oldest
    first; their results, an email's status each."""
    tasks = {task.module_path: task for task in (send_email, send_emails)}
    queued = list(DBTaskResult.objects.filter(task_path__in=tasks,
                                              status=TaskResultStatus.READY)
                  .order_by("enqueued_at", "id"))
    results = []
    for row in queued:
        result = tasks[row.task_path].call(*row.args_kwargs["args"])
        results += result if isinstance(result, list) else [result]
    DBTaskResult.objects.filter(pk__in=[row.pk for row in queued]).update(
        status=TaskResultStatus.SUCCESSFUL)
    return results


def closed_port() -> int:
    """A local port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def down(settings):
    """The SMTP backend pointed at a port nothing listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
    return settings


class Switch:
    """The `smtp` server, and a way to make it unreachable (the backend pointed
    at a closed port) and reachable again."""

    def __init__(self, settings, inbox):
        self.settings, self.inbox, self.port = settings, inbox, settings.EMAIL_PORT

    def down(self):
        self.settings.EMAIL_PORT = closed_port()

    def up(self):
        self.settings.EMAIL_PORT = self.port


@pytest.fixture
def server(smtp, settings):
    settings.EMAIL_TIMEOUT = 2
    return Switch(settings, smtp)


class Refusing:
    """An SMTP server's handler that answers every RCPT TO with `answer`."""

    def __init__(self, answer: str):
        self.answer = answer
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return self.answer

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def refusing(down):
    """Start a server on the `down` port that refuses recipients with the given answer."""
    started = []

    def start(answer: str) -> Refusing:
        handler = Refusing(answer)
        controller = Controller(handler, hostname="127.0.0.1", port=down.EMAIL_PORT)
        controller.start()
        started.append(controller)
        return handler

    yield start
    for controller in started:
        controller.stop()
