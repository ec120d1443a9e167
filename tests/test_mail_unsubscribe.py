"""The way out of emails to a lead: List-Unsubscribe (RFC 8058 one-click) and a
footer naming the sender in acknowledgement, nurture and personal emails, and
the public page behind the link."""

import email
import email.policy
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from leadgate.leads.models import Event
from leadgate.mail import unsubscribe
from leadgate.mail.models import EmailEvent, OutboundEmail, Suppression
from leadgate.mail.outbox import queue_email
from tests.factories import make_lead
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

Kind = OutboundEmail.Kind
PUBLIC = "https://leads.acme.example"
HTML = "<html><body><p>Hello Ada</p></body></html>"


@pytest.fixture(autouse=True)
def public(settings):
    settings.LEADGATE_PUBLIC_URL = PUBLIC
    settings.LEADGATE_COMPANY_NAME = "Acme Analytics"
    settings.DEFAULT_FROM_EMAIL = "hello@acme.example"
    settings.LEADGATE_REPLY_TO = ""


def queue(kind=Kind.NURTURE, to=("ada@example.com",), key="mail:1", **fields):
    fields.setdefault("body", "Hello Ada\n")
    row, _ = queue_email(key=key, kind=kind, to=list(to), subject="News", **fields)
    return row


def sent(smtp):
    """The message the server received last, parsed."""
    run_email_tasks()
    return email.message_from_bytes(smtp.messages[-1][1].encode().replace(b"\r\n", b"\n"),
                                    policy=email.policy.default)


def parts(message):
    return {part.get_content_type(): part.get_content()
            for part in message.walk() if not part.is_multipart()}


def unsubscribe_path(smtp, **fields) -> str:
    """Queue and send an email; the path of its List-Unsubscribe link."""
    queue(**fields)
    return path_of(sent(smtp))


def header(message, name) -> str:
    """A header's value, unfolded (a long link is folded onto a line of its own)."""
    return message[name].strip()


def path_of(message) -> str:
    return urlsplit(header(message, "List-Unsubscribe").strip("<>")).path


# --- the headers and the footer --------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.ACKNOWLEDGEMENT, Kind.NURTURE, Kind.PERSONAL])
def test_it_gives_every_email_to_a_lead_one_click_unsubscribe_headers(smtp, kind):
    row = queue(kind=kind)
    message = sent(smtp)
    assert header(message, "List-Unsubscribe") == f"<{PUBLIC}/mail/u/{unsubscribe.token(row.pk)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("kind", [Kind.ALERT, Kind.HANDOFF])
def test_it_adds_no_unsubscribe_to_emails_to_staff(smtp, kind):
    queue(kind=kind)
    message = sent(smtp)
    assert message["List-Unsubscribe"] is None
    assert parts(message)["text/plain"] == "Hello Ada\n"


def test_it_ends_the_text_with_the_sender_and_the_unsubscribe_link(smtp):
    row = queue()
    text = parts(sent(smtp))["text/plain"]
    assert text.startswith("Hello Ada\n\n-- \n")
    assert "Sent by Acme Analytics (hello@acme.example)" in text
    assert f"unsubscribe: {PUBLIC}/mail/u/{unsubscribe.token(row.pk)}\n" in text


def test_it_puts_the_footer_inside_the_html_body(smtp):
    row = queue(html_body=HTML)
    html = parts(sent(smtp))["text/html"]
    footer = html.index("Sent by Acme Analytics (hello@acme.example)")
    assert html.index("Hello Ada") < footer < html.index("</body>")
    assert f'href="{PUBLIC}/mail/u/{unsubscribe.token(row.pk)}"' in html


def test_it_gives_the_postal_address_in_the_footer_when_set(smtp, settings):
    settings.LEADGATE_POSTAL_ADDRESS = "1 Main St, Springfield <IL>"
    queue(html_body=HTML)
    message = sent(smtp)
    assert "(hello@acme.example), 1 Main St, Springfield <IL>" in parts(message)["text/plain"]
    assert "1 Main St, Springfield &lt;IL&gt;" in parts(message)["text/html"]


def test_it_escapes_the_sender_in_the_html_footer(smtp, settings):
    settings.LEADGATE_COMPANY_NAME = "Acme <b>& Co</b>"
    queue(html_body=HTML)
    assert "Acme &lt;b&gt;&amp; Co&lt;/b&gt;" in parts(sent(smtp))["text/html"]


def test_it_sets_reply_to_on_emails_to_leads_when_configured(smtp, settings):
    settings.LEADGATE_REPLY_TO = "replies@acme.example"
    queue()
    assert sent(smtp)["Reply-To"] == "replies@acme.example"


def test_it_keeps_the_reply_to_the_email_names(smtp, settings):
    settings.LEADGATE_REPLY_TO = "replies@acme.example"
    queue(kind=Kind.PERSONAL, headers={"Reply-To": "alice@acme.example"})
    assert sent(smtp).get_all("Reply-To") == ["alice@acme.example"]


def test_it_sets_no_reply_to_without_the_setting(smtp):
    queue()
    assert sent(smtp)["Reply-To"] is None


# --- the page ------------------------------------------------------------------------------


def test_it_asks_before_unsubscribing_on_a_get(client, smtp):
    path = unsubscribe_path(smtp)
    response = client.get(path)
    assert response.status_code == 200
    assert b'<button type="submit"' in response.content
    assert not Suppression.objects.exists()


def test_it_unsubscribes_every_recipient_from_the_pages_form(smtp):
    queue(to=("ada@example.com", "Ben <ben@example.com>"))
    path = path_of(sent(smtp))
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)[1]
    response = browser.post(path, {"csrfmiddlewaretoken": token.decode()})
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert sorted(Suppression.objects.values_list("address", "reason")) == [
        ("ada@example.com", "unsubscribed"), ("ben@example.com", "unsubscribed")]


def test_it_refuses_a_form_post_without_the_csrf_token(smtp):
    queue()
    response = Client(enforce_csrf_checks=True).post(path_of(sent(smtp)), {"unsubscribe": "yes"})
    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_it_unsubscribes_on_the_one_click_post_of_a_mailbox_provider(smtp):
    row = queue()
    response = Client(enforce_csrf_checks=True).post(
        path_of(sent(smtp)), "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.email_id) == (
        "ada@example.com", "unsubscribed", row.pk)


def test_it_records_the_unsubscribe_for_the_lead_and_the_email(client, smtp, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    row = queue(lead=lead)
    client.post(path_of(sent(smtp)), {"List-Unsubscribe": "One-Click"})
    event = Event.objects.get(kind="email.unsubscribed")
    assert (event.lead_id, event.data["email"], event.data["address"]) == (
        lead.pk, row.pk, "ada@example.com")
    assert EmailEvent.objects.get().kind == "unsubscribed"


def test_it_changes_nothing_more_when_posted_twice(client, smtp, alice):
    lead = make_lead(owner=alice, email="ada@example.com")
    path = unsubscribe_path(smtp, lead=lead)
    for _ in range(2):
        assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Suppression.objects.count() == 1
    assert Event.objects.filter(kind="email.unsubscribed").count() == 1
    assert EmailEvent.objects.count() == 1


def test_it_sends_no_more_email_to_an_unsubscribed_lead(client, smtp):
    client.post(unsubscribe_path(smtp), {"List-Unsubscribe": "One-Click"})
    queue(key="mail:2")
    assert run_email_tasks() == ["suppressed"]
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_does_nothing_and_tells_nothing_for_an_altered_token(client, smtp, method):
    row = queue(to=("ada@example.com",))
    good = unsubscribe.token(row.pk)
    for token in [good[:-1] + ("A" if good[-1] != "A" else "B"), "MTIz:forged", "x",
                  unsubscribe.token(row.pk + 1)]:
        response = getattr(client, method)(f"/mail/u/{token}", {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 404
        assert b"ada@example.com" not in response.content
    assert not Suppression.objects.exists()


def test_it_refuses_the_token_of_an_email_to_staff(client, smtp):
    row = queue(kind=Kind.ALERT)
    response = client.post(f"/mail/u/{unsubscribe.token(row.pk)}",
                           {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert not Suppression.objects.exists()


def test_it_escapes_what_the_page_shows(client, smtp, settings):
    settings.LEADGATE_COMPANY_NAME = "<script>alert(1)</script>"
    response = client.get(unsubscribe_path(smtp))
    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
