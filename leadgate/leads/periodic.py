"""Periodic jobs: tasks queued every N seconds by `leadgate scheduler`.

Each app registers its own (`@every(seconds)` on a django-tasks task). One
scheduler is active at a time: the holder of the database lease
(`hold_lease`); others stand by and take over within LEASE_SECONDS of its
stopping. Each due job is also claimed through the database (PeriodicJob
rows, locked with skip_locked), so even two schedulers that both believe
they hold the lease (a clock far off) queue each due run once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus

from .models import PeriodicJob, SchedulerLease, WorkerHeartbeat
from .queue import enqueue_with_transaction

JOBS: dict[str, tuple[int, Any]] = {}
LEASE = "scheduler"
# How long a lease holds unrenewed: the take-over time when a scheduler dies.
# Far above a turn (2 s) and any clock difference between hosts.
LEASE_SECONDS = 30


def hold_lease(holder: str, *, seconds: int = LEASE_SECONDS) -> bool:
    """Take the scheduler's lease, or renew it, for `holder`; False while
    another holds it. One UPDATE (or the first INSERT): two schedulers asking
    at once cannot both get it, on SQLite or PostgreSQL."""
    now = timezone.now()
    fresh = {"holder": holder, "expires_at": now + timedelta(seconds=seconds),
             "renewed_at": now}
    if SchedulerLease.objects.filter(Q(holder=holder) | Q(expires_at__lte=now),
                                     name=LEASE).update(**fresh):
        return True
    try:
        with transaction.atomic():
            SchedulerLease.objects.create(name=LEASE, **fresh)
    except IntegrityError:
        return False  # another holds it (or took it just now)
    return True


def release_lease(holder: str) -> None:
    """Give the lease up now (a scheduler stopping): another takes over at its next turn."""
    SchedulerLease.objects.filter(name=LEASE, holder=holder).update(expires_at=timezone.now())


def lease_holder() -> SchedulerLease | None:
    """The lease while held (not expired)."""
    return SchedulerLease.objects.filter(name=LEASE, expires_at__gt=timezone.now()).first()


def every(seconds: int) -> Callable[[Any], Any]:
    def register(task: Any) -> Any:
        JOBS[task.module_path] = (seconds, task)
        return task

    return register


def run_due() -> list[str]:
    """Queue every job that is due; returns their names.

    A job whose copy queued last is still waiting or running is not queued
    again: behind a backlog, a check every 10 s must not pile up copies that
    all run late (its next turn comes as soon as that copy is done)."""
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
            if job.last_result_id and is_pending(task, job.last_result_id):
                continue
            result = enqueue_with_transaction(task)
            job.last_run_at, job.next_run_at = now, now + timedelta(seconds=seconds)
            job.last_result_id = result.id if result is not None else ""
            job.save(update_fields=["last_run_at", "next_run_at", "last_result_id"])
        queued.append(name)
    return queued


def run_again(task: Any) -> None:
    """Make `task`'s job due now: a job that stopped with work left is queued
    again at the scheduler's next turn (once the copy running now is done),
    rather than after its whole period."""
    PeriodicJob.objects.filter(name=task.module_path).update(next_run_at=timezone.now())


def is_pending(task: Any, result_id: str) -> bool:
    """Whether the task result is still waiting or running (a result that is
    gone, pruned or unknown to the backend is not)."""
    try:
        result = task.get_result(result_id)
    except Exception:  # noqa: BLE001 - ResultDoesNotExist, or a backend that cannot tell
        return False
    if result.status == TaskResultStatus.READY:
        return True
    # Running: unless its worker died with it (then the reaper fails it later).
    return result.status == TaskResultStatus.RUNNING and bool(result.worker_ids) and (
        result.worker_ids[-1] in WorkerHeartbeat.objects.alive_ids())
