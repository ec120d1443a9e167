"""The nurture engine: enrollment on the way into nurture, steps taken when
due in the lead's calendar and send window, once; the frequency cap; cycles
and the quarterly touch; variants recorded."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connections

from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Task
from leadgate.leads.transitions import advance
from leadgate.mail.models import OutboundEmail
from leadgate.mail.suppression import suppress
from leadgate.nurture import engine
from leadgate.nurture.models import Cadence, Enrollment, Step, StepRun
from leadgate.scoring.models import LeadScore
from leadgate.workspace.touches import log_touch
from tests.concurrency import at_once
from tests.factories import make_lead
from tests.nurture_factories import (
    email_step,
    make_cadence,
    react,
    task_step,
    wait_step,
    window,
)
from tests.outbox import run_email_tasks

# A Monday, 09:00 UTC.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


def _nurtured(alice, **fields):
    lead = make_lead(owner=alice, **fields)
    advance(lead, Stage.NURTURE, by=None, reason="long-term: re-contact in June")
    return lead


def test_it_enrolls_a_lead_given_the_long_term_verdict(alice, now):
    cadence = make_cadence(role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    log_touch(lead, alice, channel="call", disposition="connected", verdict="long_term",
              recontact_on=date(2026, 9, 1))
    react()
    enrollment = Enrollment.objects.get(lead=lead)
    assert (enrollment.version.cadence, enrollment.trigger, enrollment.status,
            enrollment.number) == (cadence, "long_term", "active", 1)
    assert enrollment.next_due_at == now


def test_it_enrolls_a_lead_that_sales_rejected_with_the_nurture_return(alice, now):
    make_cadence(role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=None)
    lead.stage = Stage.REJECTED  # as sales' rejection leaves it
    lead.save(update_fields=["stage"])
    advance(lead, Stage.NURTURE, by=None, reason="sales rejected: no budget this year")
    react()
    assert Enrollment.objects.get(lead=lead).trigger == "sales_rejected"


def test_it_enrolls_an_unresponsive_lead(alice, now):
    make_cadence(role=Cadence.Role.FIRST)
    lead = make_lead(owner=alice)
    advance(lead, Stage.NURTURE, by=None, reason="unresponsive after 6 attempts")
    react()
    assert Enrollment.objects.get(lead=lead).trigger == "unresponsive"


def test_it_refuses_a_second_live_enrollment_by_name(alice, now):
    cadence = make_cadence()
    lead = _nurtured(alice)
    engine.enroll(lead, trigger="manual", cadence=cadence)
    with pytest.raises(engine.NurtureError) as error:
        engine.enroll(lead, trigger="manual", cadence=cadence)
    assert error.value.field == "lead"


def test_it_moves_a_lead_on_the_desk_into_nurture_when_enrolled_by_hand(alice, now):
    cadence = make_cadence()
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="manual", cadence=cadence, by=alice)
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE
    assert lead.stage_changes.last().reason == f"nurture: {cadence.name}"


def test_it_sends_the_first_email_to_the_smtp_server(alice, now, smtp):
    cadence = make_cadence(email_step("Ideas for {{ lead.company }}"))
    lead = _nurtured(alice, company_name="Initech")
    engine.enroll(lead, trigger="manual", cadence=cadence)
    assert engine.run_due()["email"] == 1
    run_email_tasks()
    [(recipients, message)] = smtp.messages
    assert recipients == [lead.email]
    assert "Subject: Ideas for Initech" in message
    assert f"Dear {lead.first_name}" in message


def test_it_takes_a_step_once_when_the_sweep_runs_twice(alice, now):
    cadence = make_cadence(email_step(), email_step(delay=3))
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    engine.run_due()
    engine.run_due()
    assert StepRun.objects.filter(enrollment=enrollment).count() == 1
    assert OutboundEmail.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_sends_a_step_once_when_two_workers_sweep_at_once(alice, time_machine):
    time_machine.move_to(T0, tick=False)
    cadence = make_cadence(email_step(), email_step(delay=3))
    leads = [_nurtured(alice) for _ in range(10)]
    for lead in leads:
        engine.enroll(lead, trigger="manual", cadence=cadence)
    connections.close_all()
    at_once(lambda: engine.run_due(T0), threads=2)
    assert StepRun.objects.count() == 10
    assert OutboundEmail.objects.filter(kind="nurture").count() == 10


def test_it_counts_the_delay_in_business_days_of_the_leads_country(alice, time_machine):
    # Thursday 24 December 2026, 10:00 in Paris; Friday the 25th is a French holiday.
    time_machine.move_to(datetime(2026, 12, 24, 9, 0, tzinfo=UTC), tick=False)
    cadence = make_cadence(email_step(delay=1))
    lead = _nurtured(alice, country="FR", time_zone="Europe/Paris")
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    assert enrollment.next_due_at == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


def test_it_takes_the_send_window_in_the_leads_time_zone_across_dst(alice, time_machine):
    # Friday 30 October 2026 15:00 UTC; New York leaves summer time on 1 November.
    time_machine.move_to(datetime(2026, 10, 30, 15, 0, tzinfo=UTC), tick=False)
    cadence = make_cadence(email_step(delay=1, **window([1, 2, 3], "08:00", "11:00")))
    lead = _nurtured(alice, country="US", time_zone="America/New_York")
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    # One business day: Monday 2 November; the window opens Tuesday 08:00 EST = 13:00 UTC.
    assert enrollment.next_due_at == datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def test_it_postpones_a_step_due_outside_its_window_to_the_next_opening(alice, time_machine):
    time_machine.move_to(datetime(2026, 3, 3, 13, 0, tzinfo=UTC), tick=False)  # Tue 08:00 EST
    cadence = make_cadence(email_step(**window([1], "08:00", "11:00")))
    lead = _nurtured(alice, time_zone="America/New_York")
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    late = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # 12:00 in New York: the window closed
    assert engine.run_due(late)["postponed"] == 1
    enrollment.refresh_from_db()
    # The next Tuesday 08:00, in summer time since 8 March: 12:00 UTC.
    assert enrollment.next_due_at == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert not OutboundEmail.objects.filter(lead=lead).exists()


def test_it_postpones_an_email_past_the_frequency_cap(alice, now, settings):
    settings.LEADGATE_EMAIL_CAP_COUNT, settings.LEADGATE_EMAIL_CAP_DAYS = 1, 7
    first, second = make_cadence(email_step()), make_cadence(email_step())
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=first)
    engine.run_due()
    engine.stop(lead)
    lead.refresh_from_db()
    advance(lead, Stage.NURTURE, by=None, reason="long-term again")
    enrollment = engine.enroll(lead, trigger="manual", cadence=second)
    assert engine.run_due()["capped"] == 1
    enrollment.refresh_from_db()
    assert enrollment.next_due_at == now + timedelta(days=7)
    assert OutboundEmail.objects.filter(lead=lead).count() == 1


def test_it_skips_a_step_whose_condition_does_not_hold(alice, now):
    cadence = make_cadence(email_step(condition={"grades": ["A"]}), task_step())
    lead = _nurtured(alice)
    LeadScore.objects.create(lead=lead, grade="C3")
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    engine.run_due()
    run = StepRun.objects.get(enrollment=enrollment, step__position=0)
    assert (run.status, run.detail) == ("skipped", "grade C3 is not one of A")
    assert not OutboundEmail.objects.filter(lead=lead).exists()


def test_it_gives_the_owner_a_task_for_a_call_step(alice, now):
    cadence = make_cadence(task_step(Step.Kind.CALL, "Call {{ lead.first_name }} about v2"))
    lead = _nurtured(alice)
    engine.enroll(lead, trigger="manual", cadence=cadence)
    assert engine.run_due()["task"] == 1
    task = Task.objects.get(lead=lead, kind=Task.Kind.NURTURE)
    assert (task.assignee, task.title, task.due_at) == (
        alice, f"Nurture: Call {lead.first_name} about v2", now)


def test_it_puts_the_steps_instructions_in_the_task(alice, now):
    cadence = make_cadence(task_step(Step.Kind.SOCIAL, "LinkedIn",
                                     instructions="Connect with {{ lead.first_name }}"))
    lead = _nurtured(alice, first_name="Grace")
    engine.enroll(lead, trigger="manual", cadence=cadence)
    engine.run_due()
    assert Task.objects.get(lead=lead, kind=Task.Kind.NURTURE).notes == "Connect with Grace"


@pytest.mark.parametrize("kind", [Step.Kind.SOCIAL, Step.Kind.DIRECT_MAIL,
                                  Step.Kind.PERSONAL_EMAIL])
def test_it_gives_the_owner_a_task_for_each_task_step_kind(alice, now, kind):
    cadence = make_cadence(task_step(kind, "Do it"))
    lead = _nurtured(alice)
    engine.enroll(lead, trigger="manual", cadence=cadence)
    engine.run_due()
    assert Task.objects.filter(lead=lead, kind=Task.Kind.NURTURE, title="Nurture: Do it").exists()


def test_it_waits_the_days_of_a_wait_step(alice, now):
    cadence = make_cadence(wait_step(2), email_step())
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    assert enrollment.next_due_at == now + timedelta(days=2)  # Monday to Wednesday
    engine.run_due(now + timedelta(days=2))
    enrollment.refresh_from_db()
    assert (enrollment.position, enrollment.next_due_at) == (1, now + timedelta(days=2))


def test_it_rests_the_lead_after_the_last_step(alice, now, settings):
    settings.LEADGATE_NURTURE_REST_DAYS = 60
    cadence = make_cadence(email_step())
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    engine.run_due()
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.rest_until) == ("resting", now + timedelta(days=60))


def test_it_enrolls_the_next_cycle_in_the_next_track_after_the_rest(alice, now, settings):
    settings.LEADGATE_NURTURE_REST_DAYS = 60
    second = make_cadence(email_step("Second track"))
    first = make_cadence(email_step(), next_cadence=second)
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=first)
    engine.run_due()
    engine.run_due(now + timedelta(days=60))
    enrollment.refresh_from_db()
    following = Enrollment.objects.get(lead=lead, status="active")
    assert enrollment.status == "finished"
    assert (following.version.cadence, following.number, following.trigger) == (
        second, 2, "next_cycle")


def test_it_gives_the_quarterly_cadence_once_the_cycles_are_spent(alice, now, settings):
    settings.LEADGATE_NURTURE_MAX_CYCLES, settings.LEADGATE_NURTURE_QUARTERLY_DAYS = 1, 91
    quarterly = make_cadence(email_step("Quarterly news"), role=Cadence.Role.QUARTERLY)
    cadence = make_cadence(email_step())
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    engine.run_due()
    enrollment.refresh_from_db()
    assert enrollment.rest_until == now + timedelta(days=91)
    engine.run_due(now + timedelta(days=91))
    following = Enrollment.objects.get(lead=lead, status="active")
    assert (following.version.cadence, following.trigger) == (quarterly, "quarterly")


def test_it_records_the_variant_it_sends(alice, now):
    cadence = make_cadence(email_step("Subject", variants=("A", "B")))
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    step = cadence.current_version().steps.get()
    label = enrollment.variants[str(step.pk)]
    engine.run_due()
    run = StepRun.objects.get(enrollment=enrollment)
    assert run.variant == label
    assert OutboundEmail.objects.get(lead=lead).subject == f"Subject ({label})"


def test_it_assigns_both_variants_over_many_enrollments(alice, now):
    cadence = make_cadence(email_step("Subject", variants=("A", "B")))
    step = cadence.current_version().steps.get()
    labels = {engine.enroll(_nurtured(alice), trigger="manual", cadence=cadence)
              .variants[str(step.pk)] for _ in range(40)}
    assert labels == {"A", "B"}  # 40 draws of a fair coin: both sides but once in 5e11


def test_it_never_emails_a_suppressed_address(alice, now):
    cadence = make_cadence(email_step())
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    suppress(lead.email.upper(), "do_not_contact", note="asked on the phone")
    engine.run_due()
    assert not OutboundEmail.objects.filter(lead=lead).exists()
    assert StepRun.objects.get(enrollment=enrollment).status == "suppressed"
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_reason) == ("exited", "do_not_contact")


def test_it_exits_a_lead_moved_out_of_nurture_by_hand(alice, now):
    cadence = make_cadence(email_step(), email_step(delay=2))
    lead = _nurtured(alice)
    enrollment = engine.enroll(lead, trigger="manual", cadence=cadence)
    advance(lead, Stage.WORKING, by=alice)
    react()
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_reason) == ("exited", "left_nurture")
    assert engine.run_due(now + timedelta(days=5))["email"] == 0


def test_it_says_more_is_due_when_its_time_runs_out(alice, now):
    cadence = make_cadence(email_step())
    for _ in range(2):
        engine.enroll(make_lead(owner=alice), trigger="manual", cadence=cadence)
    done = engine.run_due(batch=1, seconds=0)
    assert (done["email"], done["more due"]) == (1, 1)
    assert engine.run_due() == {"email": 1}


def test_it_makes_the_sweep_due_again_while_steps_wait(alice, now, monkeypatch):
    from leadgate.leads.models import PeriodicJob
    from leadgate.nurture import tasks

    job = PeriodicJob.objects.create(name=tasks.run_due_steps.module_path,
                                     next_run_at=T0 + timedelta(seconds=15))
    cadence = make_cadence(email_step())
    for _ in range(3):
        engine.enroll(make_lead(owner=alice), trigger="manual", cadence=cadence)
    monkeypatch.setattr(engine, "SWEEP_SECONDS", 0)  # a batch, then its time is up
    monkeypatch.setattr(engine, "BATCH", 1)
    assert tasks.run_due_steps.call()["more due"] == 1
    job.refresh_from_db()
    assert job.next_run_at == T0
