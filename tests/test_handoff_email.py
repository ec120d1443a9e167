"""Whether the rep was emailed about a handoff, where the qualifier and the rep
look: the handoff page, the lead page and the inbox row."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from leadgate.handoff.dossier import email_time
from leadgate.handoff.flow import send
from leadgate.mail.suppression import suppress
from leadgate.mail.tasks import send_due_emails
from leadgate.workspace.touches import log_touch
from tests.factories import make_lead
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)  # 11:00 in Paris
BANT = {
    "need": {"value": "slow month-end", "met": True},
    "authority": {"value": "decision maker", "met": True},
    "timeframe": {"value": "this quarter", "met": True},
}


@pytest.fixture
def handoff(alice, sam, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    alice.time_zone = "Europe/Paris"
    alice.save()
    lead = make_lead(owner=alice, stage="working", first_name="Grace")
    log_touch(lead, alice, channel="call", disposition="connected", verdict="sales_ready",
              answers=BANT)
    return send(lead, by=alice, to_user=sam, dossier={"summary": "read me"})


def rep_email(client, user, path) -> str:
    """The part of the page that says whether the rep was emailed."""
    client.force_login(user)
    html = client.get(path).content.decode()
    start = html.index('class="rep-email')
    return html[start:html.index("</div>", start)]


def test_it_shows_a_failed_attempt_and_the_retry_in_the_viewers_time_zone(
        client, down, handoff, alice):
    run_email_tasks()
    shown = rep_email(client, alice, f"/sales/handoffs/{handoff.pk}/")
    assert 'data-email-state="retrying"' in shown
    assert "Not emailed yet" in shown
    assert "next try <time" in shown and "in 1 min" in shown  # 10:01 UTC
    assert "Feb 25, 2025 11:01" in shown  # on hover
    assert re.search(r"Could not reach the mail server at 127\.0\.0\.1:\d+: Connection refused",
                     shown)


def test_it_shows_the_rep_was_emailed_once_the_server_took_it(
        client, server, handoff, alice, time_machine):
    server.down()
    run_email_tasks()
    server.up()
    time_machine.move_to(TUESDAY_10 + timedelta(minutes=1), tick=False)
    assert send_due_emails.call() == 1  # retries are the sweep's
    shown = rep_email(client, alice, f"/sales/handoffs/{handoff.pk}/")
    assert 'data-email-state="sent"' in shown
    assert "Emailed" in shown and "to sam" in shown and "Feb 25, 2025 11:01" in shown


def test_it_shows_an_email_going_out_before_its_first_attempt(client, handoff, alice):
    shown = rep_email(client, alice, f"/sales/handoffs/{handoff.pk}/")
    assert 'data-email-state="queued"' in shown and "going out now" in shown


def test_it_says_the_rep_could_not_be_emailed_and_what_to_do(
        client, refusing, handoff, alice):
    refusing("550 5.1.1 <sam@example.com>: no such user")
    run_email_tasks()
    shown = rep_email(client, alice, f"/sales/handoffs/{handoff.pk}/")
    assert 'data-email-state="failed"' in shown and "Could not be emailed" in shown
    assert "550 5.1.1 &lt;sam@example.com&gt;: no such user" in shown  # escaped


def test_it_says_the_reps_address_is_suppressed(client, smtp, handoff, alice):
    suppress("sam@example.com", "hard_bounce")
    run_email_tasks()
    shown = rep_email(client, alice, f"/sales/handoffs/{handoff.pk}/")
    assert 'data-email-state="suppressed"' in shown
    assert "sam's address is on the suppression list" in shown
    assert smtp.messages == []


def test_it_tells_the_qualifier_to_tell_the_rep_when_the_email_failed(
        client, refusing, handoff, alice, sam):
    refusing("550 5.1.1 no such user")
    run_email_tasks()
    client.force_login(alice)
    assert "Tell sam yourself" in client.get(f"/sales/handoffs/{handoff.pk}/").content.decode()
    client.force_login(sam)
    assert "Tell sam yourself" not in client.get(
        f"/sales/handoffs/{handoff.pk}/").content.decode()


def test_it_says_so_when_the_rep_has_no_email_address(client, alice, sam):
    sam.email = ""
    sam.save()
    lead = make_lead(owner=alice, stage="working")
    log_touch(lead, alice, channel="call", disposition="connected", verdict="sales_ready",
              answers=BANT)
    handoff = send(lead, by=alice, to_user=sam, dossier={})
    shown = rep_email(client, alice, f"/sales/handoffs/{handoff.pk}/")
    assert 'data-email-state="no-address"' in shown and "sam has no email address" in shown


def test_it_shows_the_email_state_on_the_lead_page_after_handing_off(
        client, down, handoff, alice):
    run_email_tasks()
    shown = rep_email(client, alice, f"/leads/{handoff.lead_id}/")
    assert 'data-email-state="retrying"' in shown and "Not emailed yet" in shown


def test_it_shows_the_email_state_in_the_inbox_row(client, down, handoff, mia):
    run_email_tasks()
    client.force_login(mia)
    html = client.get("/sales/").content.decode()
    row = html[html.index(f'id="handoff-{handoff.pk}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-email-state="retrying"' in row and "next try <time" in row
    assert 'title="could not reach the mail server' in row  # the error in a tooltip


def test_it_tells_the_rep_they_were_emailed(client, smtp, handoff, sam):
    run_email_tasks()
    shown = rep_email(client, sam, f"/sales/handoffs/{handoff.pk}/")
    assert "Emailed" in shown and "to you" in shown



def test_it_writes_the_reps_email_in_the_reps_time_zone_without_iso_dates(
        alice, sam, time_machine):
    from leadgate.mail.models import OutboundEmail

    time_machine.move_to(TUESDAY_10, tick=False)
    sam.time_zone = "America/New_York"
    sam.save()
    lead = make_lead(owner=alice, stage="working", first_name="Grace")
    log_touch(lead, alice, channel="call", disposition="connected", verdict="sales_ready",
              answers=BANT)
    handoff = send(lead, by=alice, to_user=sam, dossier=None)  # composed from the record
    body = OutboundEmail.objects.get(key=f"handoff:{handoff.pk}").body
    due = email_time(handoff.due_at, "America/New_York")
    assert f"Please accept or reject it by {due} (America/New_York)." in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body), body
    # The touch logged at 10:00 UTC: 05:00 in New York.
    assert re.search(r"^  Feb 25, 2025 05:00 call connected", body, re.M), body


def test_it_gives_email_times_in_the_zone_asked_and_leaves_odd_text_alone():
    assert email_time("2025-02-25T10:00:00+00:00", "Europe/Paris") == "Feb 25, 2025 11:00"
    assert email_time(TUESDAY_10, "America/New_York", with_time=False) == "Feb 25, 2025"
    assert email_time("last spring", "UTC") == "last spring"
