"""The background worker (`leadgate worker`): django-tasks-db's database
worker, made to survive what a busy service throws at it.

- A transient database error (busy beyond the timeout, the server restarting,
  a connection cut) is logged in one line and retried after a back-off: it
  never ends the process. Recording a task's result is retried the same way,
  so a task that ran is not reported as failed because the database was busy.
- A heartbeat row (`WorkerHeartbeat`), refreshed by a thread every few
  seconds, says the worker is alive. `reap_lost_tasks()` (a periodic job)
  fails the tasks still marked running by a worker that went quiet (killed
  mid-task); the apps' sweeps then retry their work, as for any failed task.
- A failing task is logged in one line; its traceback is kept on its result
  row (admin: Task results).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction
from threadpoolctl import threadpool_limits

from .models import WorkerHeartbeat
from .queue import BATCHES

logger = logging.getLogger("leadgate.worker")

TRANSIENT = (OperationalError, InterfaceError)
MAX_BACKOFF = 10.0


class WorkerLost(Exception):
    """The task's worker stopped (killed, crashed, its machine gone) while the
    task was running."""


def heartbeat_seconds() -> float:
    return float(settings.LEADGATE_WORKER_HEARTBEAT_SECONDS)


def lost_after() -> timedelta:
    """A worker unheard of this long is taken for dead (WorkerHeartbeat.alive)."""
    return timedelta(seconds=heartbeat_seconds() * 6)


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class ResilientWorker(Worker):
    """Worker with back-off on transient database errors and a heartbeat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._failures = 0

    # --- the loop ----------------------------------------------------------------

    def run(self) -> None:
        logger.info("worker %s started on queues %s", self.worker_id, ",".join(self.queue_names))
        beat = Heartbeat(self.worker_id, self.queue_names)
        beat.start()
        # One thread for OpenMP/BLAS: parallelism comes from worker processes. A
        # model predicting one lead on every core while other processes want
        # them spends most of its time waiting (92 ms a lead against 14 ms).
        limits = threadpool_limits(limits=1)
        try:
            while self.running:
                close_old_connections()
                try:
                    claimed = self._claim()
                except TRANSIENT as error:
                    self._back_off("claiming a task", error)
                    continue
                self._failures = 0
                if claimed:
                    if len(claimed) > 1:
                        self.run_batch(claimed)
                    else:
                        self.run_task(claimed[0])
                    if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                        return
                    continue
                if self.batch:
                    return
                if self.running:
                    time.sleep(self.interval)
        finally:
            limits.restore_original_limits()
            beat.stop()

    def _claim(self) -> list[DBTaskResult]:
        """The next ready task, claimed; with the other ready copies of it when
        it runs in batches (leads.queue.BATCHES), up to the batch size."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            result = tasks.get_locked()
            if result is None:
                return []
            result.claim(self.worker_id)
            claimed = [result]
            if result.task_path in BATCHES:
                size = BATCHES[result.task_path][1]
                more = list(tasks.filter(task_path=result.task_path, queue_name=result.queue_name)
                            .exclude(pk=result.pk).select_for_update(skip_locked=True)[:size - 1])
                if more:
                    DBTaskResult.objects.filter(pk__in=[row.pk for row in more]).update(
                        status=TaskResultStatus.RUNNING, started_at=result.started_at,
                        worker_ids=[self.worker_id])
                claimed += more
        return claimed

    def _back_off(self, doing: str, error: BaseException) -> None:
        self._failures += 1
        delay = min(MAX_BACKOFF, 0.25 * 2 ** min(self._failures, 8))
        logger.warning("worker %s: database unavailable while %s (%s); retrying in %.1f s",
                       self.worker_id, doing, first_line(error), delay)
        # A connection that saw an error may be unusable: the next query opens anew.
        connection.close()
        time.sleep(delay)

    # --- one task ----------------------------------------------------------------

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.running_task = True
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=task_result)
            args, kwargs = task_result.args, task_result.kwargs
            try:
                if task.takes_context:
                    value = task.call(TaskContext(task_result=task_result), *args, **kwargs)
                else:
                    value = task.call(*args, **kwargs)
            except Exception as error:
                logger.warning("task %s %s failed: %s", db_task_result.id,
                               db_task_result.task_path, first_line(error))
                self._record(partial(db_task_result.set_failed, error))
            else:
                self._record(partial(db_task_result.set_successful, value))
            task_finished.send(sender=sender, task_result=db_task_result.task_result)
        except TRANSIENT as error:
            # Reading the task's row failed: it stays claimed until the reaper
            # or a restart sees to it; the worker goes on.
            self._back_off(f"running task {db_task_result.id}", error)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def run_batch(self, results: list[DBTaskResult]) -> None:
        """Run claimed copies of one task through its batch function; when it
        fails, each copy alone, so one bad lead fails only its own task."""
        function, _size = BATCHES[results[0].task_path]
        self.running_task = True
        try:
            values = function([list(row.args_kwargs.get("args") or []) for row in results])
        except Exception as error:
            logger.warning("a batch of %d %s failed (%s); running them one by one",
                           len(results), results[0].task_path, first_line(error))
            values = None
        finally:
            self.running_task = False
        if values is None:
            for row in results:
                self.run_task(row)
            return
        finished = timezone.now()

        def record() -> None:
            with transaction.atomic():
                for row, value in zip(results, values, strict=True):
                    DBTaskResult.objects.filter(pk=row.pk).update(
                        status=TaskResultStatus.SUCCESSFUL, finished_at=finished,
                        return_value=value, exception_class_path="", traceback="")

        self._record(record)
        self._run_tasks += len(results)

    def _record(self, write: Callable[[], None]) -> None:
        """Write a task's outcome, waiting out a busy or restarting database."""
        for attempt in range(8):
            try:
                write()
                return
            except TRANSIENT as error:
                if attempt == 7:
                    raise
                self._back_off("recording a task's result", error)


class Heartbeat(threading.Thread):
    """Keeps a worker's WorkerHeartbeat row fresh every few seconds from a
    thread of its own (a long task does not stop it), and deletes the row when
    stopped. The database worker and the RQ worker (leads.rq_worker) both beat:
    the reaper, the scheduler and /readyz read one table whatever the queue."""

    def __init__(self, worker_id: str, queue_names: list[str]) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.queues = ",".join(queue_names)[:200]
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)

    def run(self) -> None:
        host, pid = socket.gethostname(), os.getpid()
        started = timezone.now()
        try:
            while not self._stopping.is_set():
                try:
                    WorkerHeartbeat.objects.update_or_create(
                        worker_id=self.worker_id,
                        defaults={"seen_at": timezone.now(), "host": host, "pid": pid,
                                  "queues": self.queues},
                        create_defaults={"seen_at": timezone.now(), "host": host, "pid": pid,
                                         "queues": self.queues, "started_at": started})
                except TRANSIENT as error:
                    logger.warning("worker %s: heartbeat not written (%s)", self.worker_id,
                                   first_line(error))
                    connection.close()
                self._stopping.wait(heartbeat_seconds())
            with contextlib.suppress(*TRANSIENT):  # else the row goes quiet and is pruned
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        finally:
            connection.close()


def reap_lost_tasks(now: Any = None) -> int:
    """Fail every task marked running by a worker that is no longer alive;
    returns how many. Each is failed with WorkerLost, so the sweeps that retry
    work (after-intake, email, webhooks) take it as not pending; periodic jobs
    simply run again at their next turn."""
    now = now or timezone.now()
    alive = WorkerHeartbeat.objects.alive_ids()
    # A task claimed this recently may belong to a worker whose first beat is on its way.
    recent = now - lost_after()
    lost = 0
    for result in DBTaskResult.objects.running().filter(started_at__lt=recent).iterator():
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if worker in alive:
            continue
        with transaction.atomic():
            row = (DBTaskResult.objects.select_for_update(skip_locked=True)
                   .filter(pk=result.pk, status=result.status).first())
            if row is None:  # finished meanwhile, or another reaper has it
                continue
            row.set_failed(WorkerLost(f"worker {worker or '?'} stopped while running this task"))
        lost += 1
        logger.warning("task %s %s failed: its worker %s stopped", result.id, result.task_path,
                       worker or "?")
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return lost
