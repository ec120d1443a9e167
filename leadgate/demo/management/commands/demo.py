"""`leadgate demo`: fill an empty database with a realistic demo company."""

import io
import sys
import time
from datetime import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leadgate.demo.seed import DEFAULT_PASSWORD, DEFAULT_SEED, DemoError, generate
from leadgate.demo.targets import seed_targets
from leadgate.demo.today import liven
from leadgate.demo.words import USERS
from leadgate.leads.models import Lead, User
from leadgate.reports import facts
from leadgate.scoring.predict import score_with_model
from leadgate.scoring.rules import score_leads
from leadgate.sqlite.base import as_background


class Command(BaseCommand):
    help = (
        "Fill an EMPTY database with a reproducible demo company: users for every role, "
        "sources, campaigns with monthly costs, and a year of leads with full histories."
    )

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=5000, help="how many leads (5000)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help="same seed, same data")
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"password of every demo user ({DEFAULT_PASSWORD})")
        parser.add_argument("--batch-size", type=int, default=10_000,
                            help="leads written per transaction (10000)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument(
            "--if-empty", action="store_true",
            help="do nothing (but print the demo logins) when the database already has leads",
        )
        parser.add_argument(
            "--today", action="store_true",
            help="and today's desk: hot requests arriving now (three more leads), follow-ups "
                 "left long overdue rescheduled over the next days (`make run` does this)",
        )

    def handle(self, *args, leads, seed, password, batch_size, quiet, if_empty, today,
               **options):
        if if_empty and Lead.objects.exists():
            # `make run` the second time: keep what is there, remind the logins.
            self.stdout.write(f"The database already has leads ({Lead.objects.count():,}); kept.")
            self.print_logins(self.existing_demo_logins(), password)
            return
        started = time.monotonic()
        # The bar goes to stderr, and only to a terminal: logs stay clean.
        progress = not quiet and options.get("verbosity", 1) > 0 and sys.stderr.isatty()
        try:
            # Beside a running service, its waiting writes go first (on SQLite).
            with as_background():
                summary = generate(leads, seed, password=password, batch_size=batch_size,
                                   progress=progress)
        except DemoError as error:
            raise CommandError(str(error)) from error
        rows = ", ".join(f"{count:,} {name}" for name, count in summary["rows"].items())
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready in {time.monotonic() - started:.1f}s (seed {seed}): {rows}."
        ))
        self.score()
        if today:
            self.liven(summary["now"], seed)
        self.report(summary["now"], seed)
        self.print_logins(summary["logins"], summary["password"])

    def score(self) -> None:
        """Score the demo leads as intake would have: rules (their stages are
        history and stay), then a lead model trained on the demo's outcomes."""
        started = time.monotonic()
        scored = score_leads(Lead.objects.all(), promote=False)
        try:
            call_command("model", "train", "--name", settings.LEADGATE_LEAD_MODEL,
                         stdout=io.StringIO())
        except CommandError as refused:  # too few outcomes in a tiny demo
            self.stdout.write(f"No lead model trained: {refused}")
        with_model = score_with_model()
        self.stdout.write(
            f"Scored {scored:,} leads by rules and {with_model:,} open leads by the model "
            f"in {time.monotonic() - started:.1f}s.")

    def liven(self, now: datetime, seed: int) -> None:
        """Today on the desk: hot requests arriving now, follow-ups due lately
        or soon (demo.today), after the scoring the new leads go through."""
        with as_background():
            done = liven(now, seed)
        self.stdout.write("Today: " + ", ".join(f"{count:,} {what}"
                                                for what, count in done.items()) + ".")

    def report(self, now: datetime, seed: int) -> None:
        """Once everything is written: the reports' summary table from the
        demo's history, then the manager's targets (set near what it shows)."""
        started = time.monotonic()
        with as_background():
            rows = facts.rebuild()
            targets = seed_targets(now, seed)
        self.stdout.write(f"Reports: {rows:,} summary rows and {targets:,} targets "
                          f"in {time.monotonic() - started:.1f}s.")

    def existing_demo_logins(self) -> list[tuple[str, str]]:
        """The first demo user of each role that is still in the database."""
        logins: dict[str, str] = {}
        active = set(User.objects.filter(is_active=True).values_list("username", flat=True))
        for username, *_names, role, _team in USERS:
            if username in active and role not in logins:
                logins[role] = username
        return list(logins.items())

    def print_logins(self, logins: list[tuple[str, str]], password: str) -> None:
        if not logins:
            return
        self.stdout.write("Demo logins (role: username / password, unless changed since):")
        for role, username in logins:
            self.stdout.write(f"  {role + ':':<11} {username} / {password}")
