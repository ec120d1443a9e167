"""Counting requests per key and minute in the database (RateWindow rows), so
every web process, worker and machine counts against the same limit. Used by
the public web forms (per form and client address) and by enrichment over
HTTP (per provider)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import RateWindow

WINDOW = timedelta(minutes=1)
# Windows older than this are deleted whenever a new one starts.
KEEP = timedelta(minutes=5)


def hit(key: str, limit: int, now: datetime) -> int | None:
    """Count one request against `key` in the current minute; the seconds until
    the next minute when that makes more than `limit`, else None.

    The counter is bumped with `count = count + 1`; the first request of a
    minute inserts it (a concurrent insert of the same row loses on the unique
    constraint and bumps instead).
    """
    window = now.replace(second=0, microsecond=0)
    rows = RateWindow.objects.filter(key=key, window_start=window)
    with transaction.atomic():
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(key=key, window_start=window, count=1)
            except IntegrityError:
                rows.update(count=F("count") + 1)
            else:
                RateWindow.objects.filter(window_start__lt=now - KEEP).delete()
        count = rows.values_list("count", flat=True).first() or 0
    if count <= limit:
        return None
    return max(1, int((window + WINDOW - now).total_seconds() + 0.999))
