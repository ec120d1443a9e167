"""The lead definition page in a real browser: a manager reads it and agrees;
a qualifier reads it; both at a desktop and a phone width."""

import re

import pytest
from playwright.sync_api import expect

from leadgate.reports.definition import agree
from leadgate.scoring.models import RuleSet
from leadgate.workspace.models import Framework
from tests.browser import browser_page, log_in  # noqa: F401
from tests.nurture_browser import WATCH, at_both_widths

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def in_force(db):
    """A rule set and a framework of our own: a transactional test does not
    keep the migrations' defaults."""
    Framework.objects.filter(is_default=True).update(is_default=False)
    Framework.objects.update_or_create(kind="bant", defaults={
        "name": "BANT", "is_default": True, "active": True, "questions": [
            {"key": "need", "label": "Need", "short_term": True,
             "help": "What problem are they trying to solve, and what does it cost them today?"},
            {"key": "authority", "label": "Authority", "short_term": True,
             "help": "Who decides? Is this person the decision maker, an influencer or a user?"},
            {"key": "timeframe", "label": "Timeframe", "short_term": True,
             "help": "When do they need a solution in place?"},
            {"key": "budget", "label": "Budget", "help": "Is there budget? How much?"},
        ]})
    first = RuleSet.new_version(note="first rules")
    first.activate()
    second = RuleSet.new_version(note="hot inquiries no longer enough")
    second.mql_hot = False
    second.save()
    second.activate()
    return second


def named(user, first, last):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def test_it_lets_a_manager_agree_and_a_qualifier_read(browser_page, in_force, mia,  # noqa: F811
                                                      sam, alice):
    page = browser_page
    page.add_init_script(WATCH)
    named(mia, "Mia", "Moreau")
    agree(named(sam, "Samuel", "Okonkwo-Villanueva"))
    named(alice, "Alice", "Martin")

    log_in(page, "mia")
    page.get_by_role("link", name="Lead definition").click()
    expect(page.get_by_role("heading", name="Lead definition")).to_be_visible()
    expect(page.locator("#mql-rule")).to_contain_text("fit B or better and engagement 2")
    expect(page.locator("#sales-ready")).to_contain_text("Timeframe")
    status = page.locator("#agreement-status")
    expect(status).to_have_text(re.compile(
        r"^Agreed by Samuel Okonkwo-Villanueva \(sales\) on \w{3} \d{1,2}, \d{4}; "
        r"waiting for a manager\.$"))
    at_both_widths(page, "definition-manager-before")

    page.get_by_role("button", name="I agree to this definition").click()
    expect(page.get_by_role("status")).to_contain_text("You agreed to the lead definition")
    expect(status).to_contain_text("Mia Moreau (manager) on")
    expect(page.locator("#agreement-h")).to_contain_text("agreed")
    expect(page.get_by_role("button", name="I agree to this definition")).to_have_count(0)
    expect(page.locator(f'#history tr[data-version="{in_force.version}"]')).to_contain_text(
        "Mia Moreau (manager)")
    at_both_widths(page, "definition-manager")
    assert page.evaluate("window.__csp") == []

    log_in(page, "alice")
    page.get_by_role("link", name="Lead definition").click()
    expect(status).to_contain_text("Mia Moreau (manager) on")
    expect(page.get_by_role("button", name="I agree to this definition")).to_have_count(0)
    at_both_widths(page, "definition-qualifier")
    assert page.evaluate("window.__csp") == []
