"""`leadgate scheduler`: queue periodic jobs when they are due. Run one per
host if you like: the holder of the database lease queues, the others stand
by and take over within leads.periodic.LEASE_SECONDS of its stopping."""

import contextlib
import importlib
import logging
import os
import signal
import socket
import time
import uuid
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from leadgate.leads.periodic import JOBS, hold_lease, lease_holder, release_lease, run_due
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
        holder = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        logger.info("scheduler %s: %d periodic jobs: %s", holder, len(JOBS),
                    ", ".join(sorted(JOBS)))
        self.stopping = False
        if not once:
            # SIGTERM (systemd, docker stop): give the lease up at once, so a
            # standby takes over at its next turn instead of after the lease ends.
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        failures = 0
        active = None  # whether this scheduler held the lease at its last turn
        try:
            while not self.stopping:
                if not once:
                    # A connection that broke or aged out is replaced between turns
                    # (as Django does between requests). Not for a single check,
                    # which may run inside a caller's transaction.
                    close_old_connections()
                try:
                    held = hold_lease(holder)
                    if held != active:
                        self._say_role(holder, held)
                        active = held
                    if held:
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
        finally:
            if not once:
                with contextlib.suppress(*TRANSIENT):  # else the lease ends by itself
                    release_lease(holder)

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _say_role(self, holder: str, held: bool) -> None:
        if held:
            logger.info("scheduler %s: active (holds the lease)", holder)
            return
        lease = lease_holder()
        logger.info("scheduler %s: standing by; %s is active", holder,
                    lease.holder if lease else "another scheduler")
