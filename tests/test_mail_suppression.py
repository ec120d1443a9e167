"""The suppression list on every send path: the sender leaves out suppressed
recipients just before the SMTP conversation, whichever path queued the email."""

import email

import pytest

from leadgate.mail import sender
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import queue_email
from leadgate.mail.suppression import suppress
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db


def queue(to=("ana@example.com",), kind=OutboundEmail.Kind.ALERT, key="mail:1"):
    row, _ = queue_email(key=key, kind=kind, to=list(to), subject="Hello", body="Hello.")
    return row


def test_it_sends_nothing_to_a_suppressed_address(smtp):
    suppress("ana@example.com", "unsubscribed")
    queue()
    assert run_email_tasks() == ["suppressed"]
    assert smtp.messages == []


def test_it_names_the_address_and_the_reason_on_a_suppressed_email(smtp):
    suppress("ana@example.com", "hard_bounce")
    row = queue()
    run_email_tasks()
    row.refresh_from_db()
    assert (row.status, row.next_attempt_at, row.sent_at) == ("suppressed", None, None)
    assert row.last_error == ("not sent: every recipient is on the suppression list: "
                              "ana@example.com (hard_bounce)")


def test_it_does_not_try_a_suppressed_email_again(smtp):
    suppress("ana@example.com", "unsubscribed")
    queue()
    run_email_tasks()
    assert sender.send_due() == 0
    assert OutboundEmail.objects.get().state == "suppressed"


def test_it_still_sends_to_the_other_recipients_of_the_email(smtp):
    suppress("ana@example.com", "unsubscribed")
    row = queue(to=("ana@example.com", "ben@example.com"))
    assert run_email_tasks() == ["sent"]
    [(recipients, raw)] = smtp.messages
    assert recipients == ["ben@example.com"]
    assert email.message_from_string(raw)["To"] == "ben@example.com"
    row.refresh_from_db()
    assert row.last_error == "not sent to ana@example.com (unsubscribed): on the suppression list"


@pytest.mark.parametrize("kind", OutboundEmail.Kind.values)
def test_it_checks_the_list_for_every_kind_of_email(smtp, kind):
    suppress("ana@example.com", "complaint")
    queue(kind=kind)
    assert run_email_tasks() == ["suppressed"]
    assert smtp.messages == []


def test_it_checks_the_list_when_sending_not_only_when_queued(smtp):
    queue()
    suppress("ana@example.com", "do_not_contact")
    assert run_email_tasks() == ["suppressed"]
    assert smtp.messages == []


def test_it_matches_the_address_whatever_its_case_and_display_name(smtp):
    suppress("ana@example.com", "unsubscribed")
    queue(to=("Ana Lima <ANA@Example.com>",))
    assert run_email_tasks() == ["suppressed"]


def test_it_sends_the_sweeps_rows_past_a_suppressed_one(smtp):
    suppress("ana@example.com", "unsubscribed")
    queue(key="mail:1")
    queue(key="mail:2", to=("ben@example.com",))
    assert sender.send_due() == 2
    assert [recipients for recipients, _ in smtp.messages] == [["ben@example.com"]]
