"""Lead lists in a real browser: a manager filters, saves the view, opens it
again, selects the leads and assigns them after confirming; the managers'
unassigned view gives a lead routed nowhere to a qualifier; the alerts page
resolves a lead's grouped alerts. Each page fits a desktop and a phone, with
no serious accessibility violation (axe-core)."""

import re

import pytest
from playwright.sync_api import expect

from leadgate.routing.models import Alert
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_campaign, make_lead, make_team
from tests.nurture_browser import WIDER, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page, name):
    for width, height in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px too wide at {width}: {page.evaluate(WIDER)}"
        assert axe_violations(page) == [], f"{name} at {width}"
    page.set_viewport_size({"width": 1280, "height": 900})


def named(user, first, last):
    user.first_name, user.last_name = first, last
    user.save()
    return user


@pytest.fixture
def people(alice, bob, mia):
    return named(alice, "Alice", "Meyer"), named(bob, "Bob", "Martin"), named(mia, "Mia", "Lopez")


def test_it_saves_a_view_and_assigns_its_leads_in_bulk(browser_page, people):  # noqa: F811
    alice, bob, _mia = people
    campaign = make_campaign(name="Spring webinar")
    for first in ("Greta", "Hans"):
        make_lead(owner=alice, first_name=first, country="DE", campaign=campaign,
                  source=campaign.source, title="Head of Finance")
    make_lead(owner=alice, first_name="Pierre", country="FR")
    page = browser_page
    log_in(page, "mia")
    page.goto("/desk/")
    page.locator("#tab-lists").click()
    page.get_by_label("Country").fill("DE")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#lead-list tbody tr")).to_have_count(2)
    page.get_by_label("Save these filters as").fill("German leads")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("German leads")
    page.locator("#saved-views").get_by_role("link", name="All leads I may open").click()
    expect(page.locator("#lead-list tbody tr")).to_have_count(3)
    page.locator("#saved-views").get_by_role("link", name="German leads").click()
    expect(page.locator("#lead-list tbody tr")).to_have_count(2)
    fits(page, "lead-list")
    page.get_by_label("Select all on this page").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected:")
    page.locator("#bulk-assign select").select_option(label="Bob Martin")
    page.locator("#bulk-assign").get_by_role("button", name="Assign to…").click()
    expect(page.locator("#bulk-question")).to_have_text("Assign 2 leads to Bob Martin?")
    fits(page, "bulk-confirm")
    page.get_by_role("button", name="Yes, assign 2 leads to Bob Martin").click()
    expect(page.locator("#bulk-summary")).to_have_text("2 leads assigned to Bob Martin.")
    page.locator("#bulk-back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("German leads")
    expect(page.locator("#lead-list td.owner")).to_have_text(["Bob Martin", "Bob Martin"])


def test_it_gives_a_lead_routed_nowhere_to_a_qualifier(browser_page, people):  # noqa: F811
    make_lead(first_name="Pooled", last_name="Lead", team=make_team("Qualifiers DACH"))
    make_lead(first_name="Lost", last_name="Lead", country="NL")
    page = browser_page
    log_in(page, "mia")
    page.goto("/desk/")
    page.locator("#tab-unassigned").click()
    expect(page.locator("#lead-list tbody tr")).to_have_count(2)
    expect(page.locator("#pools")).to_contain_text("Qualifiers DACH (1)")
    page.locator("#pool-nowhere").click()
    expect(page.locator("#lead-list tbody tr")).to_have_count(1)
    fits(page, "unassigned")
    page.get_by_label("Select Lost Lead").check()
    page.locator("#bulk-assign select").select_option(label="Alice Meyer")
    page.locator("#bulk-assign").get_by_role("button", name="Assign to…").click()
    expect(page.locator("#bulk-question")).to_have_text("Assign 1 lead to Alice Meyer?")
    page.get_by_role("button", name="Yes, assign 1 lead to Alice Meyer").click()
    expect(page.locator("#bulk-summary")).to_have_text("1 lead assigned to Alice Meyer.")
    page.locator("#bulk-back").click()
    expect(page).to_have_url(re.compile(r"pool=none"))
    expect(page.locator("#pool-nowhere")).to_contain_text("(0)")


def test_it_resolves_a_leads_grouped_alerts_at_once(browser_page, people):  # noqa: F811
    alice = people[0]
    late = make_lead(owner=alice, first_name="Late", last_name="Caller")
    for _ in range(4):
        Alert.objects.create(kind="sla_breach", lead=late, message="No first call in 5 minutes")
    Alert.objects.create(kind="no_owner", lead=make_lead(first_name="Other"), message="no owner")
    page = browser_page
    log_in(page, "mia")
    page.goto("/routing/alerts/")
    expect(page.locator("#alerts tbody tr")).to_have_count(2)
    expect(page.locator("#alerts tbody tr", has_text="Late Caller").locator(".alert-count")
           ).to_contain_text("4")
    fits(page, "alerts")
    page.get_by_label("Select SLA breached of Late Caller").check()
    page.get_by_role("button", name="Resolve selected").click()
    expect(page.locator("#alerts tbody tr")).to_have_count(1)
    expect(page.locator("#alerts")).not_to_contain_text("Late Caller")
