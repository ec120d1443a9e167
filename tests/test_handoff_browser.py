"""The handoff in a real browser: a qualifier hands a sales-ready lead off, the
rep rejects it with a reason, the qualifier sees the task; handed off again,
the rep accepts it and records a win on the lead page. And whether the rep was
emailed, while the mail server is down and once it is back."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.leads.models import Handoff, User
from leadgate.mail.tasks import send_due_emails
from leadgate.workspace.touches import log_touch
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_account, make_lead
from tests.outbox import run_email_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BANT = {
    "need": {"value": "month-end close takes a week", "met": True},
    "authority": {"value": "decision maker", "met": True},
    "timeframe": {"value": "this quarter", "met": True},
}


@pytest.fixture
def frameworks(db):
    """The seeded frameworks again: a transactional test empties the tables."""
    from django.apps import apps

    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)


@pytest.fixture
def lead(alice, frameworks):
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper",
                     account=make_account("US Navy"))
    log_touch(lead, alice, channel="call", disposition="connected", verdict="sales_ready",
              answers=BANT)
    return lead




def hand_off(page, lead, summary):
    log_in(page, "alice")
    page.goto(f"/leads/{lead.pk}/")
    page.locator("#handoff-link").get_by_role("link", name="Hand off to sales").click()
    expect(page.locator("#dossier-answers")).to_contain_text("month-end close takes a week")
    sam = User.objects.get(username="sam")
    expect(page.get_by_label("Sales rep")).to_have_value(str(sam.pk))  # suggested
    page.get_by_label("Summary for the rep").fill(summary)
    page.get_by_role("button", name="Send to sales").click()
    expect(page.locator("#lead-stage")).to_have_text("Qualified (handed off)")


def test_it_hands_off_rejects_and_hands_off_again_to_a_win(
    browser_page, lead, alice, sam  # noqa: F811
):
    page = browser_page
    hand_off(page, lead, "Grace runs finance ops; wants a demo")

    # The rep sees it in the inbox and rejects it with a reason.
    log_in(page, "sam")
    page.goto("/sales/")
    pending = page.locator("#inbox-pending")
    expect(pending).to_contain_text("Grace Hopper")
    expect(pending).to_contain_text("wants a demo")
    handoff = Handoff.objects.get(lead=lead)
    row = page.locator(f"#handoff-{handoff.pk}")
    row.get_by_label("Reject reason").select_option(label="Not a fit")
    row.get_by_label('Why (required for "other")').fill("too small for us")
    screenshot(page, "handoff-inbox")
    row.get_by_role("button", name="Reject").click()
    expect(page.locator("#inbox-decided")).to_contain_text("Rejected")
    expect(page.locator("#inbox-decided")).to_contain_text("too small for us")

    # Back on the qualifier's desk with a task saying why.
    log_in(page, "alice")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#lead-stage")).to_have_text("Working")
    expect(page.locator("#tasks-h + ul")).to_contain_text(
        "Sales rejected: Not a fit: too small for us")

    # No second handoff before the qualifier answers the reject with a new
    # sales-ready verdict (the answers given before are kept in the form).
    expect(page.locator("#handoff-link")).to_have_count(0)
    page.get_by_label("Disposition").select_option(label="Connected")
    page.get_by_label("Verdict").select_option(label="Sales-ready")
    page.get_by_label("Notes").fill("Budget approved after all")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Log touch").click()
    expect(page.get_by_role("status")).to_contain_text("Sales-ready")
    # Offered at once, in the panel the touch re-drew: no reload needed.
    expect(page.locator("#handoff-link")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True

    # Handed off again; this time the rep accepts and records the win.
    hand_off(page, lead, "Budget approved after all")
    log_in(page, "sam")
    page.goto("/sales/")
    again = Handoff.objects.get(lead=lead, status="pending")
    page.locator(f"#handoff-{again.pk}").get_by_role("button", name="Accept").click()
    expect(page.locator("#inbox-decided")).to_contain_text("Accepted")

    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#lead-stage")).to_have_text("Accepted by sales")
    opportunity = page.locator('form[data-move="opportunity"]')
    opportunity.get_by_label("Amount").fill("25000")
    opportunity.get_by_role("button", name="Opportunity").click()
    expect(page.locator("#lead-stage")).to_have_text("Opportunity")
    won = page.locator('form[data-move="won"]')
    won.get_by_label("Amount").fill("24000")
    won.get_by_role("button", name="Won").click()
    expect(page.locator("#lead-stage")).to_have_text("Won")
    screenshot(page, "handoff-won")
    assert lead.outcomes.get(kind="won").amount == Decimal("24000")
    assert list(Handoff.objects.filter(lead=lead).order_by("pk")
                .values_list("status", "reject_reason")) == [
        ("rejected", "not_a_fit"), ("accepted", "")]


def look(page, name):
    """Full-page screenshots at a desktop and a phone width."""
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_it_shows_the_qualifier_and_the_rep_whether_the_rep_was_emailed(
    browser_page, lead, alice, sam, server, time_machine  # noqa: F811
):
    page = browser_page
    server.down()
    hand_off(page, lead, "Grace runs finance ops; wants a demo")
    handoff = Handoff.objects.get(lead=lead)
    card = page.locator("#handoff-current")
    expect(card).to_contain_text("Not emailed yet")
    expect(card).to_contain_text("going out now")

    # The send task meets a mail server that is down: the email waits.
    run_email_tasks()
    page.reload()
    expect(card).to_contain_text("next try")
    expect(card).to_contain_text("Could not reach the mail server")
    page.locator("#handoff-current").get_by_role("link", name="handoff page").click()
    expect(page.locator("#rep-email")).to_contain_text("Not emailed yet")
    look(page, "handoff-email-retrying-qualifier")
    log_in(page, "sam")
    page.goto(f"/sales/handoffs/{handoff.pk}/")
    expect(page.locator("#rep-email")).to_contain_text("next try")
    look(page, "handoff-email-retrying-rep")
    page.goto("/sales/")
    expect(page.locator(f"#handoff-{handoff.pk} .rep-email")).to_contain_text("Not emailed yet")
    look(page, "handoff-email-retrying-inbox")

    # The server is back; the sweep sends the email at its retry time.
    server.up()
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    assert send_due_emails.call() == 1
    page.goto(f"/sales/handoffs/{handoff.pk}/")
    expect(page.locator("#rep-email")).to_contain_text("Emailed to you")
    look(page, "handoff-email-sent-rep")
    log_in(page, "alice")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#handoff-current")).to_contain_text("Emailed to sam")
    look(page, "handoff-email-sent-qualifier")
    assert [recipients for recipients, _ in server.inbox.messages] == [["sam@example.com"]]
