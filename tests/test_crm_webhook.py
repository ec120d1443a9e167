"""POST /api/v1/webhooks/crm: signed outcomes from the CRM, replays harmless."""

import json

import pytest
from django.test import Client

from leadgate.api.crm_webhook import SIGNATURE_HEADER, sign
from leadgate.handoff import flow
from leadgate.leads.models import Outcome
from leadgate.leads.transitions import advance
from leadgate.workspace.models import Qualification
from tests.factories import make_lead

pytestmark = pytest.mark.django_db
SECRET = "crm-shared-secret"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.LEADGATE_CRM_WEBHOOK_SECRET = SECRET


@pytest.fixture
def lead(alice, sam):
    lead = make_lead(owner=alice)
    advance(lead, "working", by=alice)
    Qualification.objects.create(lead=lead, cycle=lead.cycle, verdict="sales_ready", by=alice)
    flow.accept(flow.send(lead, by=alice, to_user=sam, dossier={}), by=sam)
    lead.refresh_from_db()
    return lead


def deliver(body, *, secret=SECRET, signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if signature is not False:
        headers[f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}"] = (
            signature or sign(secret, raw))
    return Client().post("/api/v1/webhooks/crm", raw, content_type="application/json", **headers)


def test_it_records_a_signed_win(lead):
    response = deliver({"lead_id": lead.pk, "kind": "won", "amount": 4200, "event_id": "e1"})
    assert response.status_code == 201, response.json()
    assert Outcome.objects.get(lead=lead, kind="won").amount == 4200


def test_it_records_a_loss_found_by_email(lead):
    deliver({"email": lead.email, "kind": "lost", "reason": "no budget", "event_id": "e2",
             "at": "2024-02-01T09:00:00Z"})
    lost = Outcome.objects.get(lead=lead, kind="lost")
    assert (lost.reason, lost.at.date().isoformat()) == ("no budget", "2024-02-01")


def test_it_records_a_win_found_by_the_opportunity_id(lead):
    deliver({"lead_id": lead.pk, "kind": "opportunity", "external_id": "OPP-9",
             "event_id": "e3"})
    response = deliver({"external_id": "OPP-9", "kind": "won", "event_id": "e4"})
    assert response.json()["lead_id"] == lead.pk
    assert Outcome.objects.filter(lead=lead, kind="won").exists()


def test_it_takes_a_replayed_event_as_a_no_op(lead):
    event = {"lead_id": lead.pk, "kind": "won", "amount": 4200, "event_id": "e5"}
    deliver(event)
    response = deliver(event)
    assert (response.status_code, response.json()["status"]) == (200, "duplicate")
    assert Outcome.objects.filter(lead=lead, kind="won").count() == 1


def test_it_ignores_news_of_an_opportunity_after_the_win(lead):
    deliver({"lead_id": lead.pk, "kind": "won", "event_id": "e6"})
    response = deliver({"lead_id": lead.pk, "kind": "opportunity", "event_id": "e7"})
    assert (response.status_code, response.json()["status"]) == (200, "ignored")


def test_it_refuses_a_bad_signature(lead):
    response = deliver({"lead_id": lead.pk, "kind": "won", "event_id": "e8"},
                       signature="sha256=" + "0" * 64)
    assert response.status_code == 401
    assert not Outcome.objects.filter(lead=lead, kind="won").exists()


def test_it_refuses_a_body_signed_with_another_secret(lead):
    response = deliver({"lead_id": lead.pk, "kind": "won", "event_id": "e9"}, secret="other")
    assert response.status_code == 401


def test_it_refuses_a_missing_signature(lead):
    response = deliver({"lead_id": lead.pk, "kind": "won", "event_id": "e10"}, signature=False)
    assert response.status_code == 401


def test_it_is_off_without_a_secret(lead, settings):
    settings.LEADGATE_CRM_WEBHOOK_SECRET = ""
    response = deliver({"lead_id": lead.pk, "kind": "won", "event_id": "e11"}, secret="")
    assert response.status_code == 404


def test_it_refuses_an_event_without_an_id(lead):
    response = deliver({"lead_id": lead.pk, "kind": "won"})
    assert (response.status_code, response.json()["field"]) == (422, "event_id")


def test_it_refuses_a_loss_without_a_reason(lead):
    response = deliver({"lead_id": lead.pk, "kind": "lost", "event_id": "e12"})
    assert (response.status_code, response.json()["field"]) == (422, "reason")


def test_it_refuses_an_outcome_on_a_lead_never_accepted(alice):
    other = make_lead(owner=alice)
    response = deliver({"lead_id": other.pk, "kind": "won", "event_id": "e13"})
    assert (response.status_code, response.json()["field"]) == (422, "stage")


def test_it_answers_404_for_an_unknown_lead(lead):
    response = deliver({"email": "ghost@nowhere.example", "kind": "won", "event_id": "e14"})
    assert (response.status_code, response.json()["field"]) == (404, "email")


def test_it_refuses_a_body_that_is_not_json(lead):
    response = deliver(b"{not json")
    assert (response.status_code, response.json()["field"]) == (422, "body")
