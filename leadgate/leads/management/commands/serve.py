"""`leadgate serve`: the web app (gunicorn), the background worker and the
periodic-job scheduler together, for a single machine. Larger set-ups run
`gunicorn leadgate.wsgi`, `leadgate db_worker` (or RQ workers) and
`leadgate scheduler` as separate services instead."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = "Run the web app and the background worker on this machine."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
        parser.add_argument("--port", type=int, default=8000, help="default: %(default)s")
        # SQLite takes one writer at a time: one process whose threads queue for
        # it beats several processes that sleep in SQLite's busy handler (p99 of
        # API intake at 50 clients: 0.3 s against 2.6 s, docs/benchmarks.md).
        sqlite = connection.vendor == "sqlite"
        parser.add_argument(
            "--workers", type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "1" if sqlite else "2")),
            help="gunicorn worker processes (default: WEB_CONCURRENCY, else 1 on SQLite, 2)",
        )
        # Each open desk holds a thread for its live queue stream (it reads only,
        # so more threads add no write contention): room for a team of qualifiers.
        parser.add_argument(
            "--threads", type=int, default=32 if sqlite else 16,
            help="threads per web worker (default: 32 on SQLite, else 16)",
        )
        parser.add_argument(
            "--no-worker", action="store_true",
            help="serve the web app only (no task worker, no scheduler)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        web = [
            sys.executable, "-m", "gunicorn", "leadgate.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            "--worker-class", "gthread",
            "--access-logfile", "-",
            "--graceful-timeout", "10",
            # No control socket: it lives in $HOME and would clash between instances.
            "--no-control-socket",
        ]
        processes = [subprocess.Popen(web)]  # noqa: S603 - our own interpreter and args
        if not options["no_worker"]:
            leadgate = [sys.executable, "-m", "leadgate"]
            processes.append(
                subprocess.Popen([*leadgate, "db_worker", "--queue-name", "*", "--interval", "0.2"])  # noqa: S603
            )
            processes.append(subprocess.Popen([*leadgate, "scheduler"]))  # noqa: S603

        def stop(signum: int, _frame: object) -> None:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Leadgate is serving at http://{host}:{port}/ (Ctrl-C stops it)")
        # When either process ends, stop the other: a half-running service is
        # worse than a stopped one a supervisor can restart.
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        finally:
            stop(signal.SIGTERM, None)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        codes = [process.returncode for process in processes]
        if any(code not in (0, -signal.SIGTERM) for code in codes):
            sys.exit(1)
