"""`leadgate worker`: run background tasks from the database queue (see
leadgate/leads/worker.py for how it survives a busy or restarting database)."""

from typing import Any

from django_tasks_db.management.commands import db_worker

from leadgate.leads.worker import ResilientWorker
from leadgate.sqlite import base as sqlite_backend


class Command(db_worker.Command):
    help = "Run background tasks from the database queue (runs until stopped)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--background", action="store_true",
            help="on SQLite, let the web app's waiting writes go first (leadgate/sqlite)")

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool,
               backend_name: str, startup_delay: bool, reload: bool, max_tasks: int | None,
               worker_id: str, exclude_queues: str, **options: Any) -> None:
        sqlite_backend.background = bool(options.get("background"))
        # Logging as settings.LOGGING says (one line per problem), not django-tasks'
        # own handlers on stdout.
        queues = queue_name.split(",")
        worker = ResilientWorker(
            queue_names=queues, interval=interval, batch=batch, backend_name=backend_name,
            startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
        )
        worker.configure_signals()
        worker.run()
