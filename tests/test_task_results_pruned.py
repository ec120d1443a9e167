"""Finished tasks' results are pruned after LEADGATE_TASK_RESULTS_KEEP_DAYS:
a worker's claim slows as they pile up. Waiting and running ones stay."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leadgate.leads.queue import prune_finished_results
from leadgate.leads.tasks import dispatch_events

pytestmark = pytest.mark.django_db


def result(status, finished_days_ago=None):
    row = DBTaskResult.objects.get(id=dispatch_events.enqueue().id)
    finished = (timezone.now() - timedelta(days=finished_days_ago)
                if finished_days_ago is not None else None)
    DBTaskResult.objects.filter(pk=row.pk).update(status=status, finished_at=finished)
    return row.pk


def test_it_prunes_results_finished_before_the_days_kept(settings):
    settings.LEADGATE_TASK_RESULTS_KEEP_DAYS = 7
    old_ok = result(TaskResultStatus.SUCCESSFUL, 8)
    old_failed = result(TaskResultStatus.FAILED, 30)
    recent = result(TaskResultStatus.SUCCESSFUL, 6)
    waiting = result(TaskResultStatus.READY)
    running = result(TaskResultStatus.RUNNING)
    assert prune_finished_results() == 2
    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {recent, waiting, running}
    assert not kept & {old_ok, old_failed}


def test_it_prunes_in_batches_until_none_is_left(settings, monkeypatch):
    from leadgate.leads import queue

    monkeypatch.setattr(queue, "PRUNE_BATCH", 2)
    for _ in range(5):
        result(TaskResultStatus.SUCCESSFUL, 9)
    assert prune_finished_results() == 5
    assert not DBTaskResult.objects.exists()


def test_it_is_a_periodic_job():
    from leadgate.leads.periodic import JOBS
    from leadgate.leads.tasks import prune_task_results

    assert JOBS[prune_task_results.module_path][0] == 600
