"""The web app's process: gunicorn with our worker class and limits, as
`leadgate web` runs it alone (one role per process, several hosts) and
`leadgate serve` runs it beside the workers and the scheduler."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.db import connection


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    # SQLite takes one writer at a time: one process whose threads queue for
    # it (leadgate/sqlite) beats several processes that sleep in SQLite's
    # busy handler (p99 of API intake at 50 clients: 0.3 s against 2.6 s).
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


def gunicorn_argv(options: dict[str, Any]) -> list[str]:
    chatty = settings.LEADGATE_LOG_LEVEL in ("INFO", "DEBUG")
    argv = [
        sys.executable, "-m", "gunicorn", "leadgate.wsgi:application",
        "--bind", f"{options['host']}:{options['port']}",
        "--workers", str(options["workers"]),
        "--threads", str(options["threads"]),
        "--worker-class", "leadgate.gunicorn_conf.PacedThreadWorker",
        "--config", "python:leadgate.gunicorn_conf",  # time limits on reading requests
        "--graceful-timeout", "10",
        "--log-level", "info" if chatty else "warning",
        # No control socket: it lives in $HOME and would clash between instances.
        "--no-control-socket",
    ]
    if chatty:
        argv += ["--access-logfile", "-"]
    return argv
