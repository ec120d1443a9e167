"""Periodic jobs and the sweep that retries unfinished intake work."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leadgate.leads.models import Lead, PeriodicJob, WorkerHeartbeat
from leadgate.leads.periodic import run_due
from leadgate.orchestration.tasks import after_intake, retry_unprocessed
from leadgate.routing.tasks import check_breaches
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


def queued(task) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


def test_it_queues_a_due_job_once_per_interval(django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            assert "leadgate.orchestration.tasks.retry_unprocessed" in run_due()
            assert "leadgate.orchestration.tasks.retry_unprocessed" not in run_due()
        assert queued(retry_unprocessed) == 1
        finish_all(retry_unprocessed)
        clock.shift(timedelta(seconds=61))
        with django_capture_on_commit_callbacks(execute=True):
            assert "leadgate.orchestration.tasks.retry_unprocessed" in run_due()
    assert queued(retry_unprocessed) == 2
    job = PeriodicJob.objects.get(name="leadgate.orchestration.tasks.retry_unprocessed")
    assert job.next_run_at == start + timedelta(seconds=61 + 60)


def finish_all(task) -> None:
    DBTaskResult.objects.filter(task_path=task.module_path).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())


def test_it_does_not_queue_a_job_again_while_its_last_copy_waits():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert "leadgate.routing.tasks.check_breaches" in run_due()
        for _ in range(5):  # a backlog: the worker has not reached it for a minute
            clock.shift(timedelta(seconds=11))
            assert "leadgate.routing.tasks.check_breaches" not in run_due()
        assert queued(check_breaches) == 1
        finish_all(check_breaches)
        assert "leadgate.routing.tasks.check_breaches" in run_due()
    assert queued(check_breaches) == 2


def test_it_queues_a_job_again_when_its_last_copy_lost_its_worker():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        run_due()
        DBTaskResult.objects.filter(task_path=check_breaches.module_path).update(
            status=TaskResultStatus.RUNNING, started_at=start, worker_ids=["gone"])
        clock.shift(timedelta(seconds=11))
        assert "leadgate.routing.tasks.check_breaches" in run_due()


def test_it_keeps_waiting_for_a_copy_its_live_worker_runs():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        run_due()
        WorkerHeartbeat.objects.create(worker_id="alive", seen_at=start)
        DBTaskResult.objects.filter(task_path=check_breaches.module_path).update(
            status=TaskResultStatus.RUNNING, started_at=start, worker_ids=["alive"])
        clock.shift(timedelta(seconds=11))
        assert "leadgate.routing.tasks.check_breaches" not in run_due()


def test_it_runs_the_scheduler_once_from_the_command(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("scheduler", once=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert queued(retry_unprocessed) == 1


def test_it_marks_a_lead_processed_after_the_duplicate_search():
    lead = make_lead()
    assert lead.processed_at is None
    after_intake.call(lead.pk)
    lead.refresh_from_db()
    assert lead.processed_at is not None


def test_it_requeues_leads_whose_processing_never_finished():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        stale = make_lead()
        clock.shift(timedelta(minutes=5))
        fresh = make_lead()  # its own task may still be on its way
        done = make_lead()
        Lead.objects.filter(pk=done.pk).update(processed_at=timezone.now())
        assert retry_unprocessed.call() == 1
    requeued = DBTaskResult.objects.get(task_path=after_intake.module_path)
    assert requeued.args_kwargs["args"] == [stale.pk]
    assert fresh.pk != stale.pk


def test_it_does_not_requeue_a_lead_whose_task_still_waits():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        waiting = make_lead()
        after_intake.enqueue(waiting.pk)  # behind a backlog
        lost = make_lead()
        after_intake.enqueue(lost.pk)
        DBTaskResult.objects.filter(args_kwargs__args=[lost.pk]).update(
            status=TaskResultStatus.RUNNING, started_at=start, worker_ids=["killed"])
        clock.shift(timedelta(minutes=5))
        assert retry_unprocessed.call() == 1
    copies = DBTaskResult.objects.filter(task_path=after_intake.module_path)
    assert sorted(row.args_kwargs["args"][0] for row in copies) == sorted(
        [waiting.pk, lost.pk, lost.pk])
