"""Search in a real browser: "/" puts the cursor in the header's box, typing
lists the matches as you go, the arrow keys and Enter open one; the
results page and the account page fit a desktop and a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_account, make_lead
from tests.nurture_browser import at_both_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def leads(alice):
    account = make_account("Analytical Engines Ltd", "analytical.example")
    ada = make_lead(owner=alice, first_name="Ada", last_name="Lovelace", account=account,
                    email="ada@analytical.example", company_name="Analytical Engines")
    make_lead(owner=alice, first_name="Charles", last_name="Babbage", account=account)
    return ada


def test_it_finds_a_lead_as_you_type_and_opens_it_from_the_keyboard(browser_page, leads):  # noqa: F811
    page = browser_page
    log_in(page, "alice")
    page.keyboard.press("/")
    expect(page.locator("#search-q")).to_be_focused()
    page.keyboard.type("lovel")
    hit = page.locator("#search-results .search-hit")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Ada Lovelace")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/leads/{leads.pk}/$"))


def test_it_lists_every_match_and_opens_the_account(browser_page, leads):  # noqa: F811
    page = browser_page
    log_in(page, "alice")
    page.locator("#search-q").fill("analytical")
    page.locator("#search-results").get_by_role("option", name=re.compile("All results")).click()
    expect(page.locator("#search-leads tbody tr")).to_have_count(2)  # both emails match
    at_both_widths(page, "search-results")
    page.locator("#search-accounts").get_by_role("link", name="Analytical Engines Ltd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytical Engines Ltd")
    expect(page.locator("#account-leads tbody tr")).to_have_count(2)
    at_both_widths(page, "account")
