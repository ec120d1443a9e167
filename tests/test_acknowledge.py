"""The optional instant acknowledgement email to a lead who asked for contact."""

from datetime import UTC, datetime

import pytest

from leadgate.intake.models import Inquiry
from leadgate.intake.tasks import after_intake
from leadgate.mail.models import OutboundEmail
from leadgate.routing.acknowledge import acknowledge
from leadgate.routing.models import SlaClock
from leadgate.workspace.models import Touch
from tests.factories import make_lead
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def ack_on(settings, smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    settings.LEADGATE_AUTO_ACK = True
    settings.LEADGATE_COMPANY_NAME = "Acme Analytics"
    return smtp


def arrive(lead, channel="form", hot=True):
    return Inquiry.objects.create(lead=lead, channel=channel, is_hot=hot)


def test_it_emails_the_lead_that_the_request_arrived(ack_on, alice):
    lead = make_lead(owner=alice, first_name="Ada", email="ada@example.com")
    touch = acknowledge(lead, arrive(lead))
    run_email_tasks()
    (recipients, message), = ack_on.messages
    assert recipients == ["ada@example.com"]
    assert "Acme Analytics: we received your request" in message and "Hello Ada" in message
    assert (touch.channel, touch.disposition, touch.actor) == ("email", "sent", None)


def test_it_leaves_the_sla_clock_running(ack_on, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    arrive(lead)
    after_intake.call(lead.pk)
    assert Touch.objects.filter(lead=lead, actor__isnull=True).count() == 1
    assert SlaClock.objects.get(lead=lead).state == SlaClock.State.RUNNING


def test_it_acknowledges_once_per_cycle(ack_on, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    acknowledge(lead, arrive(lead))
    assert acknowledge(lead, arrive(lead)) is None
    run_email_tasks()
    assert len(ack_on.messages) == 1


def test_it_sends_and_records_once_when_the_after_intake_steps_run_twice(ack_on, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    arrive(lead)
    after_intake.call(lead.pk)
    after_intake.call(lead.pk)
    run_email_tasks()
    assert Touch.objects.filter(lead=lead, actor__isnull=True).count() == 1
    assert OutboundEmail.objects.filter(lead=lead, kind="acknowledgement").count() == 1
    assert len(ack_on.messages) == 1


def test_it_keys_the_acknowledgement_per_cycle(ack_on, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    acknowledge(lead, arrive(lead))
    lead.cycle = 2
    lead.save(update_fields=["cycle"])
    assert acknowledge(lead, arrive(lead)) is not None
    assert sorted(OutboundEmail.objects.values_list("key", flat=True)) == [
        f"ack:{lead.pk}:1", f"ack:{lead.pk}:2"]


def test_it_sends_nothing_when_off(smtp, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    assert acknowledge(lead, arrive(lead)) is None
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("fields, channel", [
    ({"email": "info@example.com", "email_role": True}, "form"),
    ({"email": "ada@example", "email_invalid": True}, "form"),
    ({"email": "ada@example.com"}, "import"),
])
def test_it_skips_shared_mailboxes_bad_addresses_and_imports(ack_on, alice, fields, channel):
    lead = make_lead(owner=alice, **fields)
    assert acknowledge(lead, arrive(lead, channel=channel)) is None
    assert not OutboundEmail.objects.exists()


def test_it_records_the_touch_and_keeps_the_email_waiting_when_the_server_is_down(
        down, alice):
    down.LEADGATE_AUTO_ACK = True
    lead = make_lead(owner=alice, email="ada@example.com")
    assert acknowledge(lead, arrive(lead)) is not None
    assert run_email_tasks() == ["pending"]
    email = OutboundEmail.objects.get(lead=lead)
    assert (email.status, email.attempts) == ("pending", 1)
    assert "could not reach the mail server" in email.last_error
