"""Working lead after lead (issue 16): the lead page's place in the queue, the
next lead to call, and the touch that opens it (the browser story is in
tests/test_work_queue_browser.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from leadgate.leads.models import Task
from leadgate.workspace.models import Claim
from leadgate.workspace.views import next_to_call, queue_place
from tests.factories import MET_BANT, make_lead

pytestmark = pytest.mark.django_db

# 12:00 UTC on a Tuesday: 13:00 in Paris (callable), 04:00 in Los Angeles
# (outside the calling hours: held back).
NOON = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def noon(time_machine):
    time_machine.move_to(NOON, tick=False)
    return NOON


def due(owner, hours_ago, time_zone="Europe/Paris", **fields):
    lead = make_lead(owner=owner, stage="working", time_zone=time_zone, **fields)
    Task.objects.create(lead=lead, assignee=owner, title="call",
                        due_at=NOON - timedelta(hours=hours_ago))
    return lead


def test_it_calls_next_the_first_lead_due_that_is_callable_and_free(alice, bob, noon):
    current, _asleep, taken, free = (due(alice, 5), due(alice, 4, "America/Los_Angeles"),
                                     due(alice, 3), due(alice, 2))
    Claim.objects.create(lead=taken, user=bob, expires_at=NOON + timedelta(minutes=5))
    assert next_to_call(alice, after=current).lead == free


def test_it_skips_a_lead_whose_next_step_is_set_for_later(alice, noon):
    current = due(alice, 5)
    later = make_lead(owner=alice, stage="working", time_zone="Europe/Paris")
    Task.objects.create(lead=later, assignee=alice, title="call", due_at=NOON + timedelta(days=1))
    fresh = make_lead(owner=alice, stage="working", time_zone="Europe/Paris")  # no task at all
    assert next_to_call(alice, after=current).lead == fresh
    Task.objects.create(lead=fresh, assignee=alice, title="call", due_at=NOON + timedelta(days=1))
    assert next_to_call(alice, after=current) is None


def test_it_places_the_lead_in_the_queue(alice, mia, noon):
    first, second, third = due(alice, 3), due(alice, 2), due(alice, 1)
    place = queue_place(alice, second)
    assert (place["position"], place["total"]) == (2, 3)
    assert (place["previous"].lead, place["next"].lead) == (first, third)
    # The last one: the next is the first still to call.
    assert queue_place(alice, third)["next"].lead == first
    # A manager with nothing of their own to call: no queue shown.
    assert queue_place(mia, first) is None


def post_touch(client, lead, headers=None, **data):
    data = {"channel": "call", "disposition": "no_answer", "next_title": "Call again",
            "next_due": "2025-03-05T10:00", **data}
    return client.post(f"/leads/{lead.pk}/touch", data, headers=headers)


def test_it_opens_the_next_lead_after_a_touch(client, alice, noon):
    first, second = due(alice, 2), due(alice, 1)
    client.force_login(alice)
    response = post_touch(client, first, then_next="on")
    assert response.status_code == 302 and response.url == reverse("lead", args=[second.pk])
    response = post_touch(client, second, then_next="on", headers={"HX-Request": "true"})
    # The last: nothing else due; the panel says so, with the way to the desk.
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="queue-empty"' in body and 'href="/desk/"' in body


def test_it_answers_htmx_with_a_redirect_to_the_next_lead(client, alice, noon):
    first, second = due(alice, 2), due(alice, 1)
    client.force_login(alice)
    response = post_touch(client, first, then_next="on", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("lead", args=[second.pk])


def test_it_stays_on_the_lead_when_told_to_or_when_it_is_sales_ready(client, alice, noon):
    first, second = due(alice, 2), due(alice, 1)
    client.force_login(alice)
    response = post_touch(client, first, headers={"HX-Request": "true"})  # box not ticked
    assert response.status_code == 200
    assert f'href="/leads/{second.pk}/" id="next-lead"' in response.content.decode()
    answers = {f"answer_{key}": value["value"] for key, value in MET_BANT.items()}
    mets = {f"met_{key}": "on" for key in MET_BANT}
    response = post_touch(client, second, then_next="on", verdict="sales_ready",
                          disposition="connected", **answers, **mets)
    assert response.status_code == 302 and response.url == reverse("lead", args=[second.pk])


def test_it_shows_the_queue_on_the_lead_page(client, alice, noon):
    first, second = due(alice, 2), due(alice, 1)
    client.force_login(alice)
    body = client.get(reverse("lead", args=[first.pk])).content.decode()
    assert "Lead 1 of 2 in your queue" in body
    assert f'href="/leads/{second.pk}/" id="queue-next"' in body
    assert "accesskey" not in body
