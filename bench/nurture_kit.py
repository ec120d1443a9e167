"""What bench_nurture.py and nurture_mail.py build and print: the cadence,
leads in nurture with their enrollments, nurture emails, tables and plans."""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

# A Wednesday, 14:00 UTC: a business day in every lead's zone below, no holiday.
NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
ZONES = [("America/New_York", "US"), ("America/Los_Angeles", "US"), ("Europe/London", "GB"),
         ("Europe/Berlin", "DE"), ("Europe/Paris", "FR"), ("", "")]
FIRST = "Ada Grace Alan Linus Margaret Barbara Edsger Donald Frances Ken".split()
SUBJECT = "Ideas for {{ lead.company }}"
TEXT = ("Dear {{ lead.first_name }},\n\nTeams like {{ lead.company }} use our guide to cut "
        "the time from inquiry to a qualified conversation.\n\nBest regards,\n"
        "{{ company.name }}\n")
HTML = ("<p>Dear {{ lead.first_name }},</p><p>Teams like {{ lead.company }} use "
        "<a href=\"https://example.com/guide\">our guide</a> to cut the time from inquiry "
        "to a qualified conversation; <a href=\"https://example.com/cases\">their stories"
        "</a>.</p><p>Best regards,<br>{{ company.name }}</p>")
FAR = datetime(2100, 1, 1, tzinfo=UTC)
WORKER = ["worker", "--interval", "0.2", "--no-startup-delay", "--queue-name", "urgent"]


# --- data -------------------------------------------------------------------------------


def make_cadence(name: str, *, only_email: bool = False):
    """A cadence: an email now, a wait of 2 business days, an email 3 business
    days later, a call task 2 days after it (or the first email alone)."""
    from leadgate.nurture.models import Cadence, CadenceVersion, Step, StepVariant

    Kind = Step.Kind
    cadence = Cadence.objects.create(name=name)
    version = CadenceVersion.objects.create(cadence=cadence, number=1)
    specs = ([(Kind.AUTO_EMAIL, 0)] if only_email else
             [(Kind.AUTO_EMAIL, 0), (Kind.WAIT, 2), (Kind.AUTO_EMAIL, 3), (Kind.CALL, 2)])
    for position, (kind, delay) in enumerate(specs):
        step = Step.objects.create(version=version, position=position, kind=kind,
                                   delay_days=delay)
        if kind != Kind.WAIT:
            StepVariant.objects.create(step=step, label="A", subject=SUBJECT, text_body=TEXT,
                                       html_body=HTML)
    return cadence, version, version.ordered_steps()


def make_leads(count: int, tag: str) -> list[int]:
    """`count` leads in nurture (bulk_create), with an owner and a team."""
    from leadgate.leads.models import Lead, Team, User

    team, _ = Team.objects.get_or_create(name="Bench nurture")
    owner, _ = User.objects.get_or_create(username="bench-qualifier", defaults={"team": team})
    at = NOW - timedelta(days=90)
    rows = []
    for n in range(count):
        zone, country = ZONES[n % len(ZONES)]
        rows.append(Lead(first_name=FIRST[n % len(FIRST)], last_name=f"Lead{n}",
                         email=f"{tag}{n}@company{n % 500}.example",
                         company_name=f"Company {n % 500}", country=country, time_zone=zone,
                         stage="nurture", cycle=1, owner=owner, team=team, created_at=at,
                         stage_changed_at=at, processed_at=at))
    made = Lead.objects.bulk_create(rows, batch_size=2000)
    return [lead.pk for lead in made]


def fill(leads: int, due_share: float, rounds: int, version, steps) -> list[list[int]]:
    """Leads in nurture and their enrollments, as engine.enroll() makes them,
    20,000 a transaction. The due ones (--due-share) are at their first step,
    an email, due in the slice of their round (round r sweeps at NOW + r
    hours); the others further on in the cadence, due after the last round,
    within 30 days. Returns the due enrollments by round."""
    from django.db import connection, transaction

    from leadgate.nurture.models import Enrollment, Step

    rng = random.Random(7)
    variants = {str(step.pk): "A" for step in steps if step.kind in Step.EMAILS}
    due = set(rng.sample(range(leads), int(round(leads * due_share))))
    by_round: list[list[int]] = [[] for _ in range(rounds)]
    taken = 0
    started = time.perf_counter()
    for first in range(0, leads, 20_000):
        count = min(20_000, leads - first)
        with transaction.atomic():
            lead_ids = make_leads(count, f"nurture.{first}.")
            rows, groups = [], []
            for n, lead_id in enumerate(lead_ids, start=first):
                if n in due:
                    group = taken % rounds
                    taken += 1
                    top = NOW + timedelta(hours=group)
                    span = timedelta(days=3) if group == 0 else timedelta(hours=1)
                    when = top - span * rng.random() * 0.999
                    rows.append(Enrollment(lead_id=lead_id, lead_cycle=1, number=1,
                                           version=version, trigger="bulk", variants=variants,
                                           started_at=when, next_due_at=when, position=0))
                else:
                    group = -1
                    position = rng.randint(1, len(steps) - 1)
                    begun = NOW - timedelta(days=rng.uniform(3, 30))
                    when = NOW + timedelta(hours=rounds) + timedelta(days=rng.uniform(0.01, 30))
                    rows.append(Enrollment(lead_id=lead_id, lead_cycle=1, number=1,
                                           version=version, trigger="bulk", variants=variants,
                                           started_at=begun, last_step_at=begun,
                                           next_due_at=when, position=position))
                groups.append(group)
            made = Enrollment.objects.bulk_create(rows, batch_size=2000)
        for enrollment, group in zip(made, groups, strict=True):
            if group >= 0:
                by_round[group].append(enrollment.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled {leads:,} leads and enrollments ({len(due):,} due) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return by_round


def rendered(lead) -> tuple[str, str, str]:
    """The step's words for `lead`, as plain strings (the baseline's email)."""
    return (f"Ideas for {lead.company_name}",
            TEXT.replace("{{ lead.first_name }}", lead.first_name)
            .replace("{{ lead.company }}", lead.company_name)
            .replace("{{ company.name }}", "Leadgate"),
            HTML.replace("{{ lead.first_name }}", lead.first_name)
            .replace("{{ lead.company }}", lead.company_name)
            .replace("{{ company.name }}", "Leadgate"))


def nurture_email(key: str, lead):
    from leadgate.mail.models import OutboundEmail
    from leadgate.mail.outbox import Email

    subject, text, html = rendered(lead)
    return Email(key=key, kind=OutboundEmail.Kind.NURTURE, to=(lead.email,), subject=subject,
                 body=text, html_body=html, lead=lead, track=True)


def queue_one_by_one(keys: list[str], leads: list, batch: int) -> list:
    """Each email queued alone, as a nurture step queues it (its own send
    task), in transactions of `batch`; the rows."""
    from django.db import transaction

    from leadgate.mail.outbox import queue_emails

    rows = []
    for start in range(0, len(keys), batch):
        with transaction.atomic():
            for n in range(start, min(start + batch, len(keys))):
                [(row, _new)] = queue_emails([nurture_email(keys[n], leads[n % len(leads)])])
                rows.append(row)
    return rows


def drop_tasks() -> None:
    """No queued task left (send tasks of rows this bench sends otherwise)."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()


def quiet_outbox() -> None:
    """Nothing left for a sender or the sweep from the parts before: due
    emails set aside (failed, with a note), steps no longer due, tasks dropped."""
    from leadgate.mail.models import OutboundEmail
    from leadgate.nurture.models import Enrollment

    Status = OutboundEmail.Status
    OutboundEmail.objects.filter(status__in=(Status.PENDING, Status.SENDING)).update(
        status=Status.FAILED, next_attempt_at=None, claimed_until=None,
        last_error="bench: set aside, not sent")
    Enrollment.objects.filter(status="active").update(next_due_at=FAR)
    drop_tasks()


def some_leads(count: int) -> list:
    from leadgate.leads.models import Lead

    leads = list(Lead.objects.order_by("pk")[:count])
    if len(leads) < count:
        make_leads(count - len(leads), "extra.")
        leads = list(Lead.objects.order_by("pk")[:count])
    return leads


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if n == 0 else "---:" for n in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()





def explain(sql: str, params: list) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return " / ".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def machine() -> str:
    """The machine and versions, and how busy it is (other work shares the cores)."""
    import platform

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite"
                       else "SHOW server_version")
        version = cursor.fetchone()[0]
    database = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, Django "
            f"{django.get_version()}, {database} {version}; load average (1 min) "
            f"{os.getloadavg()[0]:.1f} at the start")
