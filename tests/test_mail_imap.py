"""The reply mailbox's poll (mail.imap): unread messages received, then
flagged read once committed; a server that cannot be reached is one warning.

There is no IMAP server on this machine: `Mailbox` stands in for the remote
server, implementing the few IMAPClient calls poll() makes, with IMAP's
semantics (UIDs, UNSEEN, BODY.PEEK[] leaving \\Seen alone). Everything else
(receive, the database, the real IMAPClient failing to connect) is real."""

import imaplib
import logging

import pytest
from imapclient import SEEN
from imapclient.exceptions import LoginError

from leadgate.leads.periodic import JOBS
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE
from leadgate.mail import imap
from leadgate.mail.inbound_tasks import poll_reply_mailbox
from leadgate.mail.models import InboundMessage, OutboundEmail
from leadgate.mail.outbox import queue_email
from tests import mail_samples as samples
from tests.factories import make_lead
from tests.outbox import closed_port

pytestmark = pytest.mark.django_db


class Mailbox:
    """A remote IMAP server's folder, as IMAPClient shows it. `drop_after`:
    the connection breaks at that fetch (counted from 1)."""

    def __init__(self, messages, *, user="replies", password="pw",  # noqa: S107 - a test's
                 folder="INBOX"):
        self.messages = {uid: {"raw": raw, "flags": set()} for uid, raw in
                         enumerate(messages, start=1)}
        self.user, self.password, self.folder = user, password, folder
        self.selected = None
        self.fetches = []
        self.flagged_with_rows = []  # InboundMessage rows existing when flags were set
        self.drop_after = None
        self.logged_out = False

    def __call__(self):
        return self  # poll(connect=mailbox): the connection is the mailbox itself

    def login(self, user, password):
        if (user, password) != (self.user, self.password):
            raise LoginError("b'[AUTHENTICATIONFAILED] Invalid credentials (Failure)'")

    def select_folder(self, folder, readonly=False):
        if folder != self.folder:
            raise imaplib.IMAP4.error(f"select failed: Mailbox doesn't exist: {folder}")
        self.selected = folder
        return {b"EXISTS": len(self.messages)}

    def search(self, criteria):
        assert self.selected and list(criteria) == ["UNSEEN"]
        return [uid for uid, message in self.messages.items()
                if "\\Seen" not in message["flags"]]

    def fetch(self, uids, data):
        self.fetches.append((list(uids), list(data)))
        if self.drop_after is not None and len(self.fetches) >= self.drop_after:
            raise imaplib.IMAP4.abort("socket error: EOF")
        answer = {}
        for uid in uids:
            message = self.messages.get(uid)
            if message is None:
                continue
            raw, item = message["raw"], {b"SEQ": uid}
            for selector in data:
                if selector == "RFC822.SIZE":
                    item[b"RFC822.SIZE"] = len(raw)
                elif selector == "BODY.PEEK[]":
                    item[b"BODY[]"] = raw
                elif selector == "BODY.PEEK[HEADER]":
                    item[b"BODY[HEADER]"] = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                else:  # RFC822 or BODY[] would set \Seen before the message is kept
                    raise AssertionError(f"fetch {selector} marks the message read")
            answer[uid] = item
        return answer

    def add_flags(self, uids, flags, silent=False):
        assert list(flags) == [SEEN]
        self.flagged_with_rows.append(InboundMessage.objects.count())
        for uid in uids:
            self.messages[uid]["flags"].update(flag.decode() for flag in flags)

    def logout(self):
        self.logged_out = True

    def unseen(self):
        return [uid for uid, message in self.messages.items()
                if "\\Seen" not in message["flags"]]


@pytest.fixture
def configured(settings):
    settings.LEADGATE_IMAP_HOST = "imap.leadgate.example"
    settings.LEADGATE_IMAP_USER, settings.LEADGATE_IMAP_PASSWORD = "replies", "pw"
    settings.LEADGATE_IMAP_FOLDER = "INBOX"
    return settings


@pytest.fixture
def sent():
    lead = make_lead(email="ada@analytical.example")
    row, _ = queue_email(key="nurture:1:1", kind="nurture", to=[lead.email], lead=lead,
                         subject="Your month-end close", body="Would a call help?")
    return row


def replies(sent, count):
    return [samples.gmail_reply(sent.message_id, message_id=f"<reply-{n}@mail.gmail.com>",
                                text=f"Answer {n}") for n in range(count)]


def test_it_receives_the_unread_messages_and_marks_them_read(configured, sent):
    mailbox = Mailbox([samples.gmail_reply(sent.message_id), samples.out_of_office(
        sent.message_id)])
    assert imap.poll(mailbox) == 2
    assert sorted(InboundMessage.objects.values_list("kind", flat=True)) == [
        "auto_reply", "reply"]
    assert mailbox.unseen() == [] and mailbox.logged_out


def test_it_marks_messages_read_only_after_they_are_kept(configured, sent):
    mailbox = Mailbox(replies(sent, 3))
    imap.poll(mailbox)
    assert mailbox.flagged_with_rows == [3]


def test_it_leaves_messages_already_read_alone(configured, sent):
    mailbox = Mailbox(replies(sent, 2))
    mailbox.messages[1]["flags"].add("\\Seen")
    assert imap.poll(mailbox) == 1
    assert [uids for uids, _ in mailbox.fetches] == [[2], [2]]


def test_it_reads_in_batches(configured, sent):
    mailbox = Mailbox(replies(sent, imap.BATCH + 5))
    assert imap.poll(mailbox) == imap.BATCH + 5
    bodies = [uids for uids, data in mailbox.fetches if data == ["BODY.PEEK[]"]]
    assert [len(uids) for uids in bodies] == [imap.BATCH, 5]


def test_it_leaves_the_rest_of_a_full_mailbox_to_the_next_run(configured, sent, monkeypatch):
    monkeypatch.setattr(imap, "MAX_PER_RUN", 3)
    mailbox = Mailbox(replies(sent, 5))
    assert imap.poll(mailbox) == 3
    assert imap.poll(mailbox) == 2 and mailbox.unseen() == []


def test_it_reads_again_next_run_what_a_dropped_connection_left_unread(configured, sent, caplog):
    mailbox = Mailbox(replies(sent, imap.BATCH + 2))
    mailbox.drop_after = 3  # the first batch's two fetches pass, the second batch's breaks
    assert imap.poll(mailbox) == imap.BATCH
    assert len(mailbox.unseen()) == 2
    mailbox.drop_after = None
    assert imap.poll(mailbox) == 2
    assert InboundMessage.objects.count() == imap.BATCH + 2 and mailbox.unseen() == []


def test_it_receives_once_a_message_read_again(configured, sent):
    mailbox = Mailbox(replies(sent, 1))
    imap.poll(mailbox)
    mailbox.messages[1]["flags"].clear()  # another client marked it unread
    assert imap.poll(mailbox) == 1
    assert InboundMessage.objects.count() == 1
    assert sent.events.filter(kind="replied").count() == 1


def test_it_reads_only_the_headers_of_a_message_over_the_size_cap(configured, sent, monkeypatch):
    monkeypatch.setattr(imap, "MAX_SIZE", 500)
    mailbox = Mailbox(replies(sent, 1))
    assert imap.poll(mailbox) == 1
    row = InboundMessage.objects.get()
    assert (row.kind, row.email_id) == ("reply", sent.pk)
    assert "only the headers were read" in row.text
    assert ([1], ["BODY.PEEK[HEADER]"]) in mailbox.fetches


def test_it_does_nothing_without_a_host(settings, sent):
    settings.LEADGATE_IMAP_HOST = ""
    mailbox = Mailbox(replies(sent, 1))
    assert imap.poll(mailbox) == 0
    assert mailbox.fetches == [] and mailbox.unseen() == [1]


def test_it_logs_one_warning_when_the_server_cannot_be_reached(configured, caplog):
    configured.LEADGATE_IMAP_HOST, configured.LEADGATE_IMAP_PORT = "127.0.0.1", closed_port()
    configured.LEADGATE_IMAP_SSL = False
    with caplog.at_level(logging.WARNING, logger="leadgate.mail.imap"):
        assert imap.poll() == 0  # the real IMAPClient, refused
    [record] = caplog.records
    assert "ConnectionRefusedError" in record.getMessage() and record.exc_info is None


def test_it_logs_one_warning_when_the_login_is_refused(configured, sent, caplog):
    configured.LEADGATE_IMAP_PASSWORD = "wrong"
    mailbox = Mailbox(replies(sent, 1))
    with caplog.at_level(logging.WARNING, logger="leadgate.mail.imap"):
        assert imap.poll(mailbox) == 0
    [record] = caplog.records
    assert "LoginError" in record.getMessage() and record.exc_info is None
    assert mailbox.unseen() == [1] and mailbox.logged_out


def test_it_logs_one_warning_when_the_folder_does_not_exist(configured, sent, caplog):
    configured.LEADGATE_IMAP_FOLDER = "Replies"
    with caplog.at_level(logging.WARNING, logger="leadgate.mail.imap"):
        assert imap.poll(Mailbox(replies(sent, 1))) == 0
    [record] = caplog.records
    assert "Mailbox doesn't exist" in record.getMessage()


def test_it_polls_every_60_s_on_the_urgent_queue():
    assert JOBS[poll_reply_mailbox.module_path][0] == 60
    assert (poll_reply_mailbox.queue_name, poll_reply_mailbox.priority) == (
        URGENT_QUEUE, URGENT_PRIORITY)


def test_it_runs_the_poll_task_as_a_no_op_without_a_host(settings):
    settings.LEADGATE_IMAP_HOST = ""
    assert poll_reply_mailbox.call() == 0
    assert OutboundEmail.objects.count() == 0
