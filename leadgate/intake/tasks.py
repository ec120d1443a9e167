"""Intake's own periodic jobs, and how long a lost task is waited for. (The
steps after intake are queued through leads.after_save and live in
leadgate.orchestration.)"""

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from leadgate.leads.periodic import every


# A lead still unprocessed (or an arrival still untaken) this long after it
# arrived lost its task (the worker died, the queue was down, the task failed):
# the sweep queues it again (orchestration.tasks, and retry_arrivals here).
def retry_after() -> timedelta:
    return timedelta(seconds=settings.LEADGATE_INTAKE_RETRY_AFTER_SECONDS)


@every(60)
@task()
def retry_arrivals() -> int:
    """Queue the take again for API arrivals whose task was lost (see
    intake.arrivals); returns how many."""
    from .arrivals import requeue_waiting  # arrivals import us (retry_after)

    return requeue_waiting()


@every(60)
@task()
def fail_lost_imports() -> int:
    """Mark failed the web imports whose job was lost (its worker killed
    mid-import: the reaper failed its task), so none shows "running" for
    ever; returns how many."""
    from .import_jobs import fail_lost_runs  # lazy: the import machinery loads where it runs

    return fail_lost_runs()
