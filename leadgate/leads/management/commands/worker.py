"""`leadgate worker`: run background tasks from their queue: the database's
(leadgate/leads/worker.py: how it survives a busy or restarting database),
or Redis's with LEADGATE_TASK_BACKEND=rq (leadgate/leads/rq_worker.py).

    leadgate worker                      every queue, urgent work first
    leadgate worker --queues urgent      deadlines only (SLA, email, webhooks)
"""

from typing import Any

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from leadgate.leads import rq_worker
from leadgate.leads.queue import DEFAULT_QUEUE, IMPORTS_QUEUE, URGENT_QUEUE
from leadgate.leads.worker import ResilientWorker
from leadgate.sqlite import base as sqlite_backend

ALL_QUEUES = f"{URGENT_QUEUE},{DEFAULT_QUEUE},{IMPORTS_QUEUE}"


class Command(db_worker.Command):
    help = "Run background tasks from their queue (runs until stopped)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--queues", dest="queue_name",
            help=f"comma-separated (default: {ALL_QUEUES}); "
                 "the same as --queue-name")
        parser.set_defaults(queue_name=ALL_QUEUES)
        if settings.TASK_BACKEND == "rq":
            # django-tasks-db checks that --backend names a database backend,
            # its default too: on Redis there is no such backend to name.
            for action in parser._actions:
                if action.dest == "backend_name":
                    action.type = str
        parser.add_argument(
            "--background", action="store_true",
            help="on SQLite, let the web app's waiting writes go first (leadgate/sqlite)")

    def handle(self, *, verbosity: int, queue_name: str, interval: float, batch: bool,
               backend_name: str, startup_delay: bool, reload: bool, max_tasks: int | None,
               worker_id: str, exclude_queues: str, **options: Any) -> None:
        if settings.TASK_BACKEND == "rq":
            rq_worker.run(queue_name.split(","), name=worker_id, burst=batch,
                          max_jobs=max_tasks)
            return
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
