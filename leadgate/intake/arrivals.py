"""Arrivals: submissions accepted at once and taken into intake by a worker.

A sender posting leads in volume (a marketing platform's sync, a migration)
asks the API for `Prefer: respond-async`: its request is checked field by
field as always (a bad field is a 422 naming it), then stored as one Arrival
row with its take queued in the same transaction, and answered 202. The
worker takes arrivals through `receive()`, a batch at a time, each in its own
transaction together with the record of what it became, so an arrival is
taken exactly once even when two workers or a retry reach it together. An
arrival whose task is lost waits in its table until the sweep queues it again
(`requeue_waiting`, every minute from intake.tasks).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from leadgate.leads.after_save import HOT_PRIORITY
from leadgate.leads.models import User
from leadgate.leads.queue import enqueue_with_transaction, pending_args, runs_in_batches

from .fields import IntakeError
from .models import Arrival, Campaign, Source
from .pipeline import receive
from .tasks import retry_after

# Arrivals a worker takes at once (claimed together, see leads.worker).
BATCH = 50


def accept(payload: dict[str, Any], *, channel: str, source: Source | None = None,
           campaign: Campaign | None = None, is_hot: bool = False, by: User | None = None,
           sender: str = "") -> Arrival:
    """Store a checked submission for intake and queue its take: they commit
    together or not at all (in the caller's transaction, if any)."""
    with transaction.atomic():
        arrival = Arrival.objects.create(channel=channel, payload=payload, source=source,
                                         campaign=campaign, is_hot=is_hot, by=by, sender=sender)
        # A hot request jumps the backlog, as in receive(): its SLA clock is minutes.
        take = take_arrival.using(priority=HOT_PRIORITY) if is_hot else take_arrival
        enqueue_with_transaction(take, arrival.pk)
    return arrival


@task()
def take_arrival(arrival_id: int) -> str:
    """Take one arrival into intake; returns its status (see take_arrivals)."""
    return take_arrivals([arrival_id])[0]


@runs_in_batches(take_arrival, size=BATCH)
def _take_copies(copies: list[list]) -> list[str]:
    return take_arrivals([int(args[0]) for args in copies])


def take_arrivals(arrival_ids: list[int]) -> list[str]:
    """Take each waiting arrival through receive(), in order; returns each
    one's status afterwards ("taken", "refused", or "gone" for an id that is
    not there). One taken before, by another worker or a retry, is left as it
    is."""
    arrivals = {arrival.pk: arrival for arrival in Arrival.objects.filter(pk__in=arrival_ids)
                .select_related("source", "campaign", "by")}
    for arrival_id in arrival_ids:
        arrival = arrivals.get(arrival_id)
        if arrival is not None and arrival.taken_at is None:
            _take(arrival)
    return [arrivals[arrival_id].status if arrival_id in arrivals else "gone"
            for arrival_id in arrival_ids]


def _take(arrival: Arrival) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            # The claim commits with the lead: a second taker waits here for the
            # first (PostgreSQL: the row lock; SQLite: the write lock), then
            # finds it taken. A failure rolls both back, for the sweep to retry.
            if not Arrival.objects.filter(pk=arrival.pk, taken_at__isnull=True).update(
                    taken_at=now):
                arrival.refresh_from_db()
                return
            result = receive(arrival.payload, channel=arrival.channel, source=arrival.source,
                             campaign=arrival.campaign, is_hot=arrival.is_hot, by=arrival.by,
                             at=arrival.received_at)
            arrival.taken_at, arrival.inquiry, arrival.created = now, result.inquiry, result.created
            arrival.lead_id_shown = result.lead.pk if result.sender_sees else None
            arrival.warnings = result.warnings
            arrival.save(update_fields=["taken_at", "inquiry", "created", "lead_id_shown",
                                        "warnings"])
    except IntakeError as refused:
        # Checked at the door, so rare (a source deleted meanwhile, say): kept
        # with the reason, for the sender to read back.
        arrival.taken_at, arrival.error, arrival.error_field = now, str(refused), refused.field
        Arrival.objects.filter(pk=arrival.pk, taken_at__isnull=True).update(
            taken_at=now, error=arrival.error, error_field=arrival.error_field)


def requeue_waiting(now: Any = None, *, limit: int = 1000) -> int:
    """Queue the take again for arrivals still waiting a while after they
    came, whose task is neither queued nor running (lost with a worker, or
    failed on a database error); returns how many."""
    stale = (now or timezone.now()) - retry_after()
    waiting = {args[0] for args in pending_args(take_arrival) or [] if args}
    ids = [arrival_id for arrival_id in Arrival.objects.filter(
        taken_at__isnull=True, received_at__lt=stale).order_by("received_at")
        .values_list("pk", flat=True)[:limit + len(waiting)] if arrival_id not in waiting][:limit]
    for arrival_id in ids:
        take_arrival.enqueue(arrival_id)
    return len(ids)
