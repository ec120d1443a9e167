"""`Prefer: respond-async` on POST /api/v1/leads: the lead is checked at the
door, kept as an arrival and answered 202 at once; a worker takes it into
intake exactly once; GET /arrivals/{id} tells the sender what it became."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leadgate.intake.arrivals import requeue_waiting, take_arrival, take_arrivals
from leadgate.intake.models import Arrival, Inquiry
from leadgate.leads.models import Lead
from tests.api_helpers import make_key
from tests.concurrency import at_once
from tests.factories import make_source

ADA = {"email": "ada@analytical.example", "first_name": "Ada", "last_name": "Lovelace",
       "company": "Analytical Engines"}
TAKE_PATH = take_arrival.module_path

pytestmark = pytest.mark.django_db


def later(key: str, body: Any, **headers: str):
    """POST /leads asking for respond-async."""
    return Client().post("/api/v1/leads", json.dumps(body), content_type="application/json",
                         headers={"Authorization": f"Bearer {key}", "Prefer": "respond-async",
                                  **headers})


def read(key: str, arrival_id: int):
    return Client().get(f"/api/v1/arrivals/{arrival_id}",
                        headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def key():
    return make_key(None, scopes=("intake",))


def test_it_answers_202_with_the_arrival_and_makes_no_lead_yet(key):
    response = later(key, ADA)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["lead"]) == ("queued", None)
    assert response["Location"] == body["url"] == f"/api/v1/arrivals/{body['arrival']}"
    assert response["Preference-Applied"] == "respond-async"
    assert not Lead.objects.exists()


def test_it_queues_one_take_with_the_arrival(key):
    arrival = later(key, ADA).json()["arrival"]
    assert list(DBTaskResult.objects.filter(task_path=TAKE_PATH)
                .values_list("args_kwargs", flat=True)) == [{"args": [arrival], "kwargs": {}}]


def test_it_takes_an_arrival_into_a_lead_the_sender_reads_back(key):
    arrival = later(key, {**ADA, "source": make_source("Webinars").name}).json()["arrival"]
    assert take_arrivals([arrival]) == ["taken"]
    body = read(key, arrival).json()
    lead = Lead.objects.get()
    assert (body["status"], body["lead"], body["created"]) == ("taken", lead.pk, True)
    inquiry = Inquiry.objects.get(pk=body["inquiry"])
    assert (inquiry.lead, inquiry.channel, inquiry.source.name) == (lead, "api", "Webinars")


def test_it_dates_the_lead_from_its_arrival_not_its_take(key, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    arrival = later(key, ADA).json()["arrival"]
    arrived = Arrival.objects.get().received_at
    time_machine.shift(timedelta(seconds=40))
    take_arrivals([arrival])
    assert Lead.objects.get().created_at == arrived


def test_it_refuses_a_bad_field_at_the_door_and_keeps_nothing(key):
    response = later(key, {**ADA, "email": 42})
    assert (response.status_code, response.json()["field"]) == (422, "email")
    assert not Arrival.objects.exists()


def test_it_takes_an_arrival_once_when_taken_twice(key):
    arrival = later(key, ADA).json()["arrival"]
    assert take_arrivals([arrival, arrival]) == ["taken", "taken"]
    assert take_arrivals([arrival]) == ["taken"]
    assert Inquiry.objects.count() == 1


def test_it_keeps_the_reason_when_intake_refuses_an_arrival_later(key):
    arrival = later(key, ADA).json()["arrival"]
    # Checked at the door; what intake refuses later is kept with the reason.
    Arrival.objects.filter(pk=arrival).update(payload={"notes": "no email, no phone, no name"})
    assert take_arrivals([arrival]) == ["refused"]
    body = read(key, arrival).json()
    assert body["status"] == "refused" and body["detail"]
    assert not Lead.objects.exists()


def test_it_replays_the_same_arrival_for_a_retried_request(key):
    first = later(key, ADA, **{"Idempotency-Key": "order-1"})
    again = later(key, ADA, **{"Idempotency-Key": "order-1"})
    assert (again.status_code, again["Idempotent-Replayed"]) == (202, "true")
    assert again.json()["arrival"] == first.json()["arrival"]
    assert again["Location"] == first["Location"]
    assert Arrival.objects.count() == 1


def test_it_hides_an_arrival_from_another_key(key):
    arrival = later(key, ADA).json()["arrival"]
    other = make_key(None, scopes=("intake",), name="other")
    assert read(other, arrival).status_code == 404


def test_it_answers_synchronously_without_the_preference(key):
    response = Client().post("/api/v1/leads", json.dumps(ADA), content_type="application/json",
                             headers={"Authorization": f"Bearer {key}", "Prefer": "return=minimal"})
    assert response.status_code == 201 and not response.has_header("Preference-Applied")


def test_it_queues_a_lost_take_again_after_a_while(key, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    arrival = later(key, ADA).json()["arrival"]
    DBTaskResult.objects.filter(task_path=TAKE_PATH).delete()  # the task was lost
    assert requeue_waiting() == 0  # too soon: its task may be on its way
    time_machine.shift(timedelta(minutes=5))
    assert requeue_waiting() == 1
    assert requeue_waiting() == 0  # queued now: not twice
    assert DBTaskResult.objects.get(task_path=TAKE_PATH).args_kwargs["args"] == [arrival]


@pytest.mark.django_db(transaction=True)
def test_it_takes_an_arrival_once_when_two_workers_reach_it_at_once():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database does not run writers in parallel")
    key = make_key(None, scopes=("intake",))
    arrivals = [later(key, {**ADA, "email": f"ada{n}@analytical.example"}).json()["arrival"]
                for n in range(10)]
    at_once(lambda: take_arrivals(arrivals), threads=2)
    assert Inquiry.objects.count() == 10 and Lead.objects.count() == 10
