"""Queueing background work that belongs to a database change."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResult, TaskResultStatus, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat


def enqueue_with_transaction(task: Any, *args: Any) -> TaskResult | None:
    """Queue `task(*args)` so that it exists exactly when the current
    transaction's changes do.

    With the database queue (the default) the task row is written inside the
    transaction: it commits, or rolls back, with the data it is about, and no
    worker can see it before. With a queue elsewhere (RQ on Redis) it is sent
    after the commit instead, so a worker never runs ahead of the data; the
    periodic sweeps retry whatever such a send loses.

    Returns the task's result when it was queued now (the database queue),
    None when it is sent after the commit.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        return task.enqueue(*args)
    # robust: a send that fails is logged, never the failure of the request
    # that committed, and the other after-commit hooks still run.
    transaction.on_commit(lambda: task.enqueue(*args), robust=True)
    return None


# Queue names (settings.TASKS "QUEUES"). Work with a deadline goes on URGENT,
# with URGENT_PRIORITY, so any worker takes it before the after-intake backlog
# and `leadgate serve` keeps one worker for it alone.
DEFAULT_QUEUE = "default"
URGENT_QUEUE = "urgent"
URGENT_PRIORITY = 50
# Imports and previews started in the web app (intake.import_jobs): `leadgate
# serve` gives them a worker of their own, so they run one at a time and never
# hold up the work after intake (which an import queues plenty of).
IMPORTS_QUEUE = "imports"


def pending_args(*tasks: Any) -> list[list[Any]] | None:
    """The arguments of every queued or running copy of these tasks (a copy
    whose worker died does not count), or None when the queue cannot tell:
    sweeps use it to leave alone work still on its way."""
    if settings.TASK_BACKEND == "rq":
        return _pending_rq_args(tasks)
    if not all(isinstance(task.get_backend(), DatabaseBackend) for task in tasks):
        return None
    rows = DBTaskResult.objects.filter(
        task_path__in=[task.module_path for task in tasks],
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).values_list("status", "worker_ids", "args_kwargs")
    alive: set[str] | None = None
    found = []
    for status, worker_ids, args_kwargs in rows.iterator(chunk_size=2000):
        if status == TaskResultStatus.RUNNING:
            alive = WorkerHeartbeat.objects.alive_ids() if alive is None else alive
            if not worker_ids or worker_ids[-1] not in alive:
                continue
        found.append(list(args_kwargs.get("args") or []))
    return found


def _pending_rq_args(tasks: tuple[Any, ...]) -> list[list[Any]] | None:
    """pending_args() on Redis: the jobs of these tasks waiting in their
    queues, and those a live worker has started; None when Redis cannot be
    read (a sweep then queues everything again, which is safe, only slower).
    Without it, a sweep re-queued every lead of a backlog each minute, each
    copy a full run of the steps after intake: the backlog grew as it drained."""
    import django_rq
    from redis.exceptions import RedisError
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    paths = {task.module_path for task in tasks}
    found: list[list[Any]] = []
    alive: set[str] | None = None
    try:
        for name in sorted({task.queue_name for task in tasks}):
            queue = django_rq.get_queue(name)
            started = StartedJobRegistry(queue=queue)
            for ids, running in ((queue.get_job_ids(), False), (started.get_job_ids(), True)):
                for start in range(0, len(ids), 1000):
                    for job in Job.fetch_many(ids[start:start + 1000],
                                              connection=queue.connection):
                        if job is None or job.func_name not in paths:
                            continue
                        if running:
                            alive = WorkerHeartbeat.objects.alive_ids() if alive is None else alive
                            if job.worker_name not in alive:
                                continue  # its worker died with it
                        found.append(list(job.args or []))
    except RedisError:
        return None
    return found


# Tasks a worker may run several queued copies of at once (one per lead, say):
# task path -> (function taking the copies' argument lists, most copies at once).
# The worker claims up to that many ready copies of the task together and runs
# the function once (an error runs each copy alone); elsewhere (RQ, a test's
# `.call()`) each copy runs by itself, so the batch function must give the
# same result as the copies one by one.
BATCHES: dict[str, tuple[Any, int]] = {}


def runs_in_batches(task: Any, size: int) -> Any:
    """Register `function(list of argument lists) -> list of results` as the
    batch form of `task`."""
    def register(function: Any) -> Any:
        BATCHES[task.module_path] = (function, size)
        return function

    return register


PRUNE_BATCH = 5000


def prune_finished_results(now: Any = None) -> int:
    """Delete the database queue's results of tasks that finished (succeeded
    or failed) more than LEADGATE_TASK_RESULTS_KEEP_DAYS ago, in batches of
    PRUNE_BATCH (short transactions beside the workers); returns how many.
    Why: every task leaves a row, and a worker's claim slows as they pile up
    (millions after a few weeks at tens of thousands of leads a day). RQ
    expires its results in Redis by itself (settings.RQ_QUEUES)."""
    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return 0
    before = (now or timezone.now()) - timedelta(days=settings.LEADGATE_TASK_RESULTS_KEEP_DAYS)
    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=before)
    pruned = 0
    while True:
        ids = list(finished.values_list("pk", flat=True)[:PRUNE_BATCH])
        if not ids:
            return pruned
        pruned += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
