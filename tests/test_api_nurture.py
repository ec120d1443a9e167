"""Nurture over the API: enroll a lead, stop its cadence, and the live
enrollment on the lead's detail."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Task
from leadgate.leads.transitions import advance
from leadgate.nurture import engine
from leadgate.nurture.models import Cadence, CadenceVersion, Enrollment
from tests.api_helpers import api_get, api_post, bearer, make_key
from tests.factories import make_lead, make_user
from tests.nurture_factories import email_step, make_cadence, task_step, wait_step

pytestmark = pytest.mark.django_db

# A Monday, 09:00 UTC.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def first(db):
    """The cadence new enrollments take: an email, a wait, a call."""
    return make_cadence(email_step(), wait_step(3), task_step(), name="Long-term",
                        role=Cadence.Role.FIRST)


def enroll(key, lead, body=None, **headers):
    return Client().post(f"/api/v1/leads/{lead.pk}/nurture", body or {},
                         content_type="application/json", **bearer(key), **headers)


def test_it_enrolls_a_lead_in_the_first_cadence_and_moves_it_to_nurture(alice, first, now):
    lead = make_lead(owner=alice)
    response = enroll(make_key(alice), lead, {"reason": "budget next year"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["cadence"], body["trigger"], body["status"]) == (
        {"id": first.pk, "name": "Long-term"}, "api", "active")
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE
    assert lead.stage_changes.last().reason == "budget next year"


def test_it_answers_where_the_new_enrollment_stands(alice, first, now):
    body = enroll(make_key(alice), make_lead(owner=alice)).json()
    assert {key: body[key] for key in ("version", "cycle", "step", "steps", "next_step",
                                       "resting_until")} == {
        "version": 1, "cycle": 1, "step": 1, "steps": 3, "resting_until": None,
        "next_step": {"kind": "auto_email", "due_at": "2026-03-02T09:00:00Z"}}


def test_it_enrolls_in_a_cadence_named_by_name(alice, first, now):
    other = make_cadence(name="Webinar follow-up")
    response = enroll(make_key(alice), make_lead(owner=alice), {"cadence": "Webinar follow-up"})
    assert response.json()["cadence"]["id"] == other.pk


def test_it_enrolls_in_a_cadence_named_by_id(alice, first, now):
    other = make_cadence(name="Webinar follow-up")
    response = enroll(make_key(alice), make_lead(owner=alice), {"cadence": other.pk})
    assert response.json()["cadence"]["name"] == "Webinar follow-up"


def test_it_refuses_an_unknown_cadence(alice, first, now):
    response = enroll(make_key(alice), make_lead(owner=alice), {"cadence": "Nope"})
    assert (response.status_code, response.json()["field"]) == (422, "cadence")


def test_it_refuses_an_archived_cadence(alice, first, now):
    old = make_cadence(name="Old track")
    Cadence.objects.filter(pk=old.pk).update(archived_at=timezone.now())
    response = enroll(make_key(alice), make_lead(owner=alice), {"cadence": old.pk})
    assert (response.status_code, response.json()["field"]) == (422, "cadence")


def test_it_refuses_a_cadence_without_steps(alice, now):
    empty = Cadence.objects.create(name="Draft")
    CadenceVersion.objects.create(cadence=empty, number=1)
    response = enroll(make_key(alice), make_lead(owner=alice), {"cadence": "Draft"})
    assert (response.status_code, response.json()["field"]) == (422, "cadence")


def test_it_refuses_when_no_cadence_is_named_and_none_is_first(alice, now):
    make_cadence(name="One"), make_cadence(name="Two")
    response = enroll(make_key(alice), make_lead(owner=alice))
    assert (response.status_code, response.json()["field"]) == (422, "cadence")


def test_it_refuses_a_boolean_for_a_cadence(alice, first, now):
    response = enroll(make_key(alice), make_lead(owner=alice), {"cadence": True})
    assert (response.status_code, response.json()["field"]) == (422, "cadence")


def test_it_refuses_a_lead_already_enrolled_as_a_conflict(alice, first, now):
    lead = make_lead(owner=alice)
    key = make_key(alice)
    enroll(key, lead)
    response = enroll(key, lead)
    assert (response.status_code, response.json()["field"]) == (409, "lead")
    assert Enrollment.objects.filter(lead=lead).count() == 1


def test_it_refuses_a_lead_whose_stage_cannot_go_to_nurture(alice, first, now):
    lead = make_lead(owner=alice)
    advance(lead, Stage.DISQUALIFIED, by=None, reason="student")
    response = enroll(make_key(alice), lead)
    assert (response.status_code, response.json()["field"]) == (422, "stage")
    assert not Enrollment.objects.filter(lead=lead).exists()


def test_it_refuses_a_user_whose_role_may_not_move_the_lead_to_nurture(alice, first, now):
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=alice)
    response = enroll(make_key(make_user("marge", "marketing")), lead)
    assert (response.status_code, response.json()["field"]) == (422, "role")


def test_it_hides_a_lead_the_key_may_not_see(alice, charlie, first, now):
    response = enroll(make_key(charlie), make_lead(owner=alice))
    assert response.status_code == 404


def test_it_needs_the_write_scope_to_enroll(alice, first, now):
    response = enroll(make_key(alice, ("read",)), make_lead(owner=alice))
    assert response.status_code == 403


def test_it_enrolls_as_the_system_with_a_service_key(alice, first, now):
    lead = make_lead(owner=alice)
    response = enroll(make_key(None), lead)
    assert response.status_code == 201, response.json()
    assert Enrollment.objects.get(lead=lead).enrolled_by is None


def test_it_answers_a_retried_enrollment_with_the_first_answer(alice, first, now):
    lead = make_lead(owner=alice)
    key = make_key(alice)
    answers = [enroll(key, lead, HTTP_IDEMPOTENCY_KEY="n-1") for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert answers[0].json() == answers[1].json()
    assert Enrollment.objects.filter(lead=lead).count() == 1


def test_it_shows_no_enrollment_on_a_lead_not_nurtured(alice):
    lead = make_lead(owner=alice)
    assert api_get(make_key(alice), f"/leads/{lead.pk}").json()["enrollment"] is None


def test_it_shows_the_live_enrollment_on_the_lead(alice, first, now):
    lead = make_lead(owner=alice)
    enrollment = engine.enroll(lead, trigger="manual", by=alice)
    engine.run_due(now)  # the email: the wait is next
    shown = api_get(make_key(alice), f"/leads/{lead.pk}").json()["enrollment"]
    assert {key: shown[key] for key in ("id", "status", "step", "steps", "trigger")} == {
        "id": enrollment.pk, "status": "active", "step": 2, "steps": 3, "trigger": "manual"}
    assert shown["next_step"]["kind"] == "wait"
    assert shown["started_at"] == "2026-03-02T09:00:00Z"


def test_it_shows_a_resting_enrollment_with_the_end_of_its_rest(alice, now, settings):
    settings.LEADGATE_NURTURE_REST_DAYS = 60
    make_cadence(email_step(), role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="manual")
    engine.run_due(now)
    shown = api_get(make_key(alice), f"/leads/{lead.pk}").json()["enrollment"]
    assert (shown["status"], shown["step"], shown["next_step"], shown["resting_until"]) == (
        "resting", 1, None, "2026-05-01T09:00:00Z")


def test_it_reads_the_enrollment_in_a_few_queries(alice, first, now):
    lead = make_lead(owner=alice)
    key = make_key(alice)
    with CaptureQueriesContext(connection) as bare:
        api_get(key, f"/leads/{lead.pk}")
    engine.enroll(lead, trigger="manual")
    with CaptureQueriesContext(connection) as enrolled:
        api_get(key, f"/leads/{lead.pk}")
    # The enrollment with its cadence, and the kinds of its steps.
    assert len(enrolled) - len(bare) <= 2


def test_it_stops_the_cadence_and_gives_the_lead_back_to_the_desk(alice, first, now):
    lead = make_lead(owner=alice)
    enrollment = engine.enroll(lead, trigger="manual")
    response = api_post(make_key(alice), f"/leads/{lead.pk}/nurture/stop",
                        {"detail": "asked to talk now"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["stage"], body["enrollment"]) == (lead.pk, "working", None)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_reason, enrollment.exit_detail) == (
        "exited", "manual", "asked to talk now")
    assert Task.objects.open().filter(lead=lead, kind=Task.Kind.CAME_BACK).exists()


def test_it_stops_without_a_body(alice, first, now):
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="manual")
    response = Client().generic("POST", f"/api/v1/leads/{lead.pk}/nurture/stop", b"",
                                **bearer(make_key(alice)))
    assert (response.status_code, response.json()["stage"]) == (200, "working")


def test_it_refuses_to_stop_a_lead_not_in_nurture(alice, now):
    lead = make_lead(owner=alice)
    response = api_post(make_key(alice), f"/leads/{lead.pk}/nurture/stop", {})
    assert (response.status_code, response.json()["field"]) == (409, "lead")


def test_it_ends_the_cadence_of_a_lead_moved_out_of_nurture_a_moment_ago(alice, first, now):
    lead = make_lead(owner=alice)
    enrollment = engine.enroll(lead, trigger="manual")
    advance(lead, Stage.WORKING, by=alice)  # its reaction has not run yet
    response = api_post(make_key(alice), f"/leads/{lead.pk}/nurture/stop", {})
    assert (response.status_code, response.json()["stage"]) == (200, "working")
    enrollment.refresh_from_db()
    assert enrollment.status == "exited"


def test_it_refuses_a_stop_by_a_user_who_may_not_take_the_lead_out(alice, first, now):
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="manual")
    # Marketing sees every lead and may send one back to mql, not to working.
    response = api_post(make_key(make_user("marge", "marketing")),
                        f"/leads/{lead.pk}/nurture/stop", {})
    assert (response.status_code, response.json()["field"]) == (422, "role")
    assert engine.live_enrollment(lead) is not None


def test_it_hides_a_lead_the_key_may_not_see_when_stopping(alice, charlie, first, now):
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="manual")
    response = api_post(make_key(charlie), f"/leads/{lead.pk}/nurture/stop", {})
    assert response.status_code == 404


def test_it_answers_a_retried_stop_with_the_first_answer(alice, first, now):
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="manual")
    key = make_key(alice)
    answers = [Client().post(f"/api/v1/leads/{lead.pk}/nurture/stop", {},
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="s-1",
                             **bearer(key)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[1]["Idempotent-Replayed"] == "true"


def test_it_enrolls_again_after_a_stop(alice, first, now, time_machine):
    lead = make_lead(owner=alice)
    key = make_key(alice)
    enroll(key, lead)
    api_post(key, f"/leads/{lead.pk}/nurture/stop", {})
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    response = enroll(key, lead)
    assert (response.status_code, response.json()["cycle"]) == (201, 2)
