"""`leadgate worker` when tasks wait in Redis (LEADGATE_TASK_BACKEND=rq):
an RQ worker running django-tasks' jobs (django-tasks-rq), made to live
beside the database as the database worker does (leads.worker).

- Jobs run in the worker's own process (RQ's SimpleWorker), not in a child
  forked per job: a fork would share the parent's database connection, and
  its cost was most of a short task's time. The database connection is
  renewed between jobs as Django does between requests.
- The same heartbeat row as the database worker (`WorkerHeartbeat`): the
  scheduler, the reaper and /readyz read one table whatever the queue.
- Redis going away is RQ's to ride out while it waits for a job (it
  retries with a back-off); met during a job, it stops the RQ worker, which
  `run` then starts again once Redis answers. The jobs Redis held are not
  the only copy of any work: what must happen later is
  a row in the database that a periodic sweep queues again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from typing import Any

from django.db import close_old_connections
from threadpoolctl import threadpool_limits

from .worker import MAX_BACKOFF, Heartbeat

logger = logging.getLogger("leadgate.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


def run(queue_names: list[str], *, name: str = "", burst: bool = False,
        max_jobs: int | None = None) -> None:
    """Take jobs from `queue_names` (in that order: the first is served first)
    until stopped (SIGTERM: the job under way is finished first)."""
    import django_rq
    from django_tasks_rq.backend import Job
    from redis.exceptions import RedisError
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        def execute_job(self, job: Any, queue: Any) -> Any:
            close_old_connections()
            try:
                return super().execute_job(job, queue)
            finally:
                close_old_connections()

    name = name or worker_name()

    def make() -> Any:
        return django_rq.get_worker(*queue_names, job_class=Job,
                                    worker_class=Worker,  # type: ignore[arg-type]  # any BaseWorker runs
                                    name=name)

    logger.info("worker %s started on Redis queues %s", name, ",".join(queue_names))
    beat = Heartbeat(name, queue_names)
    beat.start()
    # One thread for OpenMP/BLAS: parallelism comes from worker processes.
    limits = threadpool_limits(limits=1)
    failures = 0
    try:
        while True:
            worker = make()
            try:
                worker.work(burst=burst, max_jobs=max_jobs, with_scheduler=False,
                            logging_level=logging.getLevelName(logger.getEffectiveLevel()))
            except RedisError as error:  # from its teardown, Redis being gone
                logger.debug("worker %s: %s", name, error)
            if burst or max_jobs is not None or worker._stop_requested:
                return
            # RQ rides out Redis going away while it waits for a job, but not
            # during one: it quits ("found an unhandled exception"). Start
            # again once Redis answers; the job it had is failed in Redis and
            # its work retried by the periodic sweeps.
            failures += 1
            delay = min(MAX_BACKOFF, float(failures))
            logger.warning("worker %s: lost Redis; starting again in %.0f s", name, delay)
            time.sleep(delay)
            with contextlib.suppress(RedisError):
                worker.register_death()  # else its name is still taken in Redis
    finally:
        limits.restore_original_limits()
        beat.stop()
