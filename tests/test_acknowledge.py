"""The optional instant acknowledgement email to a lead who asked for contact."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from leadgate.intake.models import Inquiry
from leadgate.leads.models import Touch
from leadgate.mail.models import OutboundEmail
from leadgate.orchestration.tasks import after_intake
from leadgate.routing.acknowledge import MARK, acknowledge, acknowledge_many
from leadgate.routing.models import SlaClock
from tests.concurrency import at_once
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


# --- a batch ------------------------------------------------------------------------


def varied_pairs(owner, tag):
    """A lead of each kind: acknowledged, a shared mailbox, an import, a
    second inquiry of the first lead, one acknowledged before, and one
    acknowledged before the outbox existed (a touch, no email row)."""
    ada = make_lead(owner=owner, first_name="Ada", email=f"ada@{tag}.example")
    info = make_lead(owner=owner, email=f"info@{tag}.example", email_role=True)
    imported = make_lead(owner=owner, email=f"imp@{tag}.example")
    before = make_lead(owner=owner, first_name="Bo", email=f"bo@{tag}.example")
    acknowledge(before, arrive(before))
    legacy = make_lead(owner=owner, email=f"old@{tag}.example")
    Touch.objects.create(lead=legacy, channel="email", disposition="sent", notes=f"{MARK}: Hi")
    return [(ada, arrive(ada)), (info, arrive(info)), (imported, arrive(imported, "import")),
            (ada, arrive(ada, hot=False)), (before, arrive(before)), (legacy, arrive(legacy))]


def outbox_and_touches():
    """The emails and automatic touches, without ids, in order."""
    emails = [(row.kind, row.to[0].split("@")[0], row.subject, row.body, row.status)
              for row in OutboundEmail.objects.order_by("pk")]
    touches = [(t.cycle, t.channel, t.direction, t.disposition, t.notes)
               for t in Touch.objects.filter(actor__isnull=True).order_by("pk")]
    return emails, touches


def test_it_acknowledges_a_batch_as_it_does_one_by_one(ack_on, alice, bob):
    one_by_one = [acknowledge(lead, inquiry) for lead, inquiry in varied_pairs(alice, "one")]
    alone = outbox_and_touches()
    OutboundEmail.objects.all().delete()
    Touch.objects.all().delete()
    batch = acknowledge_many(varied_pairs(bob, "batch"))
    assert [touch is None for touch in batch] == [touch is None for touch in one_by_one] == [
        False, True, True, True, True, True]
    assert outbox_and_touches() == alone
    assert len(alone[0]) == 2 and batch[0].pk is not None


def test_it_acknowledges_a_batch_in_as_many_queries_for_ten_leads_as_for_two(ack_on, alice):
    def queries(count):
        pairs = [(lead, arrive(lead)) for lead in (make_lead(owner=alice) for _ in range(count))]
        with CaptureQueriesContext(connection) as run:
            touches = acknowledge_many(pairs)
        assert all(touches)
        return len(run.captured_queries)

    assert queries(10) == queries(2) <= 10  # savepoints included


def test_it_queues_nothing_twice_when_a_batch_runs_twice(ack_on, alice):
    pairs = [(lead, arrive(lead)) for lead in (make_lead(owner=alice) for _ in range(3))]
    assert all(acknowledge_many(pairs))
    assert acknowledge_many(pairs) == [None] * 3
    assert run_email_tasks() == ["sent"] * 3
    assert (OutboundEmail.objects.count(), Touch.objects.filter(actor__isnull=True).count(),
            DBTaskResult.objects.count(), len(ack_on.messages)) == (3, 3, 1, 3)


@pytest.mark.django_db(transaction=True)
def test_it_queues_each_lead_once_when_two_workers_acknowledge_a_batch_at_once(ack_on, alice):
    pairs = [(lead, arrive(lead)) for lead in (make_lead(owner=alice) for _ in range(5))]
    results = at_once(lambda: acknowledge_many(pairs), threads=2)
    assert sorted(sum(touch is not None for touch in touches) for touches in results) == [0, 5]
    assert (OutboundEmail.objects.count(), Touch.objects.filter(actor__isnull=True).count(),
            DBTaskResult.objects.count()) == (5, 5, 1)
