"""Mail that comes back (mail.inbound): replies reach the lead's events with
their new text only, bounces and complaints suppress the address, automatic
replies are kept and ignored, anything malformed is kept and never raised;
and the inbound webhook that hands messages in."""

import email
import email.policy
import time

import pytest

from leadgate.leads.models import Event
from leadgate.mail.inbound import receive
from leadgate.mail.models import EmailEvent, InboundMessage, OutboundEmail, Suppression
from leadgate.mail.outbox import queue_email
from tests import mail_samples as samples
from tests.factories import make_lead
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

SECRET = "inbound-shared-secret"


@pytest.fixture
def lead():
    return make_lead(email="ada@analytical.example")


def sent_to(lead=None, *, to=None, key="nurture:1:1", kind=OutboundEmail.Kind.NURTURE):
    """An email we sent (queued, then marked sent as the sender would)."""
    row, _ = queue_email(key=key, kind=kind, to=[to or lead.email],
                         subject="Your month-end close", body="Would a call help?", lead=lead)
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENT)
    row.refresh_from_db()
    return row


@pytest.fixture
def sent(lead):
    return sent_to(lead)


def lead_events(kind):
    return list(Event.objects.filter(kind=kind).order_by("id"))


# --- replies ------------------------------------------------------------------------


def test_it_keeps_a_gmail_reply_with_its_new_text_only(sent):
    row = receive(samples.gmail_reply(sent.message_id))
    assert (row.kind, row.email_id) == ("reply", sent.pk)
    assert row.text == "Yes, Thursday at 3pm works for me.\n\nAda"
    assert (row.from_address, row.subject) == ("ada@analytical.example", "Re: Your month-end close")
    assert row.message_id == "<CAFx1a2b3c@mail.gmail.com>"


def test_it_records_the_replied_event_of_the_lead(sent, lead):
    row = receive(samples.gmail_reply(sent.message_id))
    [event] = lead_events("email.replied")
    assert event.lead_id == lead.pk
    assert event.data == {"email": sent.pk, "inbound": row.pk, "from": "ada@analytical.example",
                          "text": "Yes, Thursday at 3pm works for me.\n\nAda"}


def test_it_records_the_reply_as_an_event_of_the_email(sent):
    receive(samples.gmail_reply(sent.message_id))
    [event] = EmailEvent.objects.filter(email=sent)
    assert (event.kind, event.detail) == ("replied", "Yes, Thursday at 3pm works for me.\n\nAda")


def test_it_matches_a_reply_to_the_message_id_the_sender_put_on_the_email(smtp, lead):
    row, _ = queue_email(key="nurture:9:1", kind="nurture", to=[lead.email], lead=lead,
                         subject="Your month-end close", body="Would a call help?")
    assert run_email_tasks() == ["sent"]
    [(_, raw)] = smtp.messages
    sent_id = email.message_from_string(raw, policy=email.policy.default)["Message-ID"]
    inbound = receive(samples.gmail_reply(str(sent_id)))
    assert (inbound.kind, inbound.email_id) == ("reply", row.pk)


def test_it_matches_an_outlook_reply_by_references_and_drops_the_quoted_header_block(lead):
    sent = sent_to(lead, to="grace@navy.example")
    references = f"<older@elsewhere.example> {sent.message_id} <CAFx1a2b3c@mail.gmail.com>"
    row = receive(samples.outlook_reply(references))
    assert (row.kind, row.email_id) == ("reply", sent.pk)
    assert row.text == "Hello Sam,\n\nPlease send the pricing for 40 seats.\n\nGrace"


def test_it_reads_the_text_of_a_reply_sent_as_html_alone(lead):
    sent = sent_to(lead, to="grace@navy.example")
    row = receive(samples.outlook_reply(sent.message_id, html_only=True))
    assert row.text == "Hello Sam,\n\nPlease send the pricing for 40 seats.\n\nGrace"


def test_it_drops_the_quoted_history_of_a_french_reply(sent):
    row = receive(samples.french_reply(sent.message_id))
    assert row.kind == "reply"
    assert row.text == "Bonjour,\n\nOui, jeudi à 15 h me convient.\n\nMarie"
    assert row.subject == "Re : Votre clôture mensuelle"  # one line: the no-break space too


def test_it_reads_a_reply_in_an_unknown_charset_as_utf8(sent):
    row = receive(samples.base64_reply(sent.message_id, "Ça me va, appelez-moi.",
                                       charset="x-unknown-charset"))
    assert (row.kind, row.text) == ("reply", "Ça me va, appelez-moi.")


def test_it_records_no_lead_event_for_a_reply_to_an_email_without_a_lead(db):
    alert = sent_to(to="ops@leadgate.example", key="alert:1", kind=OutboundEmail.Kind.ALERT)
    row = receive(samples.gmail_reply(alert.message_id))
    assert row.kind == "reply"
    assert EmailEvent.objects.filter(email=alert, kind="replied").count() == 1
    assert lead_events("email.replied") == []


def test_it_keeps_a_message_answering_nothing_as_unmatched(sent):
    row = receive(samples.plain(body="Do you sell to schools?"))
    assert (row.kind, row.email, row.text) == ("unmatched", None, "Do you sell to schools?")
    assert EmailEvent.objects.count() == 0 and lead_events("email.replied") == []


def test_it_keeps_a_reply_to_an_email_not_ours_as_unmatched(sent):
    row = receive(samples.gmail_reply("<someone-else@example.org>"))
    assert (row.kind, row.email) == ("unmatched", None)


# --- once -----------------------------------------------------------------------------


def test_it_keeps_a_message_once_and_acts_on_it_once(sent):
    first = receive(samples.gmail_reply(sent.message_id))
    again = receive(samples.gmail_reply(sent.message_id, text="A different body, same id"))
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert EmailEvent.objects.count() == 1 and len(lead_events("email.replied")) == 1


def test_it_names_a_message_without_message_id_by_a_hash_of_its_bytes(db):
    first = receive(samples.plain(message_id=None, body="one"))
    assert receive(samples.plain(message_id=None, body="one")).pk == first.pk
    other = receive(samples.plain(message_id=None, body="two"))
    assert other.pk != first.pk
    assert first.message_id.endswith("@sha256.leadgate.invalid>")


# --- bounces --------------------------------------------------------------------------


def test_it_suppresses_the_address_of_a_permanent_bounce(sent, lead):
    row = receive(samples.dsn(sent.message_id, lead.email, status="5.1.1"))
    assert (row.kind, row.email_id) == ("bounce", sent.pk)
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.email_id, suppression.lead_id) \
        == (lead.email, "hard_bounce", sent.pk, lead.pk)
    [event] = lead_events("email.bounced")
    assert event.data["inbound"] == row.pk and event.data["email"] == sent.pk


def test_it_records_a_permanent_bounce_with_what_the_server_said(sent, lead):
    receive(samples.dsn(sent.message_id, lead.email, status="5.1.1"))
    [event] = EmailEvent.objects.filter(email=sent)
    assert event.kind == "bounced"
    assert event.detail.startswith(f"{lead.email}: Status 5.1.1: smtp; 550 5.1.1")


def test_it_records_a_temporary_bounce_without_suppressing_the_address(sent, lead):
    row = receive(samples.dsn(sent.message_id, lead.email, status="4.2.2"))
    assert row.kind == "bounce"
    assert list(EmailEvent.objects.values_list("kind", flat=True)) == ["soft_bounced"]
    assert Suppression.objects.count() == 0 and lead_events("email.bounced") == []
    assert "temporary failure, not suppressed" in row.text


def test_it_matches_a_bounce_returning_the_whole_original(sent, lead):
    row = receive(samples.dsn(sent.message_id, lead.email, original="message"))
    assert (row.kind, row.email_id) == ("bounce", sent.pk)
    assert Suppression.objects.filter(address=lead.email, email=sent).exists()


def test_it_matches_a_bounce_without_the_original_by_its_recipient(lead):
    older = sent_to(lead, key="nurture:1:1")
    newer = sent_to(lead, key="nurture:1:2")
    row = receive(samples.dsn("", lead.email, original="none"))
    assert row.email_id == newer.pk != older.pk
    assert Suppression.objects.get().email_id == newer.pk


def test_it_suppresses_nothing_for_a_bounce_of_an_address_never_emailed(sent):
    row = receive(samples.dsn("<not-ours@example.org>", "stranger@example.org"))
    assert (row.kind, row.email) == ("bounce", None)
    assert Suppression.objects.count() == 0 and EmailEvent.objects.count() == 0
    assert "no email of ours to it found" in row.text


def test_it_ignores_a_failed_address_too_long_to_be_one(sent):
    row = receive(samples.dsn(sent.message_id, "a" * 300 + "@analytical.example"))
    assert row.kind == "bounce"
    assert Suppression.objects.count() == 0 and EmailEvent.objects.count() == 0


def test_it_does_not_take_a_reply_quoting_a_bounce_for_one(sent):
    text = "Your last email bounced: 550 5.1.1 <ada@analytical.example> User unknown.\nAda"
    row = receive(samples.gmail_reply(sent.message_id, text=text))
    assert row.kind == "reply" and Suppression.objects.count() == 0


def test_it_reads_a_big_bounce_quickly(sent, lead):
    # The returned original makes a bounce big; the report comes before it.
    raw = samples.dsn(sent.message_id, lead.email, original="message",
                      returned_body="550 5.1.1 user unknown <someone@example.org>\n" * 200_000)
    started = time.monotonic()
    row = receive(raw)
    assert time.monotonic() - started < 5
    assert list(Suppression.objects.values_list("address", flat=True)) == [lead.email]
    assert row.email_id == sent.pk


# --- complaints -----------------------------------------------------------------------


def test_it_suppresses_the_recipient_of_a_complaint_that_redacts_it(sent, lead):
    row = receive(samples.arf(sent.message_id, None))
    assert (row.kind, row.email_id) == ("complaint", sent.pk)
    assert Suppression.objects.filter(address=lead.email, reason="complaint", email=sent).exists()
    assert EmailEvent.objects.get().kind == "complained"
    assert lead_events("email.complained")[0].data["inbound"] == row.pk


def test_it_suppresses_the_address_a_complaint_names(sent, lead):
    receive(samples.arf(sent.message_id, "ADA@analytical.example"))
    assert list(Suppression.objects.values_list("address", flat=True)) == [lead.email]


def test_it_suppresses_nothing_for_a_complaint_about_an_email_not_ours(sent):
    row = receive(samples.arf("<not-ours@example.org>", None))
    assert (row.kind, row.email) == ("complaint", None)
    assert Suppression.objects.count() == 0 and EmailEvent.objects.count() == 0


# --- automatic replies ----------------------------------------------------------------


def test_it_keeps_an_out_of_office_as_an_automatic_reply_and_acts_on_nothing(sent):
    row = receive(samples.out_of_office(sent.message_id))
    assert (row.kind, row.email_id) == ("auto_reply", sent.pk)
    assert EmailEvent.objects.count() == 0 and lead_events("email.replied") == []


def test_it_takes_an_out_of_office_subject_alone_for_an_automatic_reply(sent):
    row = receive(samples.out_of_office(sent.message_id, auto_submitted=None,
                                        subject="Out of Office: Your month-end close"))
    assert row.kind == "auto_reply"


@pytest.mark.parametrize("header", ["X-Autoreply: yes", "X-Autorespond: vacation",
                                    "Precedence: auto_reply", "Precedence: bulk",
                                    "Auto-Submitted: auto-generated"])
def test_it_takes_an_automatic_reply_header_for_an_automatic_reply(sent, header):
    raw = samples.gmail_reply(sent.message_id).replace(b"MIME-Version", header.encode()
                                                       + b"\r\nMIME-Version", 1)
    assert receive(raw).kind == "auto_reply"


def test_it_takes_auto_submitted_no_for_a_person(sent):
    raw = samples.gmail_reply(sent.message_id).replace(b"MIME-Version",
                                                       b"Auto-Submitted: no\r\nMIME-Version", 1)
    assert receive(raw).kind == "reply"


# --- untrusted content ----------------------------------------------------------------

HOSTILE = {
    "binary": b"\x00\xff\xfe\x00garbage\r\n\r\n\x00",
    "headers only": b"From: a\r\nSubject: b\r\n",
    "no header": b"\r\n\r\njust a body",
    "bad boundary": b"Message-ID: <m1@x>\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n"
                    b"\r\n--\r\n",
    "bad base64": b"Message-ID: <m2@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!@@@===",
    "bad encoded words": b"Message-ID: <m3@x>\r\nSubject: =?utf-8?b?====?= =?x-nope?q?a?=\r\n"
                         b"From: =?utf-8?q?=FF?= <<<@>>>\r\n\r\nhi",
    "broken report": b"Message-ID: <m4@x>\r\nFrom: MAILER-DAEMON@x\r\nContent-Type: "
                     b"multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
                     b"Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: \x00;;;\r\n"
                     b"Action: failed\r\n--b--\r\n",
    "broken feedback report": b"Message-ID: <m5@x>\r\nContent-Type: multipart/report; "
                              b"report-type=feedback-report; boundary=b\r\n\r\n--b\r\n"
                              b"Content-Type: message/feedback-report\r\n\r\n\xff\xff\r\n--b--",
    "huge references": b"Message-ID: <m6@x>\r\nReferences: " + b" ".join(
        b"<%d@x>" % n for n in range(20_000)) + b"\r\n\r\nhi",
    "huge message id": b"Message-ID: <" + b"a" * 5000 + b"@x>\r\n\r\nhi",
}


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_it_keeps_a_malformed_message_without_raising(raw, sent):
    row = receive(raw)
    row.refresh_from_db()
    assert row.kind in ("unmatched", "bounce", "complaint")
    assert Suppression.objects.count() == 0


def test_it_stores_header_values_on_one_line(sent):
    raw = samples.plain(subject="=?utf-8?q?Hello=0D=0ABcc:_victim@example.org?=",
                        sender="=?utf-8?q?Eve=0D=0ABcc:_x@example.org?= <eve@example.org>")
    row = receive(raw)
    assert "\n" not in row.subject and "\r" not in row.subject
    assert row.subject == "Hello Bcc: victim@example.org"
    assert row.from_address == "eve@example.org"


def test_it_stores_a_message_holding_nul_characters(sent):
    raw = samples.gmail_reply(sent.message_id, text="Yes\x00 please").replace(
        b"Subject: Re:", b"Subject: =?utf-8?q?=00?=Re:")
    row = receive(raw)
    row.refresh_from_db()
    assert row.text == "Yes please" and "\x00" not in row.subject


def test_it_splits_a_reply_with_a_very_long_line_quickly(sent):
    long_line = "On " * 5_000  # took the parser 7 s, its time growing with the square
    started = time.monotonic()
    row = receive(samples.gmail_reply(sent.message_id, text=f"Call me.\n{long_line}"))
    assert time.monotonic() - started < 5
    assert row.text.startswith("Call me.\n") and long_line.strip() in row.text


# --- the webhook ----------------------------------------------------------------------


@pytest.fixture
def secret(settings):
    settings.LEADGATE_INBOUND_SECRET = SECRET
    return SECRET


def post(client, body, *, secret=SECRET, content_type="message/rfc822"):
    headers = {"X-Leadgate-Secret": secret} if secret is not None else {}
    return client.post("/mail/inbound", data=body, content_type=content_type, headers=headers)


def test_it_receives_a_message_posted_to_the_webhook(client, secret, sent):
    response = post(client, samples.gmail_reply(sent.message_id))
    assert response.status_code == 202
    row = InboundMessage.objects.get()
    assert response.json() == {"id": row.pk, "kind": "reply"}


def test_it_answers_the_same_row_when_a_message_is_posted_again(client, secret, sent):
    first = post(client, samples.gmail_reply(sent.message_id)).json()
    response = post(client, samples.gmail_reply(sent.message_id),
                    content_type="application/octet-stream")
    assert (response.status_code, response.json()) == (202, first)
    assert len(lead_events("email.replied")) == 1


@pytest.mark.parametrize("given", ["wrong", "", None])
def test_it_refuses_a_post_without_the_secret(client, secret, given, sent):
    response = post(client, samples.gmail_reply(sent.message_id), secret=given)
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0


def test_it_answers_404_when_no_secret_is_configured(client, settings, sent):
    settings.LEADGATE_INBOUND_SECRET = ""
    response = post(client, samples.gmail_reply(sent.message_id), secret="")
    assert response.status_code == 404


def test_it_refuses_an_empty_body(client, secret):
    response = post(client, b"  \r\n")
    assert response.status_code == 400 and "empty" in response.json()["detail"]


def test_it_refuses_a_body_over_10_mb(client, secret):
    response = post(client, b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 400 and "10 MB" in response.json()["detail"]
    assert InboundMessage.objects.count() == 0


def test_it_refuses_another_content_type(client, secret, sent):
    response = post(client, b'{"a": 1}', content_type="application/json")
    assert response.status_code == 415 and "message/rfc822" in response.json()["detail"]


def test_it_answers_405_to_a_get(client, secret):
    assert client.get("/mail/inbound", headers={"X-Leadgate-Secret": SECRET}).status_code == 405


def test_it_answers_202_to_a_malformed_message(client, secret):
    response = post(client, HOSTILE["bad encoded words"])
    assert (response.status_code, response.json()["kind"]) == (202, "unmatched")
