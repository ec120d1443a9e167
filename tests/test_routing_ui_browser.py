"""Routing rules in a real browser: a manager creates a rule and sees it listed."""

import pytest
from playwright.sync_api import expect

from leadgate.routing.models import RoutingRule
from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_creates_a_routing_rule_and_lists_it(browser_page, mia, team):  # noqa: F811
    page = browser_page
    page.goto("/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Routing").click()
    expect(page.get_by_role("heading", name="Routing rules")).to_be_visible()

    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("France")
    page.get_by_label("Team").select_option(label=team.name)
    row = page.locator("#condition-1")
    row.get_by_label("Condition 1: field").select_option("account.country")
    row.get_by_label("Condition 1: operator").select_option("in")
    row.get_by_label("Condition 1: value").fill("FR")
    page.get_by_role("button", name="Save rule").click()

    expect(page.get_by_role("status")).to_contain_text("Created the rule “France”.")
    listed = page.locator("#routing-rules tbody tr").first
    expect(listed).to_contain_text("France")
    expect(listed).to_contain_text("account.country is one of FR")
    expect(listed).to_contain_text(team.name)
    screenshot(page, "routing-rules")
    rule = RoutingRule.objects.get(name="France")
    assert rule.team == team
    assert rule.conditions == [{"field": "account.country", "operator": "in", "value": ["FR"]}]
