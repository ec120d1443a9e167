"""Run one function in several threads at once, for the tests of what two
workers or sweeps must not do twice (each thread has its own connection: on
SQLite too, whose test database is a file)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def at_once(work: Callable[[], T], threads: int) -> list[T]:
    """`work()` in `threads` threads released together; their results. An
    exception in any thread fails the caller."""
    start = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(work())
        except Exception as error:  # raised in the caller below
            errors.append(error)
        finally:
            connections.close_all()

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == [], errors
    return results
