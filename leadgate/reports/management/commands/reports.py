"""`leadgate reports rebuild|check`: the reports' summary table.

    leadgate reports rebuild          every lead's rows recomputed from its records
    leadgate reports check [--show N] the table compared with a full recomputation
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadgate.leads.models import Lead
from leadgate.reports import facts
from leadgate.sqlite.base import as_background


class Command(BaseCommand):
    help = "Rebuild or check the reports' summary table (one row per lead and cycle)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("rebuild", help="recompute every row from the leads' records")
        check = actions.add_parser("check", help="compare the table with a recomputation")
        check.add_argument("--show", type=int, default=20,
                           help="differences to print (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["action"] == "rebuild":
            total, done = Lead.objects.count(), [0]

            def progress(n: int) -> None:
                done[0] += n
                self.stderr.write(f"\r{done[0]:,} of {total:,} leads", ending="")

            with as_background():
                written = facts.rebuild(progress)
            self.stderr.write("")
            self.stdout.write(f"{written:,} rows for {total:,} leads "
                              f"in {time.perf_counter() - started:.1f} s")
            return
        found = 0
        for lead_id, cycle, column, stored, recomputed in facts.drift():
            found += 1
            if found <= options["show"]:
                self.stdout.write(f"lead {lead_id} cycle {cycle}: {column} is {stored!r}, "
                                  f"should be {recomputed!r}")
        if found:
            raise CommandError(f"{found:,} differences; `leadgate reports rebuild` mends them")
        self.stdout.write(f"the table matches the records "
                          f"({time.perf_counter() - started:.1f} s)")
