"""Opens and clicks of nurture emails: links recorded when queued, rewritten to
signed redirects when sent, an open pixel; scanners and bots told apart."""

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadgate.leads.models import Event
from leadgate.mail import tracking, unsubscribe
from leadgate.mail.models import EmailEvent, OutboundEmail
from leadgate.mail.outbox import queue_email
from tests.factories import make_lead
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)
PUBLIC = "https://leads.acme.example"
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Safari/537.36")
HTML = """<html><body>
<p>Hello Ada, <a class="cta" href="https://acme.example/guide?a=1&amp;b=2">read the guide</a>
or <a href="mailto:sales@acme.example">write to us</a>, <a href="#top">top</a>,
<A HREF='http://acme.example/pricing'>pricing</A>.</p>
</body></html>"""
LINKS = ["https://acme.example/guide?a=1&b=2", "http://acme.example/pricing"]


@pytest.fixture(autouse=True)
def tracked(settings, time_machine):
    settings.LEADGATE_PUBLIC_URL = PUBLIC
    settings.LEADGATE_EMAIL_TRACKING = True
    settings.LEADGATE_EMAIL_BOT_SECONDS = 5
    time_machine.move_to(TUESDAY_10, tick=False)


@pytest.fixture
def lead(alice):
    return make_lead(owner=alice, email="ada@example.com")


def queue(html_body=HTML, kind=OutboundEmail.Kind.NURTURE, track=True, **fields):
    row, _ = queue_email(key="nurture:1", kind=kind, to=["ada@example.com"], subject="A guide",
                         body="Read the guide: https://acme.example/guide", html_body=html_body,
                         track=track, **fields)
    return row


def sent_html(smtp) -> str:
    run_email_tasks()
    raw = smtp.messages[-1][1].encode().replace(b"\r\n", b"\n")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return message.get_body(("html",)).get_content()


def later(time_machine, seconds=60):
    time_machine.move_to(TUESDAY_10 + timedelta(seconds=seconds), tick=False)


def path(url: str) -> str:
    return urlsplit(url).path


# --- queueing and sending -----------------------------------------------------------------


def test_it_records_the_web_links_of_the_html_in_order_then_the_honeypot():
    assert queue().links == [*LINKS, tracking.HONEYPOT]


def test_it_records_no_links_unless_asked():
    assert queue(track=False).links == []


def test_it_records_no_links_while_tracking_is_off(settings):
    settings.LEADGATE_EMAIL_TRACKING = False
    assert queue().links == []


def test_it_refuses_tracking_for_other_kinds_naming_the_field():
    with pytest.raises(ValueError, match="^track:"):
        queue(kind=OutboundEmail.Kind.PERSONAL)


def test_it_sends_each_link_through_its_signed_redirect(smtp):
    row = queue()
    html = sent_html(smtp)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs[:4] == [f"{PUBLIC}/mail/c/{tracking.click_token(row.pk, 0)}",
                         "mailto:sales@acme.example", "#top",
                         f"{PUBLIC}/mail/c/{tracking.click_token(row.pk, 1)}"]
    assert '<a class="cta" href=' in html and ">read the guide</a>" in html
    assert "acme.example/guide" not in html and "acme.example/pricing" not in html


def test_it_keeps_the_unsubscribe_link_as_it_is(smtp):
    row = queue()
    assert f'href="{PUBLIC}/mail/u/{unsubscribe.token(row.pk)}"' in sent_html(smtp)


def test_it_appends_a_hidden_honeypot_link_and_the_open_pixel_inside_the_body(smtp):
    row = queue()
    html = sent_html(smtp)
    trap = f'<a href="{PUBLIC}/mail/c/{tracking.click_token(row.pk, 2)}" style="display:none"'
    pixel = f'<img src="{PUBLIC}/mail/o/{tracking.open_token(row.pk)}" width="1" height="1"'
    assert html.index(trap) < html.index(pixel) < html.index("</body>")


def test_it_leaves_the_text_body_untracked(smtp):
    queue()
    run_email_tasks()
    assert "Read the guide: https://acme.example/guide" in smtp.messages[-1][1]


def test_it_tracks_nothing_in_an_email_not_asked_to(smtp):
    queue(track=False)
    html = sent_html(smtp)
    assert "/mail/c/" not in html and "/mail/o/" not in html
    assert 'href="https://acme.example/guide?a=1&amp;b=2"' in html


def test_it_finds_links_the_same_way_in_a_body_with_windows_line_ends(smtp):
    row = queue(html_body=HTML.replace("\n", "\r\n"))
    assert row.links == [*LINKS, tracking.HONEYPOT]
    assert f"/mail/c/{tracking.click_token(row.pk, 1)}" in sent_html(smtp)


# --- clicks ------------------------------------------------------------------------------


def test_it_redirects_a_click_to_the_link_of_that_email(client, smtp, time_machine):
    row = queue()
    run_email_tasks()
    later(time_machine)
    response = client.get(path(tracking.click_url(row.pk, 0)), HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Location"]) == (302, LINKS[0])
    assert "no-store" in response["Cache-Control"]


def test_it_records_a_persons_click_for_the_email_and_the_lead(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    client.get(path(tracking.click_url(row.pk, 1)), HTTP_USER_AGENT=BROWSER)
    click = EmailEvent.objects.get()
    assert (click.kind, click.url, click.bot, click.user_agent) == (
        "clicked", LINKS[1], "", BROWSER)
    event = Event.objects.get(kind="email.clicked")
    assert (event.lead_id, event.data) == (
        lead.pk, {"email": row.pk, "kind": "nurture", "url": LINKS[1]})


def test_it_never_redirects_to_a_url_from_the_request(client, smtp, time_machine):
    row = queue()
    run_email_tasks()
    later(time_machine)
    response = client.get(path(tracking.click_url(row.pk, 0)),
                          {"url": "https://evil.example", "next": "https://evil.example"})
    assert response["Location"] == LINKS[0]


def test_it_answers_not_found_and_records_nothing_for_an_altered_click_token(client, smtp):
    row = queue()
    run_email_tasks()
    good = tracking.click_token(row.pk, 0)
    for token in [good[:-1] + ("A" if good[-1] != "A" else "B"), "WzEsMF0:forged",
                  tracking.open_token(row.pk), unsubscribe.token(row.pk),
                  tracking.click_token(row.pk, 3), tracking.click_token(row.pk + 1, 0)]:
        response = client.get(f"/mail/c/{token}")
        assert response.status_code == 404 and "Location" not in response
    assert not EmailEvent.objects.exists()


def test_it_marks_a_click_within_the_bot_seconds_of_sending_as_a_bots(
        client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine, seconds=4)
    response = client.get(path(tracking.click_url(row.pk, 0)), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert EmailEvent.objects.get().bot == "within 5 s of sending"
    assert not Event.objects.filter(kind="email.clicked").exists()


@pytest.mark.parametrize("agent", ["Barracuda Sentinel (EE)", "python-requests/2.32",
                                   "curl/8.5.0", "Go-http-client/1.1",
                                   "Mozilla/5.0 HeadlessChrome/120.0", ""])
def test_it_marks_a_click_by_a_scanner_or_a_tool_as_a_bots(
        client, smtp, lead, time_machine, agent):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    client.get(path(tracking.click_url(row.pk, 0)), HTTP_USER_AGENT=agent)
    assert EmailEvent.objects.get().bot
    assert not Event.objects.filter(kind="email.clicked").exists()


def test_it_marks_a_hit_on_the_hidden_link_as_a_bots(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    response = client.get(path(tracking.click_url(row.pk, 2)), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404 and "Location" not in response
    assert EmailEvent.objects.get().bot == "honeypot link"
    assert not Event.objects.filter(kind="email.clicked").exists()


def test_it_records_the_leads_event_once_per_link(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    for index in (0, 0, 1):
        client.get(path(tracking.click_url(row.pk, index)), HTTP_USER_AGENT=BROWSER)
    assert EmailEvent.objects.filter(kind="clicked").count() == 3
    assert sorted(e.data["url"] for e in Event.objects.filter(kind="email.clicked")) == sorted(
        LINKS)


def test_it_records_nothing_for_a_head_request(client, smtp, time_machine):
    row = queue()
    run_email_tasks()
    later(time_machine)
    assert client.head(path(tracking.click_url(row.pk, 0))).status_code == 302
    assert not EmailEvent.objects.exists()


def test_it_keeps_at_most_a_hundred_clicks_of_an_email(client, smtp, time_machine):
    row = queue()
    run_email_tasks()
    later(time_machine)
    for _ in range(tracking.MAX_EVENTS + 5):
        client.get(path(tracking.click_url(row.pk, 0)), HTTP_USER_AGENT=BROWSER)
    assert EmailEvent.objects.count() == tracking.MAX_EVENTS


# --- opens --------------------------------------------------------------------------------


def test_it_answers_the_pixel_as_an_uncached_gif(client, smtp, time_machine):
    row = queue()
    run_email_tasks()
    later(time_machine)
    response = client.get(path(tracking.open_url(row.pk)), HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Content-Type"]) == (200, "image/gif")
    assert response.content == tracking.PIXEL and response.content.startswith(b"GIF89a")
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_it_records_a_persons_open_for_the_email_and_the_lead(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    client.get(path(tracking.open_url(row.pk)), HTTP_USER_AGENT=BROWSER)
    assert EmailEvent.objects.get().kind == "opened"
    event = Event.objects.get(kind="email.opened")
    assert (event.lead_id, event.data) == (lead.pk, {"email": row.pk, "kind": "nurture"})


def test_it_counts_an_image_proxy_fetch_as_a_persons_open(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    client.get(path(tracking.open_url(row.pk)),
               HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
                               "(via ggpht.com GoogleImageProxy)")
    assert EmailEvent.objects.get().bot == ""
    assert Event.objects.filter(kind="email.opened").count() == 1


def test_it_records_the_leads_open_event_once_per_email(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    for _ in range(3):
        client.get(path(tracking.open_url(row.pk)), HTTP_USER_AGENT=BROWSER)
    assert EmailEvent.objects.filter(kind="opened").count() == 3
    assert Event.objects.filter(kind="email.opened").count() == 1


def test_it_marks_an_open_on_delivery_as_a_bots(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine, seconds=1)
    client.get(path(tracking.open_url(row.pk)), HTTP_USER_AGENT=BROWSER)
    assert EmailEvent.objects.get().bot == "within 5 s of sending"
    assert not Event.objects.filter(kind="email.opened").exists()


def test_it_answers_the_gif_and_records_nothing_for_a_bad_pixel_token(client, smtp):
    row = queue()
    run_email_tasks()
    for token in ["Nw:forged", tracking.click_token(row.pk, 0), "x"]:
        response = client.get(f"/mail/o/{token}")
        assert (response.status_code, response.content) == (200, tracking.PIXEL)
    assert not EmailEvent.objects.exists()


def test_it_records_a_hit_in_a_fixed_number_of_queries(client, smtp, lead, time_machine):
    row = queue(lead=lead)
    run_email_tasks()
    later(time_machine)
    with CaptureQueriesContext(connection) as hit:
        client.get(path(tracking.open_url(row.pk)), HTTP_USER_AGENT=BROWSER)
    assert len(hit.captured_queries) <= 7  # the email, count, first?, event, lead event
