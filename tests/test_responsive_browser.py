"""The pages a team lives in, on a tablet (768 px) and a phone (390 px):
the desk, a lead's page and the sales inbox fit the screen (a wide table
scrolls inside its card, never the page)."""

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import hand_off, make_account, make_lead
from tests.nurture_browser import WIDER
from tests.test_handoff_browser import frameworks  # noqa: F401 - BANT rows again

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"tablet": (768, 1024), "phone": (390, 844)}


@pytest.fixture
def lead(alice, sam, frameworks):  # noqa: F811
    account = make_account("Analytical Engines Ltd", "analytical.example")
    lead = make_lead(owner=alice, first_name="Ada", last_name="Lovelace", account=account,
                     company_name="Analytical Engines", title="Head of Revenue Operations")
    handed = make_lead(owner=alice, first_name="Grace", last_name="Hopper", account=account)
    hand_off(handed, alice, sam)
    return lead


def fits(page, path, name):
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        screenshot(page, f"{name}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px too wide on a {size}: " \
                              f"{page.evaluate(WIDER)}"


def test_it_fits_the_desk_and_a_lead_on_a_tablet_and_a_phone(browser_page, lead):  # noqa: F811
    log_in(browser_page, "alice")
    fits(browser_page, "/desk/", "desk")
    fits(browser_page, "/desk/?tab=all", "desk-all")
    fits(browser_page, f"/leads/{lead.pk}/", "lead")


def test_it_fits_the_sales_inbox_on_a_tablet_and_a_phone(browser_page, lead):  # noqa: F811
    log_in(browser_page, "sam")
    fits(browser_page, "/sales/", "inbox")
