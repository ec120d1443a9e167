"""Queueing background work that belongs to a database change."""

from typing import Any

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def enqueue_with_transaction(task: Any, *args: Any) -> None:
    """Queue `task(*args)` so that it exists exactly when the current
    transaction's changes do.

    With the database queue (the default) the task row is written inside the
    transaction: it commits, or rolls back, with the data it is about, and no
    worker can see it before. With a queue elsewhere (RQ on Redis) it is sent
    after the commit instead, so a worker never runs ahead of the data; the
    periodic sweeps retry whatever such a send loses.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))
