"""Periodic jobs and the sweep that retries unfinished intake work."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leadgate.intake.tasks import after_intake, retry_unprocessed
from leadgate.leads.models import Lead, PeriodicJob
from leadgate.leads.periodic import run_due
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


def queued(task) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


def test_it_queues_a_due_job_once_per_interval(django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            assert "leadgate.intake.tasks.retry_unprocessed" in run_due()
            assert "leadgate.intake.tasks.retry_unprocessed" not in run_due()
        assert queued(retry_unprocessed) == 1
        clock.shift(timedelta(seconds=61))
        with django_capture_on_commit_callbacks(execute=True):
            assert "leadgate.intake.tasks.retry_unprocessed" in run_due()
    assert queued(retry_unprocessed) == 2
    job = PeriodicJob.objects.get(name="leadgate.intake.tasks.retry_unprocessed")
    assert job.next_run_at == start + timedelta(seconds=61 + 60)


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
