"""Segment tests in a real browser: a manager picks what the test changes,
fills in the arms and the segment, starts it, reads the report (no verdict
yet, the arms' table), and stops it; the pages fit a phone."""

import re

import pytest
from playwright.sync_api import expect

from leadgate.routing.models import Experiment
from tests.browser import browser_page, log_in  # noqa: F401
from tests.test_reports_browser import drawn_at_both_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_starts_reads_and_stops_a_test_as_a_manager(browser_page, mia):  # noqa: F811
    page = browser_page
    log_in(page, "mia")
    page.goto("/reports/tests/")
    expect(page.get_by_role("heading", name="No segment test yet")).to_be_visible()
    page.get_by_role("link", name="New test").click()
    page.get_by_role("link", name="Response time").click()
    page.get_by_label("Name").fill("Hot leads: 5 minutes or 1 hour")
    page.get_by_label("An arm's lead converts when it is").select_option(
        label="qualified and handed off")
    page.get_by_label("Arm arms-0 value").fill("5")
    page.get_by_label("Arm arms-1 value").fill("60")
    page.get_by_label("Arm arms-1 label").fill("1 hour")
    page.get_by_label("Condition 1: field").select_option("inquiry.hot")
    page.get_by_label("Condition 1: value").fill("yes")
    page.get_by_role("button", name="Start the test").click()

    expect(page).to_have_url(re.compile(r"/reports/tests/\?test=\d+$"))
    expect(page.locator("#test-h")).to_have_text("Hot leads: 5 minutes or 1 hour")
    expect(page.locator("#verdict")).to_contain_text("Too early to size")
    arms = page.locator("#arms tbody tr")
    expect(arms).to_have_count(2)
    expect(arms.nth(1).locator("td[data-key=treatment]")).to_have_text("1 h")
    drawn_at_both_widths(page, "segment-test")

    page.get_by_label("Reason").fill("the team changed")
    page.get_by_role("button", name="Stop the test").click()
    expect(page.locator("#tests td[data-key=state]")).to_have_text("stopped")
    expect(page.locator("#test")).to_contain_text("(the team changed)")
    assert not Experiment.objects.get().running


def test_it_names_the_arm_it_cannot_take_in_the_form(browser_page, mia):  # noqa: F811
    page = browser_page
    log_in(page, "mia")
    page.goto("/reports/tests/new/?kind=response_time")
    page.get_by_label("Name").fill("Too slow")
    page.get_by_label("Arm arms-0 value").fill("5")
    page.get_by_label("Arm arms-1 value").fill("5")
    page.get_by_role("button", name="Start the test").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was started")
    expect(page.locator("#arms-error")).to_have_text(
        "arms: two arms treat leads alike: nothing to compare")
    drawn_at_both_widths(page, "segment-test-form-error")
