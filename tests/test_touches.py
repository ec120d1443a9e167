"""Logging a touch: a next step or a verdict, every verdict path, and what a
touch implies (tasks, stage, qualification, score, the owner's queue)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import HttpRequest

from leadgate.leads.models import Event, StageChange, Task, Touch
from leadgate.routing.models import Alert  # noqa: F401 - the routing app is installed
from leadgate.scoring.models import LeadScore
from leadgate.workspace.models import Qualification
from leadgate.workspace.touches import DISQUALIFY_REASONS, NextStep, TouchError, log_touch
from tests.factories import PASSWORD, make_lead
from tests.test_rules import engagement, make_rules

pytestmark = [pytest.mark.django_db]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
BANT_MET = {"need": {"value": "reporting takes days", "met": True},
            "authority": {"value": "decision maker", "met": True},
            "timeframe": {"value": "this quarter", "met": True}}


@pytest.fixture
def now(db, time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def lead(now, alice):
    return make_lead(owner=alice, stage="mql", time_zone="Europe/Paris", phone="+33 1 23 45 67 89")


def call(lead, actor, **kwargs):
    kwargs.setdefault("channel", "call")
    kwargs.setdefault("disposition", "no_answer")
    return log_touch(lead, actor, **kwargs)


def tomorrow_step(title="Call again"):
    return NextStep(title, T0 + timedelta(days=1))


def refused(lead, actor, **kwargs) -> TouchError:
    with pytest.raises(TouchError) as caught:
        call(lead, actor, **kwargs)
    return caught.value


def test_it_refuses_a_touch_without_a_next_step_or_a_verdict(lead, alice):
    error = refused(lead, alice)
    assert error.field == "next_step" and "next step" in error.message
    assert not Touch.objects.exists()


def test_it_refuses_a_next_step_due_in_the_past(lead, alice):
    error = refused(lead, alice, next_step=NextStep("Call again", T0 - timedelta(minutes=1)))
    assert error.field == "next_due"
    assert not Touch.objects.exists()


def test_it_names_an_unknown_disposition(lead, alice):
    assert refused(lead, alice, disposition="shrug", next_step=tomorrow_step()).field == (
        "disposition")


def test_it_saves_a_touch_with_a_next_step_in_the_current_cycle(lead, alice):
    touch = call(lead, alice, notes="rang 6 times", next_step=tomorrow_step())
    assert (touch.cycle, touch.actor, touch.at, touch.notes) == (1, alice, T0, "rang 6 times")


def test_it_closes_the_open_tasks_and_creates_the_next_one(lead, alice, bob):
    old = Task.objects.create(lead=lead, assignee=alice, title="First call", due_at=T0)
    call(lead, bob, next_step=NextStep("Try by email", T0 + timedelta(days=2), "follow_up"))
    old.refresh_from_db()
    assert old.done_at == T0
    task = Task.objects.get(lead=lead, done_at__isnull=True)
    # The owner's next step, even when a teammate logged the touch.
    assert (task.title, task.assignee, task.due_at) == ("Try by email", alice,
                                                        T0 + timedelta(days=2))


def test_it_assigns_the_next_step_to_the_actor_when_the_lead_has_no_owner(now, alice):
    lead = make_lead(team=alice.team, stage="mql")
    call(lead, alice, next_step=tomorrow_step())
    assert Task.objects.get(lead=lead).assignee == alice


def test_it_moves_an_mql_to_working_on_the_first_touch(lead, alice):
    call(lead, alice, next_step=tomorrow_step())
    lead.refresh_from_db()
    assert lead.stage == "working"
    assert StageChange.objects.filter(lead=lead, to_stage="working", by=alice).count() == 1


def test_it_leaves_a_working_lead_in_working(lead, alice):
    call(lead, alice, next_step=tomorrow_step())
    call(lead, alice, next_step=tomorrow_step())
    assert StageChange.objects.filter(lead=lead, to_stage="working").count() == 1


def test_it_tells_the_owners_queue(lead, alice, bob):
    call(lead, bob, next_step=tomorrow_step())
    assert Event.objects.filter(owner_id=alice.pk, lead_id=lead.pk, kind="touch.logged").exists()


def test_it_rescores_the_lead_with_touch_rules(lead, alice, django_capture_on_commit_callbacks):
    make_rules(engagement("Connected call", "touch:call:connected", 30))
    with django_capture_on_commit_callbacks(execute=True):
        call(lead, alice, disposition="connected", next_step=tomorrow_step())
    assert LeadScore.objects.get(lead=lead).engagement == 30


def test_it_records_qualification_answers(lead, alice):
    call(lead, alice, next_step=tomorrow_step(), answers={"need": "reporting takes days"})
    qualification = Qualification.objects.get(lead=lead)
    assert (qualification.framework, qualification.verdict) == ("bant", "")
    assert qualification.answers == {"need": {"value": "reporting takes days", "met": True}}


def test_it_refuses_an_answer_outside_the_questions_choices(lead, alice):
    error = refused(lead, alice, next_step=tomorrow_step(), answers={"authority": "the cat"})
    assert error.field == "answer_authority" and "decision maker" in error.message


def test_it_refuses_sales_ready_naming_the_missing_questions(lead, alice):
    error = refused(lead, alice, verdict="sales_ready",
                    answers={"need": {"value": "reporting", "met": True}})
    assert error.field == "answers" and error.missing == ["authority", "timeframe"]
    assert "authority, timeframe" in error.message
    assert not Touch.objects.exists() and not Qualification.objects.exists()


def test_it_accepts_sales_ready_when_the_short_term_questions_are_met(lead, alice):
    call(lead, alice, disposition="connected", verdict="sales_ready", answers=BANT_MET)
    lead.refresh_from_db()
    assert lead.stage == "working"  # on the desk until the handoff
    assert Qualification.objects.get(lead=lead).verdict == "sales_ready"
    task = Task.objects.get(lead=lead, done_at__isnull=True)
    assert (task.title, task.due_at, task.assignee) == ("Hand off to sales", T0, alice)


def test_it_keeps_answers_from_earlier_touches_for_sales_ready(lead, alice):
    call(lead, alice, next_step=tomorrow_step(), answers={"need": BANT_MET["need"]})
    call(lead, alice, disposition="connected", verdict="sales_ready",
         answers={k: BANT_MET[k] for k in ("authority", "timeframe")})
    assert Qualification.objects.latest("pk").answers == BANT_MET


def test_it_refuses_long_term_without_a_recontact_date(lead, alice):
    assert refused(lead, alice, verdict="long_term").field == "recontact_on"


def test_it_nurtures_a_long_term_lead_with_a_recontact_task_at_ten_local(lead, alice):
    call(lead, alice, disposition="connected", verdict="long_term",
         recontact_on=date(2026, 9, 1))
    lead.refresh_from_db()
    assert lead.stage == "nurture"
    assert Qualification.objects.get(lead=lead).recontact_on == date(2026, 9, 1)
    task = Task.objects.get(lead=lead, done_at__isnull=True)
    # 10:00 in Paris (summer time, UTC+2).
    assert (task.kind, task.due_at) == ("recontact", datetime(2026, 9, 1, 8, 0, tzinfo=UTC))


def test_it_refuses_not_a_fit_without_a_reason_from_the_list(lead, alice):
    error = refused(lead, alice, verdict="not_a_fit", reason="they were rude")
    assert error.field == "reason" and "no budget" in error.message


def test_it_disqualifies_a_lead_not_a_fit_with_its_reason(lead, alice):
    assert "student/job seeker" in DISQUALIFY_REASONS
    call(lead, alice, disposition="connected", verdict="not_a_fit", reason="student/job seeker")
    lead.refresh_from_db()
    assert lead.stage == "disqualified"
    assert StageChange.objects.get(lead=lead, to_stage="disqualified").reason == (
        "not a fit: student/job seeker")
    assert Qualification.objects.get(lead=lead).reason == "student/job seeker"
    assert not Task.objects.filter(lead=lead, done_at__isnull=True).exists()


def test_it_refuses_unresponsive_before_the_attempt_plan_is_done(lead, alice):
    error = refused(lead, alice, verdict="unresponsive")
    assert error.field == "verdict" and "6 attempts" in error.message
    assert not Touch.objects.exists()


def test_it_nurtures_an_unresponsive_lead_after_the_attempt_plan(lead, alice, time_machine):
    for day, channel in [(0, "call"), (1, "email"), (3, "call"), (5, "voicemail"), (8, "call")]:
        time_machine.move_to(T0 + timedelta(days=day), tick=False)
        call(lead, alice, channel=channel, next_step=NextStep("Again", T0 + timedelta(days=20)))
    time_machine.move_to(T0 + timedelta(days=11), tick=False)
    call(lead, alice, verdict="unresponsive")
    lead.refresh_from_db()
    assert lead.stage == "nurture"
    assert Qualification.objects.get(lead=lead).verdict == "unresponsive"


def test_it_refuses_a_touch_on_a_closed_lead(now, alice):
    lead = make_lead(owner=alice, stage="disqualified")
    assert refused(lead, alice, next_step=tomorrow_step()).field == "stage"


def post_touch(client, lead, headers=None, **data):
    data.setdefault("channel", "call")
    data.setdefault("disposition", "no_answer")
    return client.post(f"/leads/{lead.pk}/touch", data, headers=headers)


def test_it_logs_a_touch_from_the_form_and_redirects(client, lead, alice):
    # The log-in throttle (axes) counts attempts by request; a blank one will do.
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    response = post_touch(client, lead, next_title="Call again", next_due="2026-03-03T10:00")
    assert response.status_code == 302
    assert Task.objects.get(lead=lead).due_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_it_shows_a_refused_touch_at_its_field_keeping_the_input(client, lead, alice):
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    response = post_touch(client, lead, notes="left a message", verdict="not_a_fit")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="touch-reason-error"' in body and "left a message</textarea>" in body


def test_it_answers_htmx_with_the_panel(client, lead, alice):
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    response = post_touch(client, lead, next_title="Call again", next_due="2026-03-03T10:00",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="lead-panel"' in response.content.decode()
    assert "Touch logged" in response.content.decode()


def test_it_hides_leads_of_other_teams(client, lead, charlie):
    client.login(request=HttpRequest(), username="charlie", password=PASSWORD)
    assert post_touch(client, lead, next_title="x", next_due="2026-03-03T10:00").status_code == 404


def test_it_forbids_sales_reps(client, lead, sam):
    client.login(request=HttpRequest(), username="sam", password=PASSWORD)
    assert post_touch(client, lead, next_title="x", next_due="2026-03-03T10:00").status_code == 403


def test_it_shows_the_touch_form_script_and_attempts_on_the_lead_page(client, lead, alice):
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    body = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="touch-form"' in body and "autofocus" not in body and "accesskey" not in body
    assert 'href="tel:+33123456789"' in body
    assert "attempt 0 of 6" in body
    # Proposed: the day after, at 10:00 Paris (09:00 UTC) — alice sees UTC.
    assert 'value="2026-03-03T09:00"' in body and "Tue Mar 3, 10:00 lead-local" in body
