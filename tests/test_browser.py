"""The desk in a real browser: log in, open a lead, move it, see the timeline update."""

import re

import pytest
from playwright.sync_api import expect

from leadgate.leads.models import StageChange, Task
from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD, make_account, make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_moves_a_lead_to_working_from_the_desk(browser_page, alice):  # noqa: F811
    page = browser_page
    lead = make_lead(
        owner=alice, first_name="Grace", last_name="Hopper", title="Rear Admiral",
        phone="+1 555 0100", company_name="Navy", account=make_account("US Navy"),
    )
    Task.objects.create(lead=lead, assignee=alice, title="First call", due_at=lead.created_at)

    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()

    page.get_by_role("link", name="Grace Hopper").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    timeline = page.locator("#timeline")
    expect(timeline).not_to_contain_text("Inquiry → Working")

    page.evaluate("window.notReloaded = true")
    page.locator('form[data-move="working"]').get_by_label("Reason").fill("calling now")
    page.get_by_role("button", name="Working", exact=True).click()

    expect(timeline.locator("li").first).to_contain_text("Inquiry → Working")
    expect(timeline).to_contain_text("calling now")
    expect(page.locator("#lead-stage")).to_have_text("Working")
    expect(page.get_by_role("status")).to_contain_text("Moved to Working.")
    # htmx swapped the panel in place: same page, no reload.
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    assert page.evaluate("window.notReloaded") is True
    assert StageChange.objects.filter(lead=lead, to_stage="working", by=alice).exists()
    screenshot(page, "lead-page")
