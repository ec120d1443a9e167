"""The outbox: every email queued in the caller's transaction, sent once by its
task or the sweep, retried while the mail server is down, shown where people act."""

import contextlib
import email
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from leadgate.handoff.flow import send
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Touch
from leadgate.leads.periodic import JOBS
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE
from leadgate.mail import sender, tasks
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import Email, queue_email, queue_emails
from leadgate.orchestration.tasks import after_intake
from leadgate.workspace.touches import log_touch
from tests.concurrency import at_once
from tests.factories import make_lead
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)
BANT = {
    "need": {"value": "month-end close takes a week", "met": True},
    "authority": {"value": "decision maker", "met": True},
    "timeframe": {"value": "this quarter", "met": True},
}


def queue(key="alert:1", to=("ana@example.com",), **fields):
    fields.setdefault("kind", OutboundEmail.Kind.ALERT)
    fields.setdefault("subject", "Lead 7 had no owner")
    fields.setdefault("body", "Please give lead 7 an owner.")
    row, _ = queue_email(key=key, to=list(to), **fields)
    return row


# --- queueing and sending -----------------------------------------------------------


def test_it_sends_a_queued_email_once(smtp):
    row = queue()
    assert run_email_tasks() == ["sent"]
    assert sender.send_due() == 0
    [(recipients, raw)] = smtp.messages
    assert recipients == ["ana@example.com"]
    assert "Subject: Lead 7 had no owner" in raw
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None and row.next_attempt_at is None


def test_it_queues_the_send_on_the_urgent_queue_with_the_row():
    row = queue()
    task = DBTaskResult.objects.get(task_path=tasks.send_email.module_path)
    assert task.args_kwargs["args"] == [row.pk]
    assert (task.queue_name, task.priority) == (URGENT_QUEUE, URGENT_PRIORITY)


def test_it_stores_one_row_and_sends_one_message_for_a_key_queued_twice(smtp):
    first, created = queue_email(key="handoff:9", kind="handoff", to=["sam@example.com"],
                                 subject="Handoff", body="one")
    again, created_again = queue_email(key="handoff:9", kind="handoff", to=["sam@example.com"],
                                       subject="Handoff", body="two")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    run_email_tasks()
    sender.send_due()
    assert OutboundEmail.objects.count() == 1
    assert len(smtp.messages) == 1


def test_it_sends_nothing_about_a_change_that_rolled_back(smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert (sender.send_due(), smtp.messages) == (0, [])


def test_it_sends_the_same_message_id_on_a_retry(server, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = queue()
    server.down()
    run_email_tasks()
    server.up()
    time_machine.move_to(TUESDAY_10 + timedelta(minutes=1), tick=False)
    assert sender.send_due() == 1
    [(_, raw)] = server.inbox.messages
    assert email.message_from_string(raw)["Message-ID"] == row.message_id


def test_it_refuses_an_email_without_recipients_naming_the_field():
    with pytest.raises(ValueError, match="^to:"):
        queue(to=[" ", ""])


def test_it_keeps_newlines_of_lead_data_out_of_the_subject(smtp):
    queue(subject="Ada\r\nBcc: eve@example.com")
    run_email_tasks()
    [(recipients, raw)] = smtp.messages
    assert recipients == ["ana@example.com"]
    assert "Subject: Ada Bcc: eve@example.com" in raw


def test_it_attaches_a_calendar_invitation_with_its_method(smtp):
    from leadgate.mail.outbox import Attachment

    queue(attachments=[Attachment("meeting.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                  "text/calendar", {"method": "REQUEST"})])
    run_email_tasks()
    [(_, raw)] = smtp.messages
    [invite] = [p for p in email.message_from_string(raw).walk()
                if p.get_content_type() == "text/calendar"]
    assert (invite.get_param("method"), invite.get_filename()) == ("REQUEST", "meeting.ics")


# --- a batch ----------------------------------------------------------------------------


def alert(n, **fields):
    fields = {"key": f"alert:{n}", "kind": OutboundEmail.Kind.ALERT,
              "to": (f"ana{n}@example.com",), "subject": f"Lead {n} had no owner",
              "body": f"Please give lead {n} an owner.", **fields}
    return Email(**fields)


def test_it_queues_a_batch_of_emails_with_one_send_task_on_the_urgent_queue():
    queued = queue_emails([alert(1), alert(2), alert(3)])
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        tasks.send_emails.module_path, [sorted(row.pk for row, _ in queued)])
    assert (task.queue_name, task.priority) == (URGENT_QUEUE, URGENT_PRIORITY)


def test_it_sends_each_email_of_a_batch_once(smtp):
    queue_emails([alert(1), alert(2), alert(3)])
    assert run_email_tasks() == ["sent"] * 3
    assert sender.send_due() == 0
    assert sorted(recipients for recipients, _ in smtp.messages) == [
        ["ana1@example.com"], ["ana2@example.com"], ["ana3@example.com"]]


def test_it_queues_a_key_once_within_a_batch_and_across_batches():
    first = queue_emails([alert(1), alert(2), alert(1, body="again")])
    again = queue_emails([alert(2), alert(4)])
    assert [created for _, created in first + again] == [True, True, False, False, True]
    assert first[2][0].pk == first[0][0].pk and first[2][0].body == "Please give lead 1 an owner."
    assert OutboundEmail.objects.count() == 3
    assert DBTaskResult.objects.count() == 2  # a task per batch that queued something


def test_it_queues_a_batch_in_as_many_queries_for_ten_emails_as_for_two():
    def queries(keys):
        with CaptureQueriesContext(connection) as run:
            queue_emails([alert(n) for n in keys])
        return len(run.captured_queries)

    assert queries(range(10, 20)) == queries(range(2)) <= 6


def test_it_writes_no_email_of_a_batch_when_one_is_refused():
    with pytest.raises(ValueError, match="^to:"):
        queue_emails([alert(1), alert(2, to=(" ",))])
    assert not OutboundEmail.objects.exists() and not DBTaskResult.objects.exists()


def test_it_leaves_the_rest_of_a_batch_to_the_sweep_when_the_server_cannot_be_reached(
        server, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    queue_emails([alert(1), alert(2), alert(3)])
    server.down()
    assert run_email_tasks() == ["pending"] * 3
    assert list(OutboundEmail.objects.order_by("pk").values_list("attempts", flat=True)) == [
        1, 0, 0]  # one timeout, not three
    server.up()
    assert sender.send_due() == 2
    time_machine.move_to(TUESDAY_10 + timedelta(minutes=1), tick=False)
    assert sender.send_due() == 1
    assert len(server.inbox.messages) == 3


# --- the mail server down ---------------------------------------------------------------


def test_it_keeps_intake_and_the_handoff_and_sends_each_once_when_the_server_is_back(
        server, settings, alice, sam, caplog, time_machine):
    server.down()
    settings.LEADGATE_AUTO_ACK = True
    time_machine.move_to(TUESDAY_10, tick=False)
    lead = make_lead(owner=alice, stage="working", email="ada@example.com")
    Inquiry.objects.create(lead=lead, channel="form", is_hot=True)
    after_intake.call(lead.pk)
    log_touch(lead, alice, channel="call", disposition="connected", verdict="sales_ready",
              answers=BANT)
    handoff = send(lead, by=alice, to_user=sam, dossier={})
    caplog.set_level("WARNING", logger="leadgate.mail")

    assert sorted(run_email_tasks()) == ["pending", "pending"]

    lead.refresh_from_db()
    assert lead.processed_at is not None and lead.stage == "qualified"
    assert Touch.objects.filter(lead=lead, actor__isnull=True).count() == 1
    rows = list(OutboundEmail.objects.order_by("pk"))
    assert [row.key for row in rows] == [f"ack:{lead.pk}:1", f"handoff:{handoff.pk}"]
    assert all(row.status == "pending" and row.attempts == 1 for row in rows)
    assert all("could not reach the mail server at 127.0.0.1" in row.last_error for row in rows)
    assert all(row.next_attempt_at == TUESDAY_10 + timedelta(minutes=1) for row in rows)
    warnings = [r for r in caplog.records if r.name == "leadgate.mail"]
    assert [r.levelname for r in warnings] == ["WARNING", "WARNING"]
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in warnings)
    assert "Traceback" not in caplog.text
    assert f"email {rows[0].pk} (acknowledgement, 1 recipient) not sent" in caplog.text

    server.up()
    time_machine.move_to(TUESDAY_10 + timedelta(minutes=1), tick=False)
    assert tasks.send_due_emails.call() == 2
    assert tasks.send_due_emails.call() == 0
    assert sorted(recipients for recipients, _ in server.inbox.messages) == [
        ["ada@example.com"], ["sam@example.com"]]


def test_it_waits_for_the_backoff_before_retrying(down, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    queue()
    run_email_tasks()
    time_machine.move_to(TUESDAY_10 + timedelta(seconds=59), tick=False)
    assert sender.send_due() == 0


def test_it_retries_on_the_backoff_schedule_for_a_day_then_fails(down, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = queue()
    attempts_at = []
    while row.status != "failed":
        assert sender.send_due() == 1
        attempts_at.append(row.next_attempt_at)
        row.refresh_from_db()
        if row.next_attempt_at:
            time_machine.move_to(row.next_attempt_at, tick=False)
    gaps = [(b - a) / timedelta(minutes=1) for a, b in itertools.pairwise(attempts_at)]
    assert gaps[:7] == [1, 2, 5, 15, 30, 60, 60]
    assert set(gaps[6:]) == {60}
    assert attempts_at[-1] - TUESDAY_10 <= timedelta(hours=24)
    assert attempts_at[-1] + timedelta(hours=1) - TUESDAY_10 > timedelta(hours=24)
    assert (row.attempts, row.next_attempt_at) == (len(attempts_at), None)


def test_it_fails_at_once_when_the_server_refuses_the_recipient(refusing):
    refuser = refusing("550 5.1.1 <ana@example.com>: no such user")
    row = queue()
    assert run_email_tasks() == ["failed"]
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (1, None)
    assert "550 5.1.1 <ana@example.com>: no such user" in row.last_error
    assert refuser.messages == []


def test_it_retries_when_the_server_refuses_the_recipient_for_now(refusing, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    refusing("450 4.2.1 mailbox busy, try later")
    row = queue()
    assert run_email_tasks() == ["pending"]
    row.refresh_from_db()
    assert row.next_attempt_at == TUESDAY_10 + timedelta(minutes=1)
    assert "450 4.2.1" in row.last_error


# --- leases -----------------------------------------------------------------------------------


def test_it_leaves_a_claimed_row_to_its_sender_while_the_lease_holds(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    queue()
    assert sender._claim(TUESDAY_10) is not None  # a sender that was killed mid-send
    time_machine.move_to(TUESDAY_10 + sender.LEASE - timedelta(seconds=1), tick=False)
    assert (run_email_tasks(), sender.send_due(), smtp.messages) == (["not due"], 0, [])


def test_it_sends_a_row_again_once_its_lease_ran_out(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = queue()
    sender._claim(TUESDAY_10)
    time_machine.move_to(TUESDAY_10 + sender.LEASE, tick=False)
    assert sender.send_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, len(smtp.messages)) == ("sent", 2, 1)


@pytest.mark.django_db(transaction=True)
def test_it_sends_each_row_once_when_two_sweeps_run_at_once(smtp):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database does not run writers in parallel")
    for n in range(30):
        queue(key=f"alert:{n}", to=[f"m{n}@example.com"])
    results = at_once(lambda: sender.send_due(limit=100), threads=2)

    assert sum(results) == 30
    assert sorted(r for recipients, _ in smtp.messages for r in recipients) == sorted(
        f"m{n}@example.com" for n in range(30))
    assert OutboundEmail.objects.filter(status="sent", attempts=1).count() == 30


def test_it_runs_the_sweep_every_ten_seconds_on_the_urgent_queue():
    assert JOBS[tasks.send_due_emails.module_path][0] == 10
    assert (tasks.send_due_emails.queue_name, tasks.send_due_emails.priority) == (
        URGENT_QUEUE, URGENT_PRIORITY)


# --- nurture: at most once ---------------------------------------------------------------------


def nurture(key="nurture:1"):
    return queue(key=key, kind=OutboundEmail.Kind.NURTURE, to=("ada@example.com",))


def lose_while_sending(row, at, transmitting=True):
    """A sender that claimed the row at `at` and was killed, after handing the
    message over (`transmitting`) or before."""
    sender._claim(at, pk=row.pk)
    if transmitting:
        OutboundEmail.objects.filter(pk=row.pk).update(transmitting_at=at)


def test_it_marks_a_nurture_email_as_transmitting_when_it_hands_it_over(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = nurture()
    assert run_email_tasks() == ["sent"]
    row.refresh_from_db()
    assert row.transmitting_at == TUESDAY_10


def test_it_does_not_resend_a_nurture_email_lost_while_sending(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = nurture()
    lose_while_sending(row, TUESDAY_10)
    time_machine.move_to(TUESDAY_10 + sender.LEASE, tick=False)
    assert sender.send_due() == 0
    row.refresh_from_db()
    assert (row.status, row.next_attempt_at, row.attempts) == ("failed", None, 1)
    assert row.last_error == "lost while sending: may have been delivered, not resent"
    assert smtp.messages == []


def test_it_resends_a_nurture_email_lost_before_it_was_handed_over(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = nurture()
    lose_while_sending(row, TUESDAY_10, transmitting=False)
    time_machine.move_to(TUESDAY_10 + sender.LEASE, tick=False)
    assert sender.send_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, len(smtp.messages)) == ("sent", 2, 1)


def test_it_resends_other_kinds_lost_while_sending(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = queue()
    lose_while_sending(row, TUESDAY_10)
    time_machine.move_to(TUESDAY_10 + sender.LEASE, tick=False)
    assert sender.send_due() == 1
    assert (OutboundEmail.objects.get().status, len(smtp.messages)) == ("sent", 1)


def test_it_records_a_nurture_email_lost_while_sending_as_sent_when_its_sender_finishes(
        smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = nurture()
    claimed = sender._claim(TUESDAY_10, pk=row.pk)
    OutboundEmail.objects.filter(pk=row.pk).update(transmitting_at=TUESDAY_10)
    time_machine.move_to(TUESDAY_10 + sender.LEASE, tick=False)
    sender.send_due()
    sender._record(claimed, None)  # the slow sender's server answered at last
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("sent", "")


def test_it_retries_a_nurture_email_when_the_server_cannot_be_reached(down, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = nurture()
    assert run_email_tasks() == ["pending"]
    row.refresh_from_db()
    assert row.transmitting_at is None and "could not reach" in row.last_error


@contextlib.contextmanager
def served_by(handler, down):
    """A real SMTP server answering with `handler` on the `down` fixture's port."""
    controller = Controller(handler, hostname="127.0.0.1", port=down.EMAIL_PORT)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


class Hangup:
    """An SMTP server's handler that hangs up once the message is sent to it,
    before answering: the sender cannot know whether it was delivered."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        server.transport.close()
        return "421 closing"


def test_it_does_not_resend_a_nurture_email_whose_server_hung_up_on_it(down, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    with served_by(Hangup(), down):
        row = nurture()
        assert run_email_tasks() == ["failed"]
    row.refresh_from_db()
    assert row.last_error.startswith("lost while sending: may have been delivered, not resent (")


class HangupAtRecipient:
    """An SMTP server's handler that hangs up on the first recipient: the
    message never reached it."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        server.transport.close()
        return "421 closing"


def test_it_resends_a_nurture_email_whose_server_hung_up_before_the_message_ended(
        down, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    with served_by(HangupAtRecipient(), down):
        row = nurture()
        assert run_email_tasks() == ["pending"]
    row.refresh_from_db()
    assert row.transmitting_at is None


def test_it_leaves_a_nurture_message_unfinished_when_its_lease_ran_out(smtp, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    row = nurture()
    claimed = sender._claim(TUESDAY_10, pk=row.pk)
    # Another sender took the row meanwhile (its lease ran out while this one was slow).
    OutboundEmail.objects.filter(pk=row.pk).update(attempts=claimed.attempts + 1)
    failure = sender.deliver(claimed)
    assert failure is not None and "lease ran out" in failure.text
    assert smtp.messages == []


class NoSuchMailbox:
    """An SMTP server that refuses every recipient for good."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        return "550 5.1.1 no such mailbox"


def refused_by(down, queue_it):
    with served_by(NoSuchMailbox(), down):
        row = queue_it()
        assert run_email_tasks() == ["failed"]
    return row


def test_it_suppresses_a_leads_address_the_server_refused_for_good(down, time_machine):
    from leadgate.leads.models import Event
    from leadgate.mail.models import EmailEvent, Suppression

    time_machine.move_to(TUESDAY_10, tick=False)
    lead = make_lead(email="gone@example.com")
    refused_by(down, lambda: queue(key="nurture:9", kind=OutboundEmail.Kind.NURTURE,
                                   to=(lead.email,), lead=lead))
    suppression = Suppression.objects.get(address="gone@example.com")
    assert (suppression.reason, suppression.lead_id) == ("hard_bounce", lead.pk)
    assert Event.objects.filter(kind="email.bounced", lead_id=lead.pk).exists()
    assert EmailEvent.objects.filter(kind="bounced", email__lead=lead).exists()


def test_it_does_not_suppress_a_colleagues_address_the_server_refused(down, time_machine):
    from leadgate.mail.models import Suppression

    time_machine.move_to(TUESDAY_10, tick=False)
    refused_by(down, queue)
    assert not Suppression.objects.exists()


def test_it_retries_an_alert_whose_server_hung_up_on_it(down, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    with served_by(Hangup(), down):
        queue()
        assert run_email_tasks() == ["pending"]


# --- the transport ---------------------------------------------------------------------------

SHOW = """
import json, django
django.setup()
from django.conf import settings
from django.core.mail import send_mail
from leadgate.mail import describe_transport
if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    send_mail("Hello from the outbox", "body", None, ["ana@example.com"])
print(json.dumps({"backend": settings.EMAIL_BACKEND, "line": describe_transport()}))
"""


def show_transport(tmp_path, **env) -> tuple[dict, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("EMAIL_") and k != "LEADGATE_DATA_DIR"}
    clean.update(DJANGO_SETTINGS_MODULE="leadgate.settings", LEADGATE_DATA_DIR=str(tmp_path),
                 **env)
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout), done.stderr


def test_it_writes_email_as_files_in_the_data_dir_without_email_host(tmp_path):
    shown, stderr = show_transport(tmp_path)
    assert shown["backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert shown["line"] == "email is written to mail (set EMAIL_HOST to send through SMTP)"
    [written] = list((tmp_path / "mail").iterdir())
    assert "Subject: Hello from the outbox" in Path(written).read_text()
    assert stderr == ""


def test_it_sends_through_smtp_once_email_host_is_set(tmp_path):
    shown, _ = show_transport(tmp_path, EMAIL_HOST="mail.example.com", EMAIL_PORT="587")
    assert shown["backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert shown["line"] == "email goes through SMTP at mail.example.com:587"


def test_it_keeps_an_explicit_email_backend(tmp_path):
    shown, _ = show_transport(tmp_path, EMAIL_HOST="mail.example.com",
                              EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert shown["line"] == "email is printed to the terminal"
