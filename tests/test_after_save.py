"""leads.after_save: intake queues the work after a lead is saved without naming
it; the orchestration app registered it at start, and nothing is dropped."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from leadgate.leads import after_save
from leadgate.leads.after_save import HOT_PRIORITY, IMPORT_PRIORITY, queue_after_save
from leadgate.orchestration.tasks import after_import, after_intake

pytestmark = pytest.mark.django_db


def test_it_queues_what_the_orchestration_app_registered_at_start():
    assert after_save._registered == after_save.AfterSave(each=after_intake, chunk=after_import)


def test_it_gives_one_lead_its_own_task_with_the_priority_asked():
    queue_after_save([7], priority=HOT_PRIORITY)
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.args_kwargs["args"], queued.priority) == (
        after_intake.module_path, [7], HOT_PRIORITY)


def test_it_gives_a_chunk_one_task_for_all_its_leads():
    queue_after_save([7, 8, 9], priority=IMPORT_PRIORITY)
    queued = DBTaskResult.objects.get()
    assert (queued.task_path, queued.args_kwargs["args"], queued.priority) == (
        after_import.module_path, [[7, 8, 9]], IMPORT_PRIORITY)


def test_it_rolls_back_with_the_leads():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_after_save([7])
        raise RuntimeError("the lead's transaction failed")
    assert not DBTaskResult.objects.exists()


def test_it_refuses_when_nothing_is_registered(monkeypatch):
    monkeypatch.setattr(after_save, "_registered", None)
    with pytest.raises(ImproperlyConfigured, match="leadgate.orchestration"):
        queue_after_save([7])
    assert not DBTaskResult.objects.exists()
