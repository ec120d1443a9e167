"""Tasks on Redis (LEADGATE_TASK_BACKEND=rq): a lead taken in is processed by
an RQ worker exactly as by the database worker, and work above the default
priority goes to the front of its queue. Needs a Redis on 127.0.0.1:6379
(CI starts one); skipped without."""

import os
import signal

import pytest
from django_tasks import TaskResultStatus

from leadgate.intake.pipeline import receive
from leadgate.leads import rq_worker
from leadgate.leads.models import Lead, WorkerHeartbeat
from leadgate.leads.tasks import dispatch_events, prune_task_results
from tests.redis_service import require_redis

# A database of its own per pass: CI runs the SQLite and PostgreSQL passes side by side.
REDIS = f"redis://127.0.0.1:6379/{12 if os.environ.get('DATABASE_URL') else 14}"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_redis(settings):
    import django_rq

    require_redis()
    queues = ["default", "urgent", "imports"]
    settings.REDIS_URL = REDIS
    settings.RQ_QUEUES = {name: {"URL": REDIS} for name in queues}
    settings.RQ = {"COMMIT_MODE": "auto"}
    settings.TASKS = {"default": {"BACKEND": "leadgate.leads.rq_backend.RQBackend",
                                  "QUEUES": queues}}
    connection = django_rq.get_connection("default")
    connection.flushdb()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield connection
    connection.flushdb()
    for sig, handler in handlers.items():  # the worker installs its own
        signal.signal(sig, handler)


def test_it_processes_a_lead_taken_in_with_an_rq_worker(on_redis):
    received = receive({"first_name": "Ada", "last_name": "Lovelace",
                        "email": "ada@analytical.example"}, channel="api")
    lead = Lead.objects.get(pk=received.lead.pk)
    assert lead.processed_at is None
    assert on_redis.llen("rq:queue:default") == 1  # sent once committed
    rq_worker.run(["urgent", "default"], burst=True)
    lead.refresh_from_db()
    assert lead.processed_at is not None  # scored and routed by the RQ worker
    assert on_redis.llen("rq:queue:default") == 0
    assert not WorkerHeartbeat.objects.exists()  # the worker said goodbye


def test_it_puts_work_above_the_default_priority_at_the_front(on_redis):
    import django_rq

    later = prune_task_results.enqueue()
    first = dispatch_events.using(queue_name="default").enqueue()  # urgent priority
    assert django_rq.get_queue("default").job_ids == [first.id, later.id]


def test_it_reads_a_jobs_result_through_django_tasks(on_redis):
    result = dispatch_events.enqueue()
    assert result.status == TaskResultStatus.READY
    rq_worker.run(["urgent"], burst=True)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
