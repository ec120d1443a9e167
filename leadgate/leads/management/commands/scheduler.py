"""`leadgate scheduler`: queue periodic jobs when they are due."""

import importlib
import logging
import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from leadgate.leads.periodic import JOBS, run_due
from leadgate.leads.worker import MAX_BACKOFF, TRANSIENT, first_line

logger = logging.getLogger("leadgate.scheduler")


def load_jobs() -> None:
    """Import every app's `tasks` module, where periodic jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("leadgate."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.tasks":
                    raise


class Command(BaseCommand):
    help = "Queue periodic background jobs when they are due (runs until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds (2)")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        load_jobs()
        logger.info("scheduler: %d periodic jobs: %s", len(JOBS), ", ".join(sorted(JOBS)))
        failures = 0
        while True:
            if not once:
                # A connection that broke or aged out is replaced between turns
                # (as Django does between requests). Not for a single check,
                # which may run inside a caller's transaction.
                close_old_connections()
            try:
                for name in run_due():
                    logger.info("queued %s", name)
                failures = 0
            except TRANSIENT as error:
                # A busy or restarting database is no reason to stop: the jobs
                # are due again at the next turn.
                if once:
                    raise
                failures += 1
                delay = min(MAX_BACKOFF, interval * failures)
                logger.warning("scheduler: database unavailable (%s); retrying in %.1f s",
                               first_line(error), delay)
                connection.close()
                time.sleep(delay)
                continue
            if once:
                return
            time.sleep(interval)
