"""The hourly limit (LEADGATE_EMAIL_HOURLY_LIMIT): past it, due emails wait
until the last hour has room again, rather than being sent."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadgate.mail import sender
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import Email, queue_emails
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)


def alert(n: int) -> Email:
    return Email(key=f"alert:{n}", kind=OutboundEmail.Kind.ALERT, to=(f"ana{n}@example.com",),
                 subject=f"Lead {n} had no owner", body="Please give it an owner.")


def at(time_machine, minutes: float) -> datetime:
    moment = TUESDAY_10 + timedelta(minutes=minutes)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def limit(settings, smtp, time_machine):
    settings.LEADGATE_EMAIL_HOURLY_LIMIT = 2
    at(time_machine, 0)
    return smtp


def test_it_sends_no_more_than_the_limit_in_an_hour(limit):
    queue_emails([alert(1), alert(2), alert(3)])
    assert run_email_tasks() == ["sent", "sent", "pending"]
    assert len(limit.messages) == 2


def test_it_leaves_the_rest_due_when_the_oldest_email_of_the_hour_is_an_hour_old(
        limit, time_machine):
    queue_emails([alert(1)])
    run_email_tasks()
    at(time_machine, 10)
    queue_emails([alert(2)])
    run_email_tasks()
    at(time_machine, 20)
    [(waiting, _)] = queue_emails([alert(3)])
    assert run_email_tasks() == ["pending"]
    waiting.refresh_from_db()
    assert (waiting.next_attempt_at, waiting.attempts) == (TUESDAY_10 + timedelta(hours=1), 0)


def test_it_sends_the_rest_once_the_hour_has_room(limit, time_machine):
    queue_emails([alert(1), alert(2), alert(3)])
    run_email_tasks()
    at(time_machine, 59.9)
    assert sender.send_due() == 0
    at(time_machine, 60)
    assert sender.send_due() == 1
    assert len(limit.messages) == 3


def test_it_keeps_the_limit_for_the_sweep(limit):
    for n in range(5):
        queue_emails([alert(n)])
    assert sender.send_due() == 2
    assert OutboundEmail.objects.filter(status="pending").count() == 3


def test_it_does_not_count_emails_sent_more_than_an_hour_ago(limit, time_machine):
    queue_emails([alert(1), alert(2)])
    run_email_tasks()
    at(time_machine, 61)
    queue_emails([alert(3), alert(4)])
    assert run_email_tasks() == ["sent", "sent"]


def test_it_sends_everything_without_a_limit(settings, smtp):
    settings.LEADGATE_EMAIL_HOURLY_LIMIT = 0
    queue_emails([alert(n) for n in range(5)])
    assert run_email_tasks() == ["sent"] * 5


def test_it_counts_the_hour_in_one_query(limit):
    queue_emails([alert(1)])
    run_email_tasks()
    with CaptureQueriesContext(connection) as counted:
        assert sender.room_at(TUESDAY_10) is None
    assert len(counted.captured_queries) == 1


def test_it_counts_the_hour_on_the_sent_at_index(limit):
    query = OutboundEmail.objects.filter(sent_at__gt=TUESDAY_10 - sender.HOUR)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a table of a few rows
    assert "outbound_email_sent" in query.explain()
