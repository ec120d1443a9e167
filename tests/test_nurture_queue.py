"""Nurture on the desk: a lead that came back is at the top of its owner's
queue, saying so; a nurture step's task comes to the owner's queue when due
while the lead stays in nurture."""

from datetime import UTC, date, datetime, timedelta

import pytest

from leadgate.leads import events
from leadgate.leads.lifecycle import Stage
from leadgate.nurture import engine
from leadgate.nurture.models import Step
from leadgate.workspace.queue import queue_for
from leadgate.workspace.touches import log_touch
from tests.factories import make_lead
from tests.nurture_factories import email_step, make_cadence, react, task_step

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


def test_it_puts_a_lead_that_came_back_at_the_top_of_the_queue_saying_so(alice, now):
    for _ in range(3):
        make_lead(owner=alice)  # other leads on alice's desk
    lead = make_lead(owner=alice, first_name="Grace")
    engine.enroll(lead, trigger="long_term", cadence=make_cadence(email_step()))
    engine.run_due()
    events.record("email.replied", lead, data={"text": "Let's talk"})
    react()
    first = queue_for(alice)[0]
    assert (first.lead.pk, first.reason) == (lead.pk, "sla")
    assert first.note == 'Came back from nurture: replied "Let\'s talk"'


def test_it_brings_a_nurture_call_task_to_the_owners_queue_when_due(alice, now):
    cadence = make_cadence(task_step(Step.Kind.CALL, "Check in on the roadmap", delay=2))
    lead = make_lead(owner=alice)
    engine.enroll(lead, trigger="long_term", cadence=cadence)
    engine.run_due(now + timedelta(days=2))
    assert [item.lead.pk for item in queue_for(alice, now=now + timedelta(days=1))] == []
    [item] = queue_for(alice, now=now + timedelta(days=2))
    assert (item.lead.pk, item.reason, item.note) == (
        lead.pk, "follow-up", "Nurture: Check in on the roadmap")
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE


def test_it_brings_the_long_term_recontact_to_the_queue_on_its_date(alice, now):
    lead = make_lead(owner=alice)
    log_touch(lead, alice, channel="call", disposition="connected", verdict="long_term",
              recontact_on=date(2026, 6, 1))
    assert queue_for(alice, now=now) == []
    [item] = queue_for(alice, now=datetime(2026, 6, 2, 9, 0, tzinfo=UTC))
    assert item.lead.pk == lead.pk


def test_it_keeps_other_tasks_of_a_nurtured_lead_off_the_queue(alice, now):
    lead = make_lead(owner=alice)  # its first call is open
    engine.enroll(lead, trigger="long_term", cadence=make_cadence(email_step()))
    assert queue_for(alice, now=now + timedelta(days=1)) == []
