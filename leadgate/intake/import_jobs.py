"""Imports and previews started in the web app run as background jobs, never
in a request: the page creates an ImportRun, queued, holding everything the
job needs (the options asked for and the upload's stored name, one we
generated), queues `run_import_job` on the "imports" queue (which `leadgate
serve` gives a worker of its own: one import at a time) and shows the run,
which the job takes through the same `run_import` as `leadgate import`.

A run whose job was lost (its worker killed: the reaper fails the task) is
marked failed when its page sees the task failed, or by the sweep below.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db.backend import DatabaseBackend

from leadgate.leads.queue import IMPORTS_QUEUE

from .imports import ImportOptions, ImportSetupError, imports_dir, run_import
from .models import ImportRun

logger = logging.getLogger("leadgate.imports")

# The name an upload is stored under: a random token and the file's kind.
UPLOAD_NAME = re.compile(r"[0-9a-f]{32}\.(csv|txt|tsv|xlsx)")
# A run with no task to ask about (a `leadgate import`, or a job whose queue
# never said its task's id) that wrote no progress for this long was stopped.
STALE_AFTER = timedelta(minutes=15)
# The options a run keeps for its job (ImportOptions' fields of those names).
STORED = ("target", "mapping", "source", "campaign", "encoding")


def uploads_dir() -> Path:
    path = imports_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(run: ImportRun) -> Path | None:
    """The run's upload, when it names one of ours and it is still there."""
    if not UPLOAD_NAME.fullmatch(run.upload):
        return None
    path = uploads_dir() / run.upload
    return path if path.is_file() else None


def options_of(run: ImportRun) -> ImportOptions:
    """The ImportOptions a run was queued with."""
    stored = {name: run.options[name] for name in STORED if name in run.options}
    return ImportOptions(**stored, preset=run.preset, dry_run=run.dry_run, by=run.by)


def queue_import(options: ImportOptions, *, upload: str, file_name: str) -> ImportRun:
    """Create the run of an import (or a preview, `options.dry_run`) of an
    upload, queued, and queue its job. With the database queue the task is
    written in the run's transaction (as leads.queue.enqueue_with_transaction
    does); with another one it is sent after the commit, so a worker never
    looks for a run not yet committed."""
    if not UPLOAD_NAME.fullmatch(upload):
        raise ValueError(f"not the name of an upload: {upload!r}")
    with transaction.atomic():
        run = ImportRun.objects.create(
            state=ImportRun.State.QUEUED, upload=upload, file_name=file_name[:255],
            preset=options.preset, dry_run=options.dry_run, by=options.by,
            options={name: getattr(options, name) for name in STORED},
            mapping={"as": options.target})
        if isinstance(run_import_job.get_backend(), DatabaseBackend):
            send_job(run)
        else:
            transaction.on_commit(lambda: send_job(run), robust=True)
    return run


def send_job(run: ImportRun) -> None:
    """Queue the run's job and record its task (whose failure tells it lost)."""
    result = run_import_job.enqueue(run.pk)
    ImportRun.objects.filter(pk=run.pk).update(task_id=result.id)
    run.task_id = result.id


@task(queue_name=IMPORTS_QUEUE)
def run_import_job(run_id: int) -> str:
    """Run a queued import or preview, as `leadgate import` would; returns
    the state it ended in. A run already taken (or failed meanwhile) is left."""
    claimed = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).update(
        state=ImportRun.State.RUNNING, started_at=timezone.now())
    if not claimed:
        return "not queued"
    run = ImportRun.objects.select_related("by").get(pk=run_id)
    path = upload_path(run)
    if path is None:
        run.fail("the uploaded file is gone: upload it again")
        return run.state
    try:
        run_import(path, options_of(run), run=run)
    except ImportSetupError:
        pass  # the run says why
    except Exception:
        # run_import marked it failed ("the import stopped: ..."); the worker goes on.
        logger.exception("import run %s stopped", run_id)
    if not run.dry_run:
        path.unlink(missing_ok=True)  # imported (or stopped): nobody maps it again
    return run.state


def fail_if_lost(run: ImportRun) -> bool:
    """Mark failed a queued or running run whose job can no longer finish
    it: its task failed (the worker was killed, and the reaper failed it),
    ended, or is gone; or, with no task to ask about, it wrote no progress for
    STALE_AFTER. True when it was marked so."""
    if not run.active:
        return False
    if run.task_id:
        try:
            status = run_import_job.get_result(run.task_id).status
        except TaskResultDoesNotExist:
            status = None
        except Exception:  # noqa: BLE001 - a queue that cannot tell: wait for the sweep
            logger.warning("import run %s: its task %s cannot be looked up", run.pk, run.task_id)
            return False
        if status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
            return False
        failure = ("the import stopped: its worker stopped while running it"
                   if status == TaskResultStatus.FAILED else
                   "the import stopped: its background task ended without finishing it")
    else:
        heard = run.progress_at or run.started_at
        if heard > timezone.now() - STALE_AFTER:
            return False
        failure = "the import stopped: nothing was heard from it for a quarter of an hour"
    if not run.fail(failure):
        run.refresh_from_db()
        return False
    logger.warning("import run %s failed: %s", run.pk, failure)
    return True


def fail_lost_runs() -> int:
    """The periodic sweep (intake.tasks): fail every run whose job was lost."""
    return sum(fail_if_lost(run) for run in
               ImportRun.objects.filter(state__in=ImportRun.ACTIVE).order_by("pk").iterator())
