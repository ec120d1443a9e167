"""Write transactions of bounded length, for the jobs that write much.

SQLite (Leadgate's default database) lets one writer in at a time: while an
import, the demo seeder or a rescoring holds the write lock, every web
request, worker and scheduler that wants to write waits for it. A job that
writes much therefore commits in batches, and `WriteBudget` sizes each batch
from how long the previous ones held the lock, so that each transaction takes
about `seconds` whatever the machine, its load or the rows: a fixed row count
fast on one machine was 10 s on a busy one.

    budget = WriteBudget(seconds=0.1, first=200, most=2000)
    for part in budget.parts(rows):
        with budget.transaction(len(part), transaction.atomic):
            write(part)

Pure Python: the caller passes its database's transaction (so `lib` needs no
Django); the time is measured from inside it (the lock is held from there,
Leadgate's SQLite transactions start IMMEDIATE) through its commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

T = TypeVar("T")

# Each write transaction of a long job aims at a tenth of a second. Measured
# beside a 200,000-row import on a busy 2-core machine, batches aimed at a
# quarter of a second held the lock 0.35-0.55 s (the load varies from one
# batch to the next), and an API request queued behind one of them and a
# worker's transaction waited over a second; a shorter aim costs the import
# little (a commit is about a millisecond in WAL mode).
TARGET_SECONDS = 0.1


class WriteBudget:
    """How many rows the next write transaction may take."""

    def __init__(self, seconds: float = TARGET_SECONDS, *, first: int = 100,
                 most: int = 10_000, least: int = 1) -> None:
        self.seconds, self.most, self.least = seconds, max(1, most), max(1, least)
        self.size = max(self.least, min(first, self.most))
        self.longest = 0.0  # the longest transaction so far, in seconds
        self.count = 0  # transactions so far

    def took(self, rows: int, seconds: float) -> None:
        """A transaction of `rows` held the lock `seconds`: size the next one.
        It shrinks at once to what fits; it grows at most twofold per step, as
        one quick batch may be luck."""
        self.count += 1
        self.longest = max(self.longest, seconds)
        if rows <= 0:
            return
        fits = int(rows * self.seconds / max(seconds, 1e-6))
        self.size = max(self.least, min(self.most, fits, 2 * max(rows, self.size)))

    @contextmanager
    def transaction(self, rows: int,
                    atomic: Callable[[], AbstractContextManager[object]]) -> Iterator[None]:
        """`atomic()` around the block, timed from inside it through its commit."""
        with atomic():
            began = time.perf_counter()
            yield
        self.took(rows, time.perf_counter() - began)

    def parts(self, items: Sequence[T]) -> Iterator[Sequence[T]]:
        """`items` in consecutive slices, each as long as the budget says when
        it is taken (time each one's transaction with `transaction`)."""
        start = 0
        while start < len(items):
            part = items[start:start + self.size]
            yield part
            start += len(part)
