"""Benchmark the steps after intake: a lead at a time against batches.

    .venv/bin/python bench/bench_after_intake.py [--leads 500] [--batch 25]
        [--database-url URL] [--keep]

A fresh database (SQLite in a temporary folder, or an EMPTY database given by
--database-url), `leadgate demo` data (5,000 leads, two teams, the default
team set), then --leads new leads received from the API (a third of them hot,
last names shared as in life, so the duplicate search has blocks to read),
twice over: one set for each way of running the steps.

- baseline, a lead at a time: for each lead, the duplicate search, the offline
  enrichment, rule scoring, routing, the SLA clock and the acknowledgement,
  and the lead model, each called with that one lead, as after-intake ran
  before it took leads in batches;
- `after_intake_many()` in batches of --batch leads (the worker claims 25).

Both do the same work on equal leads (the table shows the rows each wrote);
the figure is milliseconds of one process's time per lead, warm (a first
batch of each is run before the clock starts), and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import finish, fresh_environment  # noqa: E402 - bench/ is the script's folder
from soak import FIRST, LAST  # noqa: E402 - the soak's names: blocks shared as in life


def receive_leads(tag: str, count: int) -> list[int]:
    from leadgate.intake.pipeline import receive

    return [receive({"email": f"{tag}{n}@company{n % 300}.example",
                     "first_name": FIRST[n % len(FIRST)], "last_name": LAST[n % len(LAST)],
                     "company": f"Company {n % 300}", "title": "Head of Operations",
                     "country": "GB", "phone": f"+44 20 7{n:03d} {n % 10000:04d}"},
                    channel="api", is_hot=n % 3 == 0).lead.pk for n in range(count)]


def one_at_a_time(lead_ids: list[int]) -> None:
    """The steps, each called with one lead, as before batches."""
    from leadgate.enrich.pipeline import enrich_lead
    from leadgate.intake.dedup import record_candidates
    from leadgate.leads.models import Lead
    from leadgate.orchestration.tasks import OFFLINE_PROVIDERS, latest_inquiries
    from leadgate.routing.acknowledge import acknowledge
    from leadgate.routing.assign import route
    from leadgate.routing.sla import start_clock
    from leadgate.scoring.predict import score_with_model
    from leadgate.scoring.rules import score_leads

    for lead_id in lead_ids:
        lead = Lead.objects.get(pk=lead_id)
        record_candidates(lead)
        enrich_lead(lead, OFFLINE_PROVIDERS)
        score_leads([lead_id])
        lead = Lead.objects.get(pk=lead_id)
        route(lead)
        inquiry = latest_inquiries([lead_id])[lead_id]
        start_clock(lead, inquiry)
        acknowledge(lead, inquiry)
        score_with_model([lead_id])
        Lead.objects.filter(pk=lead_id).update(processed_at=time_now())


def time_now():
    from django.utils import timezone

    return timezone.now()


def in_batches(lead_ids: list[int], size: int) -> None:
    from leadgate.orchestration.tasks import after_intake_many

    for start in range(0, len(lead_ids), size):
        after_intake_many(lead_ids[start:start + size])


def rows_written(lead_ids: list[int]) -> dict[str, int]:
    from leadgate.enrich.models import Enrichment
    from leadgate.leads.models import Task
    from leadgate.mail.models import OutboundEmail
    from leadgate.routing.models import Assignment, SlaClock
    from leadgate.scoring.models import LeadScore

    return {name: model.objects.filter(lead_id__in=lead_ids).count() for name, model in (
        ("assignments", Assignment), ("clocks", SlaClock), ("tasks", Task),
        ("scores", LeadScore), ("facts", Enrichment), ("emails", OutboundEmail))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    workdir = fresh_environment("leadgate-bench-after-", args.database_url)
    os.environ["LEADGATE_AUTO_ACK"] = "1"  # the acknowledgement is one of the steps
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=StringIO())
    warm_single, single = receive_leads("w1.", args.batch), receive_leads("a.", args.leads)
    warm_batch, batch = receive_leads("w2.", args.batch), receive_leads("b.", args.leads)
    one_at_a_time(warm_single)
    in_batches(warm_batch, args.batch)
    started = time.perf_counter()
    one_at_a_time(single)
    single_ms = (time.perf_counter() - started) * 1000 / args.leads
    started = time.perf_counter()
    in_batches(batch, args.batch)
    batch_ms = (time.perf_counter() - started) * 1000 / args.leads
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"Steps after intake on {engine}, {args.leads:,} leads each way, after leadgate demo")
    print(f"{'way':<34}{'ms a lead':>10}{'speed-up':>10}   rows written")
    for name, ms, ids in (("a lead at a time (baseline)", single_ms, single),
                          (f"after_intake_many, batches of {args.batch}", batch_ms, batch)):
        rows = ", ".join(f"{n} {what}" for what, n in rows_written(ids).items())
        print(f"{name:<34}{ms:>10.2f}{single_ms / ms:>9.1f}x   {rows}")
    connection.close()
    finish(workdir, args.keep)


if __name__ == "__main__":
    main()
