"""/readyz tells an orchestrator whether the service can do its work: the
database, its migrations, Redis when tasks wait there, a live task worker."""

import socket

import pytest
from django.utils import timezone

from leadgate.leads.models import WorkerHeartbeat
from leadgate.leads.periodic import hold_lease
from tests.redis_service import require_redis

pytestmark = pytest.mark.django_db


def beat(**fields):
    return WorkerHeartbeat.objects.create(worker_id="w1", seen_at=timezone.now(), **fields)


def closed_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return free.getsockname()[1]


def test_it_is_ready_with_the_database_migrated_and_a_worker_alive(client):
    beat()
    answer = client.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert {body[name] for name in ("database", "migrations", "redis", "workers")} == {"ok"}


def test_it_is_not_ready_without_a_worker_heard_of_recently(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    beat()
    time_machine.shift(600)  # the worker went quiet
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "no task worker heard of recently" in answer.json()["workers"]


def test_it_is_not_ready_when_redis_does_not_answer(client, settings):
    beat()
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["redis"].startswith("ConnectionError")
    assert answer.json()["database"] == "ok"


def test_it_checks_a_configured_redis_that_answers(client, settings):
    require_redis()
    beat()
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    assert client.get("/readyz").json()["redis"] == "ok"


def test_it_names_the_active_scheduler(client):
    beat()
    hold_lease("host-a.123")
    assert client.get("/readyz").json()["scheduler"] == "host-a.123"


def test_it_is_never_cached(client):
    response = client.get("/readyz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
