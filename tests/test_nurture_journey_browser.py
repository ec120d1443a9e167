"""Nurture end to end, in a real browser with a real SMTP server: a manager
builds a four-step cadence; a qualifier gives a lead the long-term verdict;
the lead receives the first email at the SMTP server, replies (through the
inbound hook, as a mail provider posts it), and is at the top of the
qualifier's queue as "came back from nurture"."""

import importlib
from datetime import date
from email import message_from_string, policy

import pytest
from django.apps import apps
from playwright.sync_api import expect

from leadgate.leads import events
from leadgate.leads.lifecycle import Stage
from leadgate.nurture import engine
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_account, make_lead
from tests.nurture_browser import at_both_widths, fill_step
from tests.outbox import run_email_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "inbound-test-secret"  # noqa: S105 - a test's own


@pytest.fixture
def seeded(db):
    """What migrations seed and a transactional test empties: the frameworks
    of the touch form and the SLA policies (the `returned` one among them)."""
    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)
    for name in ("0002_default_policies", "0006_returned_from_nurture"):
        importlib.import_module(f"leadgate.routing.migrations.{name}").create(apps, None)


def react():
    while any(events.consume(name) for name in ("nurture", "sla-clocks")):
        pass


def test_it_nurtures_a_lead_until_its_reply_brings_it_back(
        browser_page, seeded, smtp, settings, mia, alice):  # noqa: F811
    settings.LEADGATE_INBOUND_SECRET = SECRET
    page = browser_page
    other = make_lead(owner=alice, first_name="Other", stage=Stage.WORKING)
    lead = make_lead(owner=alice, first_name="Grace", last_name="Hopper",
                     email="grace@navy.example", stage=Stage.WORKING,
                     account=make_account("US Navy"))

    # The manager builds the cadence.
    log_in(page, "mia")
    page.goto("/nurture/new")
    page.get_by_label("Name").fill("Long-term")
    page.get_by_label("Role").select_option(label="First cadence of every new enrollment")
    page.get_by_role("button", name="Create cadence").click()
    fill_step(page, 1, "Automatic email", subject="A guide for {{ account.name }}",
              text="Hi {{ lead.first_name }}, here is the guide we talked about.")
    page.get_by_role("button", name="+ Add a step").click()
    fill_step(page, 2, "Wait", delay=3)
    page.get_by_role("button", name="+ Add a step").click()
    fill_step(page, 3, "Call task", delay=1, subject="Call {{ lead.first_name }}")
    page.get_by_role("button", name="+ Add a step").click()
    fill_step(page, 4, "Automatic email", delay=5, subject="Still on your list?",
              text="Hi {{ lead.first_name }}, shall we talk?")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("status")).to_contain_text("Saved version 1.")

    # The qualifier gives the lead the long-term verdict.
    log_in(page, "alice")
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_label("Disposition").select_option(label="Connected")
    page.get_by_label("Verdict").select_option(label="Long-term (nurture)")
    page.get_by_label("Re-contact on").fill(date(2027, 6, 1).isoformat())
    page.get_by_label("Notes").fill("No budget before next year")
    page.get_by_label("Open the next lead after logging").uncheck()  # stay to see it move
    page.get_by_role("button", name="Log touch").click()
    expect(page.locator("#lead-stage")).to_have_text("Nurture")

    # The workers: the enrollment, the first step, the email to the SMTP server.
    react()
    assert engine.run_due()["email"] == 1
    run_email_tasks()
    [(recipients, raw)] = smtp.messages
    assert recipients == ["grace@navy.example"]
    sent = message_from_string(raw, policy=policy.default)
    assert sent["Subject"] == "A guide for US Navy"
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#nurture-now")).to_contain_text("Step 2 of 4: Wait")

    # Grace replies; her mail provider posts the reply to the inbound hook.
    reply = (f"From: Grace Hopper <grace@navy.example>\r\nTo: {sent['From']}\r\n"
             f"Subject: Re: {sent['Subject']}\r\nMessage-ID: <reply-1@navy.example>\r\n"
             f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['Message-ID']}\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\n"
             "Budget came through, can we talk next week?\r\n\r\n"
             f"On Mon, Mar 2, 2026 at 9:00 AM {sent['From']} wrote:\r\n"
             "> Hi Grace, here is the guide we talked about.\r\n")
    answer = page.request.post("/mail/inbound", data=reply.encode(), headers={
        "Content-Type": "message/rfc822", "X-Leadgate-Secret": SECRET})
    assert answer.status == 202
    react()

    # Back at the top of the qualifier's queue, saying why.
    page.goto("/desk/")
    first = page.locator("#queue-leads tr.queue-item").first
    expect(first).to_contain_text("Grace Hopper")
    expect(first).to_contain_text("Came back from nurture: replied")
    expect(first).to_contain_text("Budget came through, can we talk next week?")
    expect(first).not_to_contain_text("wrote:")
    expect(page.locator("#queue-leads")).to_contain_text("Other")
    at_both_widths(page, "nurture-came-back-queue")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#lead-stage")).to_have_text("Working")
    expect(page.locator("#nurture-history")).to_contain_text("Replied")
    lead.refresh_from_db()
    assert (lead.stage, lead.owner, other.stage) == (Stage.WORKING, alice, Stage.WORKING)
