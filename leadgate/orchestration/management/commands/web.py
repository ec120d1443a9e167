"""`leadgate web`: the web app alone (gunicorn), for set-ups that run each
role as its own service: `leadgate web` on one or more hosts behind a proxy,
`leadgate worker` and `leadgate scheduler` beside them (docs/deploy.md).
The process becomes gunicorn's: signals (TERM: finish requests and stop,
HUP: reload the workers) reach it as they would gunicorn's own."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from leadgate.orchestration import web


class Command(BaseCommand):
    help = "Run the web app alone (gunicorn); see `leadgate serve` for one machine."

    def add_arguments(self, parser: CommandParser) -> None:
        web.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        argv = web.gunicorn_argv(options)
        os.execv(argv[0], argv)  # noqa: S606 - our own interpreter and arguments
