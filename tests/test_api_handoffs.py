"""The handoff API: hand off, accept, reject, list; who may act on which handoff."""

import pytest

from leadgate.handoff import flow
from leadgate.leads.models import Handoff
from leadgate.leads.transitions import advance
from leadgate.workspace.models import Qualification
from tests.api_helpers import api_get, api_post, bearer, make_key
from tests.factories import join_team, make_lead, make_user

pytestmark = pytest.mark.django_db


def sales_ready(owner):
    lead = make_lead(owner=owner, company_name="Analytical Engines")
    advance(lead, "working", by=owner)
    Qualification.objects.create(lead=lead, cycle=lead.cycle, verdict="sales_ready", by=owner)
    return lead


@pytest.fixture
def handoff(alice, sam):
    return flow.send(sales_ready(alice), by=alice, to_user=sam, dossier={"summary": "ready"})


def test_it_hands_a_sales_ready_lead_to_a_rep(alice, sam):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff",
                        {"to_user": "sam", "note": "call her Tuesday"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["to_user"], body["status"], body["note"]) == ("sam", "pending", "call her Tuesday")
    lead.refresh_from_db()
    assert lead.stage == "qualified"


def test_it_composes_the_dossier_when_none_is_sent(alice, sam):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "sam"})
    assert response.json()["dossier"]["company"]["name"] == "Analytical Engines"


def test_it_keeps_the_dossier_the_qualifier_edited(alice, sam):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff",
                        {"to_user": "sam", "dossier": {"summary": "edited by alice"}})
    assert Handoff.objects.get(pk=response.json()["id"]).dossier == {"summary": "edited by alice"}


def test_it_refuses_a_handoff_to_an_unknown_user(alice):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "nobody"})
    assert (response.status_code, response.json()["field"]) == (422, "to_user")


def test_it_refuses_a_handoff_to_someone_who_is_not_a_rep(alice, bob):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "bob"})
    assert (response.status_code, response.json()["field"]) == (422, "to_user")


def test_it_refuses_a_handoff_of_a_lead_not_qualified_as_sales_ready(alice, sam):
    lead = make_lead(owner=alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "sam"})
    assert (response.status_code, response.json()["field"]) == (422, "verdict")


def test_it_refuses_a_second_handoff_after_a_reject_until_a_new_verdict(handoff, alice, sam):
    flow.reject(handoff, by=sam, reason="bad_timing")
    lead = handoff.lead
    again = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "sam"})
    assert (again.status_code, again.json()["field"]) == (422, "verdict")
    lead.refresh_from_db()
    Qualification.objects.create(lead=lead, cycle=lead.cycle, verdict="sales_ready", by=alice)
    answered = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "sam"})
    assert answered.status_code == 201, answered.json()


def test_it_hides_a_lead_the_key_may_not_see(alice, charlie, sam):
    lead = sales_ready(alice)
    response = api_post(make_key(charlie), f"/leads/{lead.pk}/handoff", {"to_user": "sam"})
    assert response.status_code == 404


def test_it_needs_the_write_scope_to_hand_off(alice, sam):
    lead = sales_ready(alice)
    response = api_post(make_key(alice, ("read",)), f"/leads/{lead.pk}/handoff",
                        {"to_user": "sam"})
    assert response.status_code == 403


def test_it_answers_a_retried_handoff_with_the_first_answer(alice, sam):
    from django.test import Client

    lead = sales_ready(alice)
    key = make_key(alice)
    answers = [
        Client().post(f"/api/v1/leads/{lead.pk}/handoff", {"to_user": "sam"},
                      content_type="application/json", HTTP_IDEMPOTENCY_KEY="h-1", **bearer(key))
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert Handoff.objects.filter(lead=lead).count() == 1


def test_it_lets_the_rep_accept_their_handoff(handoff, sam):
    response = api_post(make_key(sam), f"/handoffs/{handoff.pk}/accept", {})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["decided_by"]) == ("accepted", "sam")
    handoff.lead.refresh_from_db()
    assert handoff.lead.stage == "accepted"


def test_it_lets_the_rep_reject_with_a_reason(handoff, sam):
    response = api_post(make_key(sam), f"/handoffs/{handoff.pk}/reject",
                        {"reason": "bad_timing", "text": "budget next year"})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reject_reason"]) == (
        "rejected", "bad_timing")


def test_it_refuses_a_reject_without_a_reason(handoff, sam):
    response = api_post(make_key(sam), f"/handoffs/{handoff.pk}/reject", {"text": "meh"})
    assert (response.status_code, response.json()["field"]) == (422, "reason")


def test_it_refuses_a_reject_with_an_unknown_reason(handoff, sam):
    response = api_post(make_key(sam), f"/handoffs/{handoff.pk}/reject", {"reason": "nope"})
    assert (response.status_code, response.json()["field"]) == (422, "reason")


def test_it_refuses_other_without_words(handoff, sam):
    response = api_post(make_key(sam), f"/handoffs/{handoff.pk}/reject", {"reason": "other"})
    assert (response.status_code, response.json()["field"]) == (422, "text")


def test_it_refuses_to_accept_a_rejected_handoff(handoff, sam):
    key = make_key(sam)
    api_post(key, f"/handoffs/{handoff.pk}/reject", {"reason": "no_budget"})
    response = api_post(key, f"/handoffs/{handoff.pk}/accept", {})
    assert (response.status_code, response.json()["field"]) == (409, "status")


def test_it_hides_another_reps_handoff(handoff):
    other = make_user("rita", "sales")
    response = api_post(make_key(other), f"/handoffs/{handoff.pk}/accept", {})
    assert response.status_code == 404
    assert Handoff.objects.get(pk=handoff.pk).status == "pending"


def test_it_lists_the_teams_pending_handoffs_with_the_team_inbox(handoff, sam, settings):
    settings.LEADGATE_HANDOFF_TEAM_INBOX = True
    sales = join_team(sam, "Sales East")
    olga = make_user("olga", "sales", team=sales)
    response = api_get(make_key(olga, ("read",)), "/handoffs", state="pending")
    assert [item["id"] for item in response.json()["items"]] == [handoff.pk]


def test_it_hides_the_handoff_from_a_qualifier(handoff, alice):
    response = api_post(make_key(alice), f"/handoffs/{handoff.pk}/reject",
                        {"reason": "not_a_fit"})
    assert response.status_code == 404


def test_it_lets_a_manager_accept_any_handoff(handoff, mia):
    response = api_post(make_key(mia), f"/handoffs/{handoff.pk}/accept", {})
    assert response.json()["status"] == "accepted"


def test_it_refuses_a_decision_by_a_service_key(handoff):
    response = api_post(make_key(), f"/handoffs/{handoff.pk}/accept", {})
    assert response.status_code == 403


def test_it_lists_a_reps_pending_handoffs_only(handoff, alice, sam):
    other = make_user("rita", "sales")
    flow.send(sales_ready(alice), by=alice, to_user=other, dossier={})
    response = api_get(make_key(sam, ("read",)), "/handoffs", state="pending")
    assert [h["id"] for h in response.json()["items"]] == [handoff.pk]


def test_it_lists_every_handoff_for_a_manager(handoff, alice, mia):
    flow.send(sales_ready(alice), by=alice, to_user=make_user("rita", "sales"), dossier={})
    response = api_get(make_key(mia, ("read",)), "/handoffs", state="pending")
    assert response.json()["count"] == 2


def test_it_lists_every_handoff_for_a_service_key(handoff):
    response = api_get(make_key(None, ("read",)), "/handoffs")
    assert [h["id"] for h in response.json()["items"]] == [handoff.pk]


def test_it_filters_the_list_by_state(handoff, sam):
    flow.accept(handoff, by=sam)
    response = api_get(make_key(sam, ("read",)), "/handoffs", state="pending")
    assert response.json()["items"] == []


def test_it_refuses_an_unknown_state(handoff, sam):
    response = api_get(make_key(sam, ("read",)), "/handoffs", state="maybe")
    assert (response.status_code, response.json()["field"]) == (422, "state")


def test_it_lists_the_error_of_a_refused_handoff_like_every_422(alice):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "ghost"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "to_user"
    assert [error["field"] for error in body["errors"]] == ["to_user"]


def test_it_composes_a_dossier_from_answers_kept_as_plain_words(alice, sam):
    lead = sales_ready(alice)
    Qualification.objects.filter(lead=lead).update(
        answers={"need": "a CRM for 40 reps", "budget": "approved", "timeframe": 3})
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff", {"to_user": "sam"})
    assert response.status_code == 201, response.content
    answers = {a["key"]: a["value"] for a in
               Handoff.objects.get(lead=lead).dossier["qualification"]["answers"]}
    assert answers["need"] == "a CRM for 40 reps"


@pytest.mark.parametrize("dossier, field", [
    ({"touches": [1, 2]}, "dossier.touches"),
    ({"who": "Ada"}, "dossier.who"),
    ({"pains": "money"}, "dossier.pains"),
    ({"summary": {"a": 1}}, "dossier.summary"),
])
def test_it_refuses_a_dossier_of_the_wrong_shape_naming_the_part(alice, sam, dossier, field):
    lead = sales_ready(alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/handoff",
                        {"to_user": "sam", "dossier": dossier})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Handoff.objects.filter(lead=lead).exists()
