"""Web imports in tests: run the jobs the import pages queued, as the imports
worker would (`leadgate serve` starts one taking only the "imports" queue)."""

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leadgate.intake.import_jobs import run_import_job
from leadgate.leads.queue import IMPORTS_QUEUE


def queued_imports() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(queue_name=IMPORTS_QUEUE,
                                            status=TaskResultStatus.READY)
                .order_by("enqueued_at", "id"))


def run_import_tasks() -> list[str]:
    """Run every queued import job once, oldest first, one at a time; the
    states their runs ended in."""
    ended = []
    for row in queued_imports():
        DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.RUNNING)
        ended.append(run_import_job.call(*row.args_kwargs["args"]))
        DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.SUCCESSFUL)
    return ended
