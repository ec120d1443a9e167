"""Periodic jobs: tasks queued every N seconds by `leadgate scheduler`.

Each app registers its own (`@every(seconds)` on a django-tasks task). The
scheduler claims due jobs through the database (PeriodicJob rows, locked with
skip_locked), so running several schedulers is safe: each due run is queued once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import PeriodicJob
from .queue import enqueue_with_transaction

JOBS: dict[str, tuple[int, Any]] = {}


def every(seconds: int) -> Callable[[Any], Any]:
    def register(task: Any) -> Any:
        JOBS[task.module_path] = (seconds, task)
        return task

    return register


def run_due() -> list[str]:
    """Queue every job that is due; returns their names."""
    queued = []
    now = timezone.now()
    for name, (seconds, task) in sorted(JOBS.items()):
        with transaction.atomic():
            row, _ = PeriodicJob.objects.get_or_create(name=name, defaults={"next_run_at": now})
            job = (
                PeriodicJob.objects.select_for_update(skip_locked=True)
                .filter(pk=row.pk, next_run_at__lte=now)
                .first()
            )
            if job is None:
                continue  # not due, or another scheduler has it right now
            job.last_run_at, job.next_run_at = now, now + timedelta(seconds=seconds)
            job.save(update_fields=["last_run_at", "next_run_at"])
            enqueue_with_transaction(task)
        queued.append(name)
    return queued
