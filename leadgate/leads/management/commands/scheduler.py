"""`leadgate scheduler`: queue periodic jobs when they are due."""

import importlib
import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from leadgate.leads.periodic import JOBS, run_due


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
        parser.add_argument("--interval", type=float, default=5.0, help="seconds (5)")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        load_jobs()
        self.stdout.write(f"Scheduler: {len(JOBS)} periodic jobs: {', '.join(sorted(JOBS))}")
        while True:
            for name in run_due():
                self.stdout.write(f"queued {name}")
            if once:
                return
            time.sleep(interval)
