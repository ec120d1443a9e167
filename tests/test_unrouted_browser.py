"""The pools on the desk in a real browser: a manager sees a new API lead in
the unrouted pool with its count and gives it to a qualifier; a qualifier
takes a lead from the team pool. Screenshots at desktop and phone widths."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from leadgate.leads.models import Lead
from leadgate.orchestration.tasks import after_intake
from leadgate.routing.models import Seat, SlaPolicy
from tests.api_helpers import api_post, make_key
from tests.browser import browser_page, log_in, screenshot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A Monday, 10:00 UTC: office hours.
MONDAY_10 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
WIDTHS = {"desktop": 1440, "phone": 390}


@pytest.fixture
def named(alice, bob, charlie, mia):
    """The people with their names, as the pages should show them."""
    for user, first, last in ((alice, "Alice", "Archer"), (bob, "Bob", "Baker"),
                              (charlie, "Charlie", "Chen"), (mia, "Mia", "Moreau")):
        user.first_name, user.last_name, user.time_zone = first, last, "Europe/Paris"
        user.save()
    return alice, bob, charlie, mia


def new_api_lead(**fields) -> Lead:
    # A flush after an earlier test of this kind drops the migration's policies.
    SlaPolicy.objects.get_or_create(segment="inbound", defaults={"minutes": 60})
    body = {"email": "grace@hopper.example", "first_name": "Grace", "last_name": "Hopper",
            "company": "Navy Labs", **fields}
    response = api_post(make_key(None, scopes=("intake",)), "/leads", body)
    assert response.status_code == 201, response.content
    after_intake.call(response.json()["lead"])
    return Lead.objects.get(pk=response.json()["lead"])




def shots(page, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def test_it_shows_a_manager_the_unrouted_lead_and_lets_her_give_it(
        browser_page, named, time_machine):  # noqa: F811
    time_machine.move_to(MONDAY_10, tick=True)
    _alice, _bob, charlie, _mia = named
    lead = new_api_lead()  # two teams, no default team, no rule: in no team
    page = browser_page
    log_in(page, "mia")
    page.goto("/desk/")
    tab = page.locator("#tab-unrouted")
    expect(tab).to_have_text("Unrouted (1)")
    expect(page.locator("#unrouted-notice")).to_contain_text("1 lead in no team")
    shots(page, "desk-queue-manager")
    tab.click()
    expect(page.get_by_role("heading", name="Unrouted leads")).to_be_visible()
    row = page.locator(f"#desk-leads tr[data-lead='{lead.pk}']")
    expect(row).to_contain_text("Grace Hopper")
    expect(row).to_contain_text("Navy Labs")
    expect(row.get_by_role("combobox")).to_contain_text("Charlie Chen (Qualifiers APAC)")
    shots(page, "desk-unrouted")

    row.get_by_role("combobox").select_option(label="Charlie Chen (Qualifiers APAC)")
    row.get_by_role("button", name="Give").click()
    expect(page.get_by_role("status")).to_contain_text("Gave Grace Hopper to Charlie Chen.")
    expect(page.locator("#tab-unrouted")).to_have_text("Unrouted (0)")
    expect(page.locator("#desk-leads")).to_contain_text("No lead waits in no team.")
    lead.refresh_from_db()
    assert lead.owner == charlie


def test_it_shows_a_qualifier_the_team_pool_and_lets_him_take_a_lead(
        browser_page, named, time_machine):  # noqa: F811
    time_machine.move_to(MONDAY_10, tick=True)
    alice, bob, _charlie, _mia = named
    for away in (alice, bob):
        Seat.objects.create(user=away, paused=True)
    alice.team.is_default = True
    alice.team.save()
    lead = new_api_lead()  # the default team's pool: everyone is paused
    page = browser_page
    log_in(page, "bob")
    page.goto("/desk/")
    expect(page.locator("#tab-pool")).to_have_text("Team pool (1)")
    expect(page.locator("#tab-unrouted")).to_have_count(0)
    page.locator("#tab-pool").click()
    row = page.locator(f"#desk-leads tr[data-lead='{lead.pk}']")
    expect(row).to_contain_text("Grace Hopper")
    # The first call, due with the 1-hour SLA at 11:00 UTC: its full date on
    # hover in the viewer's Paris time.
    expect(row.locator("td").nth(4).locator("time")).to_have_attribute(
        "title", re.compile(r"Mar 3, 2025 12:00$"))
    shots(page, "desk-team-pool")

    row.get_by_role("button", name="Take Grace Hopper").click()
    expect(page.get_by_role("status")).to_contain_text("Gave Grace Hopper to Bob Baker.")
    expect(page.locator("#tab-pool")).to_have_text("Team pool (0)")
    lead.refresh_from_db()
    assert lead.owner == bob


def test_it_lets_a_manager_make_a_team_the_default(browser_page, named):  # noqa: F811
    alice, _bob, charlie, _mia = named
    page = browser_page
    log_in(page, "mia")
    page.goto("/routing/teams/")
    expect(page.locator("#default-team")).to_contain_text("No default team")
    card = page.locator(f"#team-{alice.team_id}")
    card.get_by_label("Default team").check()
    card.get_by_role("button", name="Save hours of Qualifiers EMEA").click()
    expect(page.get_by_role("status")).to_contain_text("It is the default team.")
    expect(page.locator("#default-team")).to_contain_text(
        "Leads no routing rule sends elsewhere go to Qualifiers EMEA")
    shots(page, "routing-teams-default")
    alice.team.refresh_from_db()
    charlie.team.refresh_from_db()
    assert (alice.team.is_default, charlie.team.is_default) == (True, False)
