"""Rescoring every lead on every core.

Scoring a million leads is CPU-bound Python (rules) or numpy (the model)
between reads and writes, so one process uses one core. `in_parallel()`
splits the leads into contiguous primary-key ranges and scores each range in
a forked process with its own database connection; writes stay short
transactions, so SQLite's single writer only queues them briefly.

Used for whole-database runs (a rule set or model activated). Inside a
transaction (tests, a request) it runs in-process: a fork could not see the
uncommitted rows.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import Max, Min, QuerySet

from leadgate.leads.models import Lead

# Below this, forking costs more than it saves.
MIN_PARALLEL = 20_000


def workers_setting() -> int:
    configured = settings.LEADGATE_SCORING_WORKERS
    return configured if configured > 0 else (os.cpu_count() or 1)


def in_parallel(score: Callable[..., int], leads: QuerySet[Lead], *args: Any,
                workers: int | None = None, **kwargs: Any) -> int:
    """`score(part, *args, **kwargs)` over `leads` split into `workers` parts
    (default: LEADGATE_SCORING_WORKERS or the number of cores). Returns the sum
    of what each part returned."""
    workers = workers or workers_setting()
    if workers <= 1 or connection.in_atomic_block:
        return score(leads, *args, **kwargs)
    bounds = leads.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None or high - low < MIN_PARALLEL:
        return score(leads, *args, **kwargs)
    step = (high - low) // workers + 1
    parts = [leads.filter(pk__gte=low + i * step, pk__lt=low + (i + 1) * step)
             for i in range(workers)]
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()

    def run(part: QuerySet[Lead]) -> None:
        try:
            results.put(("ok", score(part, *args, **kwargs)))
        except BaseException as error:  # reported to the parent, which raises
            results.put(("error", repr(error)))
        finally:
            connections.close_all()

    # A forked child must not share the parent's open database connections.
    connections.close_all()
    processes = [context.Process(target=run, args=(part,)) for part in parts]
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    failures = [detail for status, detail in outcomes if status == "error"]
    if failures:
        raise RuntimeError(f"{len(failures)} scoring process(es) failed: {failures[0]}")
    return sum(int(detail) for _status, detail in outcomes)
