"""The profile page in a real browser: a qualifier picks her time zone and
the desk then draws its times in it; the page fits a phone; an error is read
out with the field it is about."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.leads.models import Task
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hover_text(moment, zone):
    """The full date a due time shows on hover: "Mon, Dec 7, 2026 18:05"."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a, %b} {local.day}, {local:%Y %H:%M}"


def due_time(page):
    return page.locator("#queue-leads tr", has_text="Boston Lead").locator("time")


def test_it_draws_the_desk_in_the_time_zone_picked_on_the_profile(
        browser_page, alice):  # noqa: F811
    alice.time_zone = "Europe/Paris"
    alice.save()
    lead = make_lead(owner=alice, first_name="Boston", last_name="Lead",
                     time_zone="America/New_York")
    due = timezone.now() - timedelta(hours=3)
    Task.objects.create(lead=lead, assignee=alice, title="Call back", due_at=due)
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, "alice")
    page.goto("/desk/")
    expect(due_time(page)).to_have_attribute("title", hover_text(due, "Europe/Paris"))

    page.locator("#profile-link").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    screenshot(page, "profile-1440")
    page.get_by_label("Time zone", exact=True).select_option("America/New_York")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".messages")).to_contain_text("Times are shown in America/New York")

    page.get_by_role("link", name="Desk", exact=True).click()
    expect(due_time(page)).to_have_attribute("title", hover_text(due, "America/New_York"))


def test_it_fits_the_profile_page_on_a_phone(browser_page, alice):  # noqa: F811
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "alice")
    page.goto("/profile/")
    expect(page.get_by_role("button", name="Change password")).to_be_visible()
    screenshot(page, "profile-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_it_reads_a_wrong_current_password_out_with_its_field(browser_page, alice):  # noqa: F811
    page = browser_page
    log_in(page, "alice")
    page.goto("/profile/")
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password", exact=True).fill("plum-orchard-lantern-42")
    page.get_by_label("New password confirmation").fill("plum-orchard-lantern-42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Current password")).to_have_accessible_description(
        "Your old password was entered incorrectly. Please enter it again.")
