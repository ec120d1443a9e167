"""Telling live desks that a queue changed: one QueueEvent row per person
concerned (see workspace.models.QueueEvent); desks follow them by id."""

from __future__ import annotations

from collections.abc import Iterable

from .models import QueueEvent


def publish(user_ids: Iterable[int | None], kind: str, lead_id: int | None = None) -> None:
    """Record that these people's queues changed (None ids are skipped: a lead
    in a team pool has no owner to tell). Call it in the transaction that
    makes the change, so the event exists exactly when the change does."""
    publish_many((user_id, kind, lead_id) for user_id in user_ids)


def publish_many(events: Iterable[tuple[int | None, str, int | None]]) -> None:
    """publish() for many changes at once, one statement: (user id, kind, lead
    id) each; None users are skipped and a repeated event is written once."""
    rows = [QueueEvent(user_id=user_id, kind=kind, lead_id=lead_id)
            for user_id, kind, lead_id in dict.fromkeys(events) if user_id is not None]
    if rows:
        QueueEvent.objects.bulk_create(rows)
