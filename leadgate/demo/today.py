"""The demo's today, so that a new user opens a desk that looks like a
working day rather than the end of a long history:

- fresh hot requests arrive now, through the service's own way in (intake,
  then the steps after intake: scoring, routing to a qualifier, the SLA clock
  started), so the desk shows them at the top with their countdown;
- follow-ups the walk left due long ago are rescheduled over the next days,
  as a team lead does after a backlog review: a desk's follow-ups are due
  today or lately, not "11 mo overdue". The history stays as it was (touches,
  stages, the reports built from them); only the open tasks' due times move.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction

from leadgate.intake.models import Campaign
from leadgate.intake.pipeline import receive
from leadgate.leads.lifecycle import ON_DESK
from leadgate.leads.models import Account, Task
from leadgate.orchestration.tasks import after_intake_many

from .words import FIRST_NAMES, LAST_NAMES

HOT_REQUESTS = 3
STALE = timedelta(days=7)  # a follow-up overdue longer than this is rescheduled
# Where a rescheduled follow-up lands: a few hours ago to ten days ahead.
EARLIEST, LATEST = timedelta(hours=-6), timedelta(days=10)
DESK_TASKS = (Task.Kind.FOLLOW_UP, Task.Kind.FIRST_CALL, Task.Kind.CALL_BACK)


def liven(now: datetime, seed: int) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 1)
    return {"hot requests": _hot_requests(rng, now),
            "follow-ups rescheduled": _reschedule(rng, now)}


def _hot_requests(rng: random.Random, now: datetime) -> int:
    """Demo requests from the website, a few minutes old, processed as the
    worker would process them (it may take them again: the steps are safe
    to run twice)."""
    campaign = Campaign.objects.filter(name="Website: demo requests").select_related(
        "source").first()
    accounts = list(Account.objects.exclude(domain="").order_by("pk")[:200])
    if campaign is None or not accounts:
        return 0
    ids = []
    for number in range(HOT_REQUESTS):
        account = rng.choice(accounts)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        received = receive({
            "first_name": first, "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@{account.domain}",
            "company": account.name, "country": account.country,
            "title": rng.choice(["Head of Sales", "VP Revenue Operations", "Sales Director"]),
            "message": "We would like a demo this week.",
        }, channel="form", campaign=campaign, is_hot=True,
            at=now - timedelta(minutes=2 + 3 * number))
        ids.append(received.lead.pk)
    after_intake_many(ids)
    return len(ids)


def _reschedule(rng: random.Random, now: datetime) -> int:
    stale = list(Task.objects.open().filter(
        kind__in=DESK_TASKS, due_at__lt=now - STALE, lead__stage__in=ON_DESK)
        .values_list("pk", flat=True))
    span = (LATEST - EARLIEST).total_seconds()
    moved = []
    for pk in stale:
        due = now + EARLIEST + timedelta(seconds=rng.uniform(0, span))
        moved.append(Task(pk=pk, due_at=due.replace(second=0, microsecond=0)))
    with transaction.atomic():
        Task.objects.bulk_update(moved, ["due_at"], batch_size=1000)
    return len(moved)
