"""Working a lead in a real browser: log a call with its disposition and next
step, then qualify the lead as sales-ready with BANT answers."""

import importlib
import re

import pytest
from playwright.sync_api import expect

from leadgate.leads.models import Task, Touch
from leadgate.workspace.models import Qualification
from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD, make_account, make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_lead(page, lead):
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    page.goto(f"/leads/{lead.pk}/")


@pytest.fixture
def frameworks(db):
    """The seeded frameworks again: a transactional test empties the tables."""
    from django.apps import apps

    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)


@pytest.fixture
def lead(alice, frameworks):
    return make_lead(owner=alice, stage="mql", first_name="Grace", last_name="Hopper",
                     phone="+1 555 0100", time_zone="America/New_York",
                     account=make_account("US Navy"))


def test_it_logs_a_call_with_a_disposition_and_a_next_step(browser_page, lead, alice):  # noqa: F811
    page = browser_page
    open_lead(page, lead)
    expect(page.locator("#call-link")).to_have_attribute("href", "tel:+15550100")
    expect(page.locator("#attempts")).to_have_text("attempt 0 of 6")
    # No field takes the focus on opening (the keys, j/k and c or d then a
    # number, work at once); the form proposes the plan's next attempt.
    expect(page.locator("#touch-form :focus")).to_have_count(0)
    expect(page.get_by_label("Due")).not_to_have_value("")
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Disposition").select_option(label="Voicemail left")
    page.get_by_label("Notes").fill("left a voicemail about the demo")
    page.get_by_label("Next step").fill("Call back after the demo")
    page.get_by_label("Next step").press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Touch logged")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Voicemail left")
    expect(timeline).to_contain_text("MQL → Working")
    expect(page.locator("#lead-stage")).to_have_text("Working")
    expect(page.locator("#attempts")).to_have_text("attempt 1 of 6")
    expect(page.locator("#tasks-h + ul")).to_contain_text("Call back after the demo")
    assert page.evaluate("window.notReloaded") is True
    touch = Touch.objects.get(lead=lead)
    assert (touch.disposition, touch.actor) == ("voicemail_left", alice)
    assert Task.objects.get(lead=lead, done_at__isnull=True).title == "Call back after the demo"
    screenshot(page, "touch-logged")


def test_it_qualifies_a_lead_as_sales_ready_with_bant_answers(browser_page, lead):  # noqa: F811
    page = browser_page
    open_lead(page, lead)
    page.get_by_label("Disposition").select_option(label="Connected")
    page.get_by_label("Verdict").select_option(label="Sales-ready")
    page.locator("#answer-need").fill("month-end reporting takes a week")
    page.locator("#met-need").check()
    page.get_by_role("button", name="Log touch").click()

    # Refused: authority and timeframe are missing; the answer given is kept.
    expect(page.locator("#answers-error")).to_contain_text("authority, timeframe")
    expect(page.locator("#answer-need")).to_have_value("month-end reporting takes a week")

    page.locator("#answer-authority").select_option("decision maker")
    page.locator("#met-authority").check()
    page.locator("#answer-timeframe").select_option("this quarter")
    page.locator("#met-timeframe").check()
    page.get_by_role("button", name="Log touch").click()

    expect(page.get_by_role("status")).to_contain_text("Sales-ready")
    expect(page.locator("#tasks-h + ul")).to_contain_text("Hand off to sales")
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    qualification = Qualification.objects.get(lead=lead)
    assert qualification.verdict == "sales_ready"
    assert qualification.answers["authority"] == {"value": "decision maker", "met": True}
    screenshot(page, "sales-ready")
