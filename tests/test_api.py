"""The REST API under /api/v1/: who sees which lead, moving stages, and errors
that are JSON naming the field rather than 500s."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from leadgate.intake.models import Inquiry
from leadgate.leads.models import Handoff, Outcome, StageChange
from leadgate.leads.transitions import advance
from tests.api_helpers import api_get, api_post, bearer, make_key
from tests.factories import hand_off, make_account, make_campaign, make_lead, qualify_sales_ready


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# --- who sees what -----------------------------------------------------------


def test_it_lists_the_owners_lead_to_her_key(alice):
    lead = make_lead(alice)
    assert ids(api_get(make_key(alice), "/leads")) == {lead.pk}


def test_it_lists_a_lead_to_a_teammates_key(alice, bob):
    lead = make_lead(alice)
    assert lead.pk in ids(api_get(make_key(bob), "/leads"))


def test_it_leaves_an_outsiders_lead_out_of_the_list(alice, charlie):
    make_lead(alice)
    own = make_lead(charlie)
    assert ids(api_get(make_key(charlie), "/leads")) == {own.pk}


def test_it_answers_404_to_an_outsider_opening_a_lead(alice, charlie):
    lead = make_lead(alice)
    response = api_get(make_key(charlie), f"/leads/{lead.pk}")
    assert response.status_code == 404
    # The same answer as for a lead that does not exist.
    missing = api_get(make_key(charlie), "/leads/999999")
    assert response.json() == missing.json()


def test_it_shows_every_lead_to_a_service_key(alice, charlie):
    leads = {make_lead(alice).pk, make_lead(charlie).pk}
    assert ids(api_get(make_key(None), "/leads")) == leads


def test_it_filters_the_list_by_stage(alice):
    working = make_lead(alice)
    advance(working, "working", by=alice)
    make_lead(alice)
    assert ids(api_get(make_key(alice), "/leads", stage="working")) == {working.pk}


def test_it_filters_the_list_by_owner_username(alice, bob):
    mine = make_lead(alice)
    make_lead(bob)
    assert ids(api_get(make_key(bob), "/leads", owner="alice")) == {mine.pk}


def test_it_paginates_the_list(alice):
    for _ in range(3):
        make_lead(alice)
    body = api_get(make_key(alice), "/leads", limit=2, offset=0).json()
    rest = api_get(make_key(alice), "/leads", limit=2, offset=2).json()
    assert body["count"] == 3 and len(body["items"]) == 2 and len(rest["items"]) == 1
    assert not {i["id"] for i in body["items"]} & {i["id"] for i in rest["items"]}


def test_it_rejects_an_unknown_stage_filter_naming_the_field(alice):
    response = api_get(make_key(alice), "/leads", stage="bogus")
    assert response.status_code == 422
    assert response.json()["field"] == "stage"


def test_it_rejects_an_oversized_offset_instead_of_failing(alice):
    response = api_get(make_key(alice), "/leads", offset=10**20)
    assert response.status_code == 422
    assert response.json()["field"] == "offset"


# --- lead detail --------------------------------------------------------------


def test_it_returns_a_lead_with_its_history_and_inquiries(alice):
    campaign = make_campaign(name="Spring webinar")
    lead = make_lead(
        alice, account=make_account("Initech"), source=campaign.source, campaign=campaign
    )
    advance(lead, "working", by=alice, reason="called back")
    body = api_get(make_key(alice), f"/leads/{lead.pk}").json()
    assert (body["stage"], body["cycle"], body["owner"]) == ("working", 1, "alice")
    assert body["team"] == "Qualifiers EMEA" and body["account"] == "Initech"
    assert body["campaign"] == "Spring webinar" and body["source"] == campaign.source.name
    assert [(h["from_stage"], h["to_stage"], h["by"]) for h in body["history"]] == [
        ("", "inquiry", None), ("inquiry", "working", "alice")
    ]
    assert body["history"][1]["reason"] == "called back"
    assert body["inquiries"]["count"] == Inquiry.objects.filter(lead=lead).count() == 1
    assert body["inquiries"]["items"][0]["channel"] == "form"


def test_it_shows_a_lead_to_a_teammate(alice, bob):
    lead = make_lead(alice)
    assert api_get(make_key(bob), f"/leads/{lead.pk}").status_code == 200


# --- moving stages --------------------------------------------------------------


def test_it_moves_a_lead_and_records_who_moved_it(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "working", "reason": "first call"})
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "working"
    change = StageChange.objects.filter(lead=lead).latest("pk")
    assert (change.to_stage, change.by, change.reason) == ("working", alice, "first call")
    lead.refresh_from_db()
    assert lead.stage == "working"


def test_it_moves_as_the_system_with_a_service_key(alice):
    lead = make_lead(alice)
    response = api_post(make_key(None), f"/leads/{lead.pk}/stage", {"stage": "mql"})
    assert response.status_code == 200
    assert StageChange.objects.filter(lead=lead).latest("pk").by is None


def test_it_refuses_an_illegal_move_with_the_reason(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage", {"stage": "won"})
    assert response.status_code == 422
    body = response.json()
    assert "cannot move from 'inquiry' to 'won'" in body["detail"]
    assert body["field"] == "stage"
    lead.refresh_from_db()
    assert lead.stage == "inquiry"


def test_it_refuses_a_move_the_users_role_does_not_allow(alice, sam):
    lead = make_lead(alice)
    hand_off(lead, alice, sam)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage", {"stage": "accepted"})
    assert response.status_code == 422
    assert response.json()["field"] == "role"


def test_it_refuses_the_qualified_move_naming_verdict(alice, sam):
    # A working lead with no answers: the stage move would hand sales an empty dossier.
    lead = make_lead(alice)
    advance(lead, "working", by=alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "qualified", "to_user": "sam"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "verdict"
    assert "handoff" in body["detail"]
    lead.refresh_from_db()
    assert lead.stage == "working"
    assert not Handoff.objects.exists()


def test_it_refuses_the_qualified_move_of_a_sales_ready_lead_outside_the_handoff(alice, sam):
    lead = make_lead(alice)
    qualify_sales_ready(lead, alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "qualified", "to_user": "sam"})
    assert response.status_code == 422
    assert response.json()["field"] == "verdict"
    assert not Handoff.objects.exists()


def test_it_names_to_user_when_the_user_does_not_exist(alice):
    lead = make_lead(alice)
    advance(lead, "working", by=alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "qualified", "to_user": "ghost"})
    assert response.status_code == 422
    assert response.json()["field"] == "to_user"


def test_it_records_the_amount_of_an_opportunity(alice, sam):
    lead = make_lead(alice)
    hand_off(lead, alice, sam)
    api_post(make_key(sam), f"/leads/{lead.pk}/stage", {"stage": "accepted"})
    response = api_post(make_key(sam), f"/leads/{lead.pk}/stage",
                        {"stage": "opportunity", "amount": "12500.50"})
    assert response.status_code == 200, response.content
    assert Outcome.objects.get(lead=lead).amount == Decimal("12500.50")


def test_it_answers_404_to_an_outsider_moving_a_lead(alice, charlie):
    lead = make_lead(alice)
    response = api_post(make_key(charlie), f"/leads/{lead.pk}/stage", {"stage": "working"})
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.stage == "inquiry"


def test_it_refuses_to_qualify_a_lead_twice(alice, sam):
    lead = make_lead(alice)
    hand_off(lead, alice, sam)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "qualified", "to_user": "sam"})
    # 422 from the lifecycle, or 409 if the database's one-pending-handoff rule trips first.
    assert response.status_code in (409, 422)
    assert response.json()["detail"]
    assert Handoff.objects.filter(lead=lead).count() == 1


# --- bad input ------------------------------------------------------------------


def test_it_answers_422_to_malformed_json(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage", '{"stage": ')
    assert response.status_code == 422
    assert response.json()["field"] == "body"


def test_it_answers_422_naming_a_field_of_the_wrong_type(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage", {"stage": ["working"]})
    assert response.status_code == 422
    assert response.json()["field"] == "stage"


def test_it_answers_422_naming_a_missing_field(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage", {"reason": "x"})
    assert response.status_code == 422
    assert response.json()["field"] == "stage"


def test_it_answers_422_to_an_amount_too_large_to_store(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "working", "amount": "1e30"})
    assert response.status_code == 422
    assert response.json()["field"] == "amount"


def test_it_answers_422_to_a_nul_character(alice):
    lead = make_lead(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/stage",
                        {"stage": "working", "reason": "a\x00b"})
    assert response.status_code == 422
    assert response.json()["field"] == "reason"


def test_it_answers_404_for_a_lead_id_beyond_the_database_range(alice):
    response = api_get(make_key(alice), f"/leads/{10**20}")
    assert response.status_code == 404


# --- the spec and the docs ------------------------------------------------------


def test_it_serves_the_openapi_spec_listing_the_paths(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/leads", "/api/v1/leads/{lead_id}", "/api/v1/leads/{lead_id}/stage"} <= set(
        paths
    )


def test_it_serves_the_interactive_docs(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content


def test_it_answers_a_retried_stage_move_with_the_first_answer(alice):
    lead = make_lead(alice)
    key = make_key(alice)
    body = json.dumps({"stage": "working", "reason": "first call"})
    headers = {**bearer(key), "HTTP_IDEMPOTENCY_KEY": "move-42-working"}
    first = Client().post(f"/api/v1/leads/{lead.pk}/stage", body,
                          content_type="application/json", **headers)
    retry = Client().post(f"/api/v1/leads/{lead.pk}/stage", body,
                          content_type="application/json", **headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert StageChange.objects.filter(lead=lead, to_stage="working").count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_answers_json_404_to_an_unknown_api_path(client, method):
    response = getattr(client, method)("/api/v1/no/such/thing")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert "no such endpoint" in response.json()["detail"]
