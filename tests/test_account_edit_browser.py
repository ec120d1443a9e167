"""Editing an account and adding a lead at it, in a real browser: a manager
opens the account, fixes its domain (told by name when another account has
it), saves, then adds a lead there with the company filled in."""

import re

import pytest
from playwright.sync_api import expect

from leadgate.leads.models import Lead
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_account
from tests.nurture_browser import at_both_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_edits_an_account_and_adds_a_lead_at_it(browser_page, mia):  # noqa: F811
    account = make_account("Analytical Engines", "analytical.example")
    make_account("Babbage & Co", "babbage.example")
    page = browser_page
    log_in(page, "mia")
    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name="Edit Analytical Engines").click()
    page.get_by_label("Domain").fill("babbage.example")
    page.get_by_label("Employees").fill("120")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_domain-error")).to_contain_text(
        "another account has the domain babbage.example: Babbage & Co")
    assert axe_violations(page) == []
    at_both_widths(page, "account-edit")

    page.get_by_label("Domain").fill("engines.example")
    page.get_by_label("Country").fill("Germany")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytical Engines")
    expect(page.locator("dl.facts")).to_contain_text("engines.example")
    expect(page.locator("dl.facts")).to_contain_text("120")

    page.get_by_role("link", name="Add a lead at Analytical Engines").click()
    expect(page.get_by_label("Company")).to_have_value("Analytical Engines")
    assert axe_violations(page) == []
    at_both_widths(page, "lead-new")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@engines.example")
    page.get_by_role("button", name="Add the lead").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    lead = Lead.objects.get()
    assert lead.account_id == account.pk and lead.inquiries.get().channel == "manual"
