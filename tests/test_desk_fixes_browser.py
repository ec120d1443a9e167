"""Things wrong on first contact with the desk and the lead page (issue 16), in
a real browser: a call's length reads as it was entered, the seats page says
what its counts count, the aging view is a tab of the desk, the Admin link is
shown only to whom the admin shows something, and a win sits where it was
recorded on the lead's timeline."""

import importlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.handoff.flow import accept
from leadgate.leads.models import Touch, User
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import hand_off, make_account, make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def frameworks(db):
    """The seeded frameworks again: a transactional test empties the tables."""
    from django.apps import apps

    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)


def look(page, name):
    """Full-page screenshots at a desktop and a phone width."""
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_it_shows_a_call_entered_in_minutes_as_minutes_and_seconds(
    browser_page, alice  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper")
    page = browser_page
    log_in(page, "alice")
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_label("Channel").select_option(label="Call")
    page.get_by_label("Disposition").select_option(label="Connected")
    page.get_by_label("Minutes").fill("4.5")
    page.get_by_role("button", name="Log touch").click()

    touch = page.locator('#timeline li[data-kind="touch"]').first
    expect(touch.locator(".call-length")).to_have_text("· 4 min 30 s")
    assert Touch.objects.get(lead=lead).duration_seconds == 270
    look(page, "lead-call-length")


def test_it_says_on_the_seats_page_what_each_count_of_open_leads_counts(
    browser_page, alice, mia  # noqa: F811
):
    for stage in ("working", "working", "mql"):  # on the desk
        make_lead(owner=alice, stage=stage)
    make_lead(owner=alice, stage="nurture")  # open, off the desk
    make_lead(owner=alice, stage="won")  # closed: in neither count
    page = browser_page
    log_in(page, "mia")
    page.goto("/routing/seats/")
    seat = page.locator(f"#seat-{alice.pk}")
    expect(seat.locator(".desk-count")).to_have_text("3 on the desk")
    expect(seat.locator(".open-count")).to_have_text("4 open leads")
    expect(seat).to_contain_text("open: on the desk, in nurture, handed off or with sales")
    look(page, "seats-counts")

    # The desk count is what the qualifier's desk lists.
    log_in(page, "alice")
    page.goto("/desk/?tab=all")
    expect(page.locator("#desk-leads tbody tr")).to_have_count(3)


def test_it_links_the_aging_view_from_the_desk_tabs(browser_page, alice):  # noqa: F811
    make_lead(owner=alice, stage="working")
    page = browser_page
    log_in(page, "alice")
    page.goto("/desk/")
    page.get_by_role("navigation", name="Desk").get_by_role("link", name="Aging").click()
    expect(page).to_have_url(re.compile(r"/desk/aging/$"))
    expect(page.get_by_role("heading", name="Untouched for 7 days")).to_be_visible()
    expect(page.locator("#tab-aging")).to_have_attribute("aria-current", "page")
    look(page, "desk-aging")


def test_it_hides_the_admin_link_from_staff_the_admin_shows_nothing(
    browser_page, mia  # noqa: F811
):
    User.objects.filter(pk=mia.pk).update(is_staff=True)
    page = browser_page
    log_in(page, "mia")
    page.goto("/desk/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)


def test_it_shows_the_admin_link_to_staff_with_an_admin_permission(
    browser_page, mia  # noqa: F811
):
    User.objects.filter(pk=mia.pk).update(is_staff=True)
    mia.user_permissions.add(Permission.objects.get(codename="view_lead"))
    page = browser_page
    log_in(page, "mia")
    page.goto("/desk/")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.locator("#content")).to_contain_text("Leads")


def test_it_places_a_win_closed_yesterday_with_its_stage_move_on_the_timeline(
    browser_page, alice, sam, frameworks  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper",
                     account=make_account("US Navy"))
    accept(hand_off(lead, alice, sam), by=sam)
    closed = timezone.now().date() - timedelta(days=1)
    page = browser_page
    log_in(page, "sam")
    page.goto(f"/leads/{lead.pk}/")
    form = page.locator("#outcome-form")
    form.get_by_label("What happened").select_option(label="Won")
    form.get_by_label("Amount").fill("24000")
    form.get_by_label("Closed on").fill(closed.isoformat())
    form.get_by_role("button", name="Record outcome").click()
    expect(page.locator("#lead-stage")).to_have_text("Won")

    # Newest first: the move to won, the win it recorded (saying the day it
    # closed), then the opportunity it passed through; not the win below them.
    entries = page.locator("#timeline li[data-kind]")
    expect(entries.nth(0)).to_contain_text("Opportunity → Won")
    expect(entries.nth(1)).to_have_attribute("data-kind", "outcome")
    expect(entries.nth(1)).to_contain_text("Won · 24,000 USD")
    expect(entries.nth(1)).to_contain_text(f"closed on {closed:%b} {closed.day}, {closed.year}")
    expect(entries.nth(2)).to_contain_text("Accepted by sales → Opportunity")
    expect(entries.nth(3)).to_contain_text("Opportunity")
    look(page, "lead-won-timeline")
