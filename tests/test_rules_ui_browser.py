"""Rule editing in a real browser: a manager drafts, changes a rule, previews, activates."""

import re

import pytest
from django.db.models import Max
from playwright.sync_api import expect

from leadgate.scoring.models import Rule, RuleSet
from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD, make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_drafts_previews_and_activates_new_rules(browser_page, mia):  # noqa: F811
    page = browser_page
    # Rules of our own: a transactional test does not keep the migration's defaults.
    last = RuleSet.objects.aggregate(last=Max("version"))["last"] or 0
    current = RuleSet.objects.create(version=last + 1, note="form fills only")
    Rule.objects.create(ruleset=current, kind="engagement", name="Form fill",
                        field="form:any", operator="exists", value=True, points=10)
    current.activate()
    make_lead(first_name="Grace")  # each with a form inquiry: 10 points, level 3 (D3)
    make_lead(first_name="Ada")

    page.goto("/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Scoring").click()
    expect(page.get_by_role("heading", name="Scoring rules")).to_be_visible()

    page.get_by_label("Note").fill("form fills count more")
    page.get_by_role("button", name="New draft").click()
    draft = RuleSet.objects.get(version=current.version + 1)
    expect(page).to_have_url(re.compile(rf"/scoring/rules/{draft.version}/$"))

    row = page.locator('#rules tr:has(input[value="Form fill"])')
    row.get_by_label("Points").fill("50")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved the draft v{draft.version}.")

    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-leads")).to_have_text("2")
    expect(page.locator("#preview-changed")).to_have_text("2")
    expect(page.locator("#preview-matrix")).to_contain_text("D3")
    expect(page.locator("#activate-confirm")).to_contain_text("every lead is rescored")
    screenshot(page, "rules-preview")

    page.get_by_role("button", name=f"Activate v{draft.version}").click()
    expect(page.get_by_role("status")).to_contain_text(f"v{draft.version} is now in force")
    assert RuleSet.active_one() == draft
    assert draft.rules.get(name="Form fill").points == 50
