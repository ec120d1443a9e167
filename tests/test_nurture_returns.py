"""Leaving nurture: every exit trigger stops the cadence at once (its next
step is never taken); the ones that show interest bring the lead back to the
desk with an owner, a "came back from nurture" task and an SLA clock by the
policy of the trigger; the no-lead-left-behind check covers nurture."""

from datetime import UTC, datetime, timedelta

import pytest

from leadgate.intake.models import Activity
from leadgate.intake.pipeline import receive
from leadgate.leads import events
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Task, Touch
from leadgate.leads.transitions import advance
from leadgate.mail.models import OutboundEmail
from leadgate.mail.suppression import suppress
from leadgate.nurture import checks, engine
from leadgate.nurture.models import Cadence, Enrollment
from leadgate.routing.models import Alert, SlaClock
from leadgate.scoring.models import RuleSet
from leadgate.workspace.touches import NextStep, log_touch
from tests.factories import make_lead
from tests.nurture_factories import email_step, make_cadence, react

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def enrolled(alice, now):
    """A lead of alice's in a two-email cadence, its first email sent."""
    cadence = make_cadence(email_step(), email_step(delay=3), role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    enrollment = engine.enroll(lead, trigger="long_term", cadence=cadence)
    engine.run_due()
    return lead, enrollment


def _second_step_never_taken(lead):
    engine.run_due(T0 + timedelta(days=30))
    assert OutboundEmail.objects.filter(lead=lead, kind="nurture").count() == 1


def _exited(enrollment):
    enrollment.refresh_from_db()
    return enrollment.status, enrollment.exit_reason


def test_it_brings_a_lead_back_on_a_hot_inquiry(enrolled, alice):
    lead, enrollment = enrolled
    receive({"email": lead.email, "first_name": lead.first_name}, channel="form", is_hot=True)
    react()
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == (Stage.MQL, alice)
    assert _exited(enrollment) == ("exited", "hot_inquiry")
    clock = SlaClock.objects.get(lead=lead, state="running")
    assert clock.policy.segment == "hot_inbound"
    _second_step_never_taken(lead)


def test_it_keeps_a_lead_in_nurture_on_a_cold_inquiry(enrolled):
    lead, enrollment = enrolled
    receive({"email": lead.email}, channel="form", is_hot=False)
    react()
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE
    assert _exited(enrollment) == ("active", "")


def test_it_brings_a_lead_back_to_working_when_it_replies(enrolled, alice):
    lead, enrollment = enrolled
    email = OutboundEmail.objects.get(lead=lead)
    events.record("email.replied", lead, data={"email": email.pk, "inbound": 1,
                                               "text": "Yes, call me next week"})
    react()
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == (Stage.WORKING, alice)
    assert _exited(enrollment) == ("exited", "replied")
    task = Task.objects.get(lead=lead, kind=Task.Kind.CAME_BACK, done_at__isnull=True)
    assert task.title == 'Came back from nurture: replied "Yes, call me next week"'
    assert task.assignee == alice
    assert SlaClock.objects.get(lead=lead, state="running").policy.segment == "returned"
    reply = Touch.objects.get(lead=lead, direction="inbound")
    assert (reply.channel, reply.disposition, reply.notes) == (
        "email", "replied", "Yes, call me next week")
    _second_step_never_taken(lead)


def test_it_routes_a_returning_lead_whose_qualifier_left(enrolled, alice, bob):
    lead, _enrollment = enrolled
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    events.record("email.replied", lead, data={"text": "interested"})
    react()
    lead.refresh_from_db()
    assert lead.owner == bob


def test_it_brings_a_lead_back_when_a_meeting_is_booked(enrolled, alice):
    lead, enrollment = enrolled
    log_touch(lead, alice, channel="call", disposition="meeting_booked",
              next_step=NextStep("Prepare the meeting", T0 + timedelta(days=2)))
    react()
    lead.refresh_from_db()
    assert lead.stage == Stage.WORKING
    assert _exited(enrollment) == ("exited", "meeting_booked")


def test_it_brings_a_lead_back_when_its_grade_meets_the_mql_rule(enrolled, alice):
    RuleSet.objects.filter(active=True).update(mql_min_fit="B", mql_min_engagement=2)
    lead, enrollment = enrolled
    Activity.objects.create(lead=lead, kind="page_visit", detail="/pricing")
    events.record("score.graded", lead, data={"from": "B3", "to": "B2"})
    react()
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    assert _exited(enrollment) == ("exited", "mql")


def test_it_never_brings_a_lead_back_on_email_opens_alone(enrolled):
    RuleSet.objects.filter(active=True).update(mql_min_fit="B", mql_min_engagement=2)
    lead, enrollment = enrolled
    Activity.objects.create(lead=lead, kind="email_open", detail="Hello")
    events.record("score.graded", lead, data={"from": "B3", "to": "B2"})
    react()
    assert _exited(enrollment) == ("active", "")


def test_it_keeps_a_lead_in_nurture_when_its_grade_stays_under_the_mql_rule(enrolled):
    RuleSet.objects.filter(active=True).update(mql_min_fit="B", mql_min_engagement=2)
    lead, enrollment = enrolled
    events.record("score.graded", lead, data={"from": "C4", "to": "C3"})
    react()
    assert _exited(enrollment) == ("active", "")


@pytest.mark.parametrize(("reason", "exit_reason"), [
    ("unsubscribed", "unsubscribed"), ("hard_bounce", "bounced"),
    ("complaint", "complained"), ("do_not_contact", "do_not_contact")])
def test_it_ends_the_cadence_and_the_cycle_when_the_address_is_suppressed(
        enrolled, reason, exit_reason):
    lead, enrollment = enrolled
    suppress(lead.email, reason, lead=lead)
    react()
    assert _exited(enrollment) == ("exited", exit_reason)
    lead.refresh_from_db()
    assert lead.stage == Stage.DISQUALIFIED
    _second_step_never_taken(lead)


def test_it_ends_the_cadence_when_the_lead_is_handed_off(enrolled):
    lead, enrollment = enrolled
    events.record("handoff.sent", lead, data={"handoff": None})
    react()
    assert _exited(enrollment) == ("exited", "handoff")


def test_it_gives_a_lead_stopped_by_hand_back_to_its_qualifier(enrolled, alice):
    lead, enrollment = enrolled
    engine.stop(lead, by=alice)
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == (Stage.WORKING, alice)
    assert _exited(enrollment) == ("exited", "manual")
    assert not SlaClock.objects.filter(lead=lead, state="running").exists()
    _second_step_never_taken(lead)


def test_it_acts_on_no_stale_event_of_an_old_database(enrolled, time_machine):
    lead, enrollment = enrolled
    events.record("email.replied", lead, data={"text": "old news"})
    time_machine.move_to(T0 + timedelta(days=2), tick=False)
    react()
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE


def test_it_enrolls_a_nurtured_lead_the_reaction_missed_and_alerts(alice, now, time_machine):
    make_cadence(role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    advance(lead, Stage.NURTURE, by=None, reason="long-term")  # no reaction run
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    assert checks.ensure_enrolled()["enrolled"] == 1
    assert Enrollment.objects.get(lead=lead).trigger == "check"
    assert Alert.objects.get(lead=lead).kind == "not_nurtured"


def test_it_alerts_managers_when_a_nurtured_lead_cannot_be_enrolled(alice, now, time_machine):
    lead = make_lead(owner=alice)
    advance(lead, Stage.NURTURE, by=None, reason="long-term")
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    assert checks.ensure_enrolled()["not_enrolled"] == 1
    assert checks.ensure_enrolled()["not_enrolled"] == 1
    assert Alert.objects.filter(lead=lead, kind="not_nurtured").count() == 1


def test_it_leaves_a_just_nurtured_lead_to_the_reaction(alice, now):
    make_cadence(role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    advance(lead, Stage.NURTURE, by=None, reason="long-term")
    assert checks.ensure_enrolled()["enrolled"] == 0


def test_it_resolves_the_alert_once_the_lead_is_enrolled(alice, now, time_machine):
    lead = make_lead(owner=alice)
    advance(lead, Stage.NURTURE, by=None, reason="long-term")
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    checks.ensure_enrolled()
    make_cadence(role=Cadence.Role.FIRST)
    checks.ensure_enrolled()
    assert checks.resolve_alerts() == 1


def test_it_puts_the_nurture_history_in_the_dossier(enrolled, alice):
    from leadgate.handoff.dossier import compose_dossier, dossier_text

    lead, enrollment = enrolled
    events.record("email.replied", lead, data={"text": "Budget is back"})
    react()
    lead.refresh_from_db()
    [cycle] = compose_dossier(lead)["nurture"]
    assert (cycle["cadence"], cycle["why"], cycle["emails"], cycle["end"]) == (
        enrollment.version.cadence.name, "Long-term verdict", 1,
        'replied "Budget is back"')
    assert "NURTURE" in dossier_text(compose_dossier(lead))


def test_it_records_a_persons_click_as_a_marketing_activity(enrolled):
    from leadgate.mail import tracking

    lead, _enrollment = enrolled
    email = OutboundEmail.objects.get(lead=lead)
    OutboundEmail.objects.filter(pk=email.pk).update(status="sent",
                                                    sent_at=T0 - timedelta(hours=1))
    email.refresh_from_db()
    tracking.record(email, "clicked", "Mozilla/5.0 (Macintosh)", index=0)
    react()
    activity = Activity.objects.get(lead=lead)
    assert (activity.kind, activity.detail) == ("email_click", "https://example.com/guide")


def test_it_records_no_activity_for_a_scanners_open(enrolled):
    from leadgate.mail import tracking

    lead, _enrollment = enrolled
    email = OutboundEmail.objects.get(lead=lead)
    OutboundEmail.objects.filter(pk=email.pk).update(status="sent", sent_at=T0)
    email.refresh_from_db()
    tracking.record(email, "opened", "Mozilla/5.0")  # within seconds of sending
    react()
    assert not Activity.objects.filter(lead=lead).exists()


def _lost(lead):
    """The lead's opportunity lost (sales' move, recorded as advance() would)."""
    from leadgate.leads.models import write_stage

    change = write_stage(lead, Stage.LOST, cycle=lead.cycle, by=None, reason="lost to a rival",
                         at=T0)
    events.record("stage.moved", lead, at=T0, data={
        "change": change.pk, "from": Stage.ACCEPTED, "to": Stage.LOST, "reason": change.reason})


def _lost_and_reacted(owner):
    """A lead of `owner`'s whose opportunity was lost, once nurture reacted."""
    lead = make_lead(owner=owner)
    _lost(lead)
    react()
    lead.refresh_from_db()
    return lead


def test_it_nurtures_a_lost_opportunity_in_a_new_cycle_by_setting(alice, now, settings):
    settings.LEADGATE_NURTURE_LOST = True
    make_cadence(role=Cadence.Role.FIRST)
    lead = _lost_and_reacted(alice)
    assert (lead.stage, lead.cycle) == (Stage.NURTURE, 2)
    assert Enrollment.objects.get(lead=lead).trigger == "lost"


def test_it_leaves_a_lost_opportunity_alone_by_default(alice, now):
    make_cadence(role=Cadence.Role.FIRST)
    lead = _lost_and_reacted(alice)
    assert (lead.stage, lead.cycle) == (Stage.LOST, 1)


def test_it_leaves_a_lost_lead_closed_when_its_cadence_has_no_steps(alice, now, settings):
    settings.LEADGATE_NURTURE_LOST = True
    Cadence.objects.create(name="Empty", role=Cadence.Role.FIRST)
    lead = _lost_and_reacted(alice)  # the consumer reads past the event: not stuck on it
    assert (lead.stage, lead.cycle) == (Stage.LOST, 1)
    assert events.consume("nurture") == 0


def test_it_resolves_the_alert_once_the_lead_left_nurture(alice, now, time_machine):
    lead = make_lead(owner=alice)
    advance(lead, Stage.NURTURE, by=None, reason="long-term")
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    checks.ensure_enrolled()
    advance(lead, Stage.WORKING, by=None, reason="called back")
    assert checks.resolve_alerts() == 1
