"""GET /api/v1/leads/{id} shows the lead's SLA clock: the current cycle's
latest, running, met, breached, or none; documented in the OpenAPI schema."""

from datetime import UTC, datetime, timedelta

import pytest

from leadgate.intake.models import Inquiry
from leadgate.leads.transitions import advance
from leadgate.routing.sla import check_breaches, start_clock
from leadgate.workspace.touches import log_touch
from tests.api_helpers import api_get, make_key
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DUE = "2026-03-02T09:05:00Z"


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def hot(now, alice):
    """alice's lead, with the 5-minute clock of a hot request running."""
    lead = make_lead(owner=alice)
    start_clock(lead, Inquiry.objects.create(lead=lead, channel="form", is_hot=True), now=now)
    return lead


def sla_of(lead, user):
    response = api_get(make_key(user), f"/leads/{lead.pk}")
    assert response.status_code == 200, response.content
    return response.json()["sla"]


def test_it_shows_a_running_clock(hot, alice):
    assert sla_of(hot, alice) == {
        "policy": "hot_inbound", "minutes": 5, "state": "running",
        "started_at": "2026-03-02T09:00:00Z", "due_at": DUE, "responded_at": None,
        "breached": False, "breached_at": None}


def test_it_shows_a_clock_met_by_the_first_call(hot, alice, time_machine):
    time_machine.move_to(T0 + timedelta(minutes=3), tick=False)
    log_touch(hot, alice, channel="call", disposition="no_answer",
              next_step=("Call again", T0 + timedelta(days=1)))
    sla = sla_of(hot, alice)
    assert (sla["state"], sla["responded_at"], sla["breached"]) == (
        "met", "2026-03-02T09:03:00Z", False)


def test_it_shows_a_breached_clock(hot, alice, time_machine):
    time_machine.move_to(T0 + timedelta(minutes=6), tick=False)
    assert check_breaches() == 1  # nobody else in the team: the lead stays
    sla = sla_of(hot, alice)
    assert (sla["state"], sla["breached"], sla["breached_at"], sla["responded_at"]) == (
        "breached", True, "2026-03-02T09:06:00Z", None)


def test_it_calls_a_running_clock_past_due_breached_before_the_check_records_it(
        hot, alice, time_machine):
    time_machine.move_to(T0 + timedelta(minutes=6), tick=False)
    sla = sla_of(hot, alice)
    assert (sla["state"], sla["breached"], sla["breached_at"]) == ("running", True, None)


def test_it_shows_no_clock_for_a_lead_that_started_none(now, alice):
    assert sla_of(make_lead(owner=alice), alice) is None


def test_it_shows_no_clock_of_an_earlier_cycle(hot, alice):
    advance(hot, "working", by=alice)
    advance(hot, "disqualified", by=alice, reason="no budget")
    hot.start_new_cycle(by=alice)
    assert sla_of(hot, alice) is None


def test_it_documents_the_clock_in_the_openapi_schema(client, db):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["LeadDetailOut"]["properties"]["sla"]["anyOf"][0] == {
        "$ref": "#/components/schemas/SlaOut"}
    assert set(schemas["SlaOut"]["properties"]) == {
        "policy", "minutes", "state", "started_at", "due_at", "responded_at", "breached",
        "breached_at"}
