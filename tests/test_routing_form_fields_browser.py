"""The routing forms' fields in a real browser (issue 16): a manager edits a
team's hours in the weekly grid, a rule's conditions with the field list and a
seat's own hours, on a desktop and a phone, with no serious accessibility
violation and nothing wider than the screen."""

import pytest
from playwright.sync_api import expect

from leadgate.leads.models import Team
from leadgate.routing.models import RoutingRule, Seat
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in, screenshot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1440, 390)


def overflow(page) -> int:
    """How far the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def edit_team_hours(page, team: Team, width: int) -> None:
    page.goto("/routing/teams/")
    card = page.locator(f"#team-{team.pk}")
    saturday = card.get_by_label("Open on Saturday")
    expect(card.get_by_label("Saturday opens", exact=True)).to_be_disabled()  # closed: js
    saturday.check()
    card.get_by_label("Saturday opens", exact=True).fill("10:00")
    card.get_by_label("Saturday closes", exact=True).fill("14:00")
    card.get_by_label("Monday closes", exact=True).fill("12:30")
    card.get_by_label("Monday opens again").fill("13:30")
    card.get_by_label("Monday closes again").fill("18:00")
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"team-hours-{width}")
    card.get_by_role("button", name=f"Save hours of {team.name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved the business hours of {team.name}")


def refuse_a_day_closing_before_it_opens(page, team: Team, width: int) -> None:
    card = page.locator(f"#team-{team.pk}")
    card.get_by_label("Tuesday closes", exact=True).fill("08:00")
    card.get_by_role("button", name=f"Save hours of {team.name}").click()
    expect(page.locator(f"#team-{team.pk}")).to_contain_text(
        "Tuesday: closes before it opens (09:00 to 08:00)")
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"team-hours-error-{width}")


def edit_rule(page, team: Team, width: int) -> None:
    page.goto("/routing/rules/new")
    page.get_by_label("Name").fill(f"DACH {width}")
    page.get_by_label("Team").select_option(label=team.name)
    first, second = page.locator("#condition-1"), page.locator("#condition-2")
    first.get_by_label("Condition 1: field").select_option("account.country")
    first.get_by_label("Condition 1: operator").select_option("in")
    first.get_by_label("Condition 1: value").fill("DE, AT, CH")
    expect(second.get_by_label("Condition 2: fact")).to_be_hidden()  # js
    second.get_by_label("Condition 2: field").select_option(label="Another fact, named in the box…")
    second.get_by_label("Condition 2: fact").fill("language")
    second.get_by_label("Condition 2: value").fill("de")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created the rule “DACH {width}”.")
    rule = RoutingRule.objects.get(name=f"DACH {width}")
    assert rule.conditions == [
        {"field": "account.country", "operator": "in", "value": ["DE", "AT", "CH"]},
        {"field": "fact.language", "operator": "eq", "value": "de"}]

    page.goto(f"/routing/rules/{rule.pk}/")  # the saved rule, shown back in the form
    expect(page.get_by_label("Condition 1: value")).to_have_value("DE, AT, CH")
    expect(page.get_by_label("Condition 2: field")).to_have_value("fact.language")
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"rule-edit-{width}")


def give_a_seat_own_hours(page, user, width: int) -> None:
    page.goto("/routing/seats/")
    card = page.locator(f"#seat-{user.pk}")
    grid = card.locator(f"#seat-{user.pk}-grid")
    card.get_by_label("The team's hours").check()
    expect(grid).to_be_hidden()  # js: the grid is not used
    card.get_by_label("Own hours").check()
    expect(grid).to_be_visible()
    card.get_by_label("Open on Friday").uncheck()
    assert overflow(page) <= 0
    assert axe_violations(page) == []
    screenshot(page, f"seats-{width}")
    card.get_by_role("button", name=f"Save seat of {user.username}").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the seat")
    assert Seat.objects.get(user=user).hours == {"mon-thu": "09:00-18:00"}


def test_it_edits_team_hours_and_rule_conditions_with_form_fields(
        browser_page, mia, team, alice):  # noqa: F811
    page = browser_page
    log_in(page, "mia")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        Team.objects.filter(pk=team.pk).update(hours={})
        edit_team_hours(page, team, width)
        team.refresh_from_db()
        assert team.hours == {"mon": "09:00-12:30,13:30-18:00", "tue-fri": "09:00-18:00",
                              "sat": "10:00-14:00"}
        refuse_a_day_closing_before_it_opens(page, team, width)
        team.refresh_from_db()
        assert team.hours["tue-fri"] == "09:00-18:00"  # nothing saved
        edit_rule(page, team, width)
        Team.objects.filter(pk=team.pk).update(hours={})
        Seat.objects.filter(user=alice).delete()
        give_a_seat_own_hours(page, alice, width)
