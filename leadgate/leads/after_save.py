"""The work after a lead is saved, queued by the stage that saved it.

Intake saves leads; the steps after it (duplicate search, enrichment, scoring,
routing) belong to the stages above it, and the app above them all
(leadgate.orchestration) drives them. So intake never names that work: it
calls `queue_after_save()` in the lead's own transaction, and the task that
runs is the one the orchestration app registered at start
(`register_after_save()`, from its AppConfig.ready()).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django_tasks import TaskResult

from .queue import enqueue_with_transaction

# Priorities of the after-save work (a task's default is 0): hot requests
# first, imported lists after everything else.
HOT_PRIORITY = 10
DEFAULT_PRIORITY = 0
IMPORT_PRIORITY = -10


@dataclass(frozen=True)
class AfterSave:
    each: Any  # a task taking one lead's id (a worker runs its copies in batches)
    chunk: Any  # a task taking a list of lead ids (an import's chunk: one task for all)


_registered: AfterSave | None = None


def register_after_save(*, each: Any, chunk: Any) -> None:
    """Make `each(lead_id)` and `chunk(lead_ids)` the work queued after a
    lead is saved (the orchestration app, once, at start)."""
    global _registered  # noqa: PLW0603 - set once, when the apps are ready
    _registered = AfterSave(each=each, chunk=chunk)


def queue_after_save(lead_ids: list[int], *, priority: int = DEFAULT_PRIORITY
                     ) -> TaskResult | None:
    """Queue the work after these newly saved leads, with enqueue_with_transaction
    (it exists exactly when the leads do): one lead, its own task; several,
    one task for them all. Returns what enqueue_with_transaction returns.

    Raises ImproperlyConfigured when no app registered that work: the leads
    would never be enriched, scored or routed, so it is never dropped silently."""
    if not lead_ids:
        return None
    if _registered is None:
        raise ImproperlyConfigured(
            "nothing is registered to run after a lead is saved: "
            '"leadgate.orchestration" must be in INSTALLED_APPS (its ready() registers it)')
    if len(lead_ids) == 1:
        return enqueue_with_transaction(_at(_registered.each, priority), lead_ids[0])
    return enqueue_with_transaction(_at(_registered.chunk, priority), list(lead_ids))


def _at(task: Any, priority: int) -> Any:
    # A copy only for another priority: making one checks the task again, a
    # cost every API request would pay.
    return task if task.priority == priority else task.using(priority=priority)
