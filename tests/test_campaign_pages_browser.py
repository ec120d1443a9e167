"""Editing a campaign cost in a real browser: a marketer opens the campaigns
page from the header, changes a month's cost, saves and sees the new amount;
the pages fit a desktop and a phone and pass the accessibility check."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from leadgate.intake.models import CampaignCost
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_campaign, make_source, make_user
from tests.nurture_browser import at_both_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def costs(db):
    make_user("mark", "marketing")
    campaign = make_campaign(make_source("Paid search"), "Spring webinar")
    november = CampaignCost.objects.create(
        campaign=campaign, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        amount=Decimal("12500"), currency="USD")
    CampaignCost.objects.create(
        campaign=campaign, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
        amount=Decimal("9000"), currency="USD")
    return november


def test_it_changes_a_months_cost_of_a_campaign(browser_page, costs):  # noqa: F811
    page = browser_page
    log_in(page, "mark")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources and campaigns")
    row = page.locator(f"#cost-{costs.pk}")
    expect(row).to_contain_text("November 2026")
    expect(row).to_contain_text("12,500 USD")
    assert axe_violations(page) == []
    at_both_widths(page, "campaigns")

    row.get_by_role("link", name="Edit the cost of November 2026").click()
    expect(page.get_by_label("Month")).to_have_value("2026-11")
    page.get_by_label("Amount").fill("-1")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_amount-error")).to_have_text("a cost is not negative")
    assert axe_violations(page) == []
    at_both_widths(page, "campaign-cost-edit")

    page.get_by_label("Amount").fill("14250.50")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Saved the cost of Spring webinar")
    expect(page.locator(f"#cost-{costs.pk}")).to_contain_text("14,250.50 USD")
    expect(page.locator("#campaign-" + str(costs.campaign_id) + " tfoot")).to_contain_text(
        "23,250.50 USD")
    costs.refresh_from_db()
    assert costs.amount == Decimal("14250.50")
