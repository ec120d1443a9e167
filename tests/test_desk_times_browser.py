"""Times on the desk, in a real browser: each lead's local time in its own
zone, due times as "3 h overdue" with the full date in the viewer's zone on
hover, and the same after the live queue re-fetches its rows."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import include, path
from django.utils import timezone
from playwright.sync_api import expect

import leadgate.urls
from leadgate.leads.events import record
from leadgate.leads.models import Task
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_lead

urlpatterns = [path("", include("leadgate.workspace.queue_urls")), *leadgate.urls.urlpatterns]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.urls(__name__)]

PARIS = ZoneInfo("Europe/Paris")


def due_lead(owner, name, zone, ago):
    lead = make_lead(owner=owner, first_name=name, last_name="Lead", time_zone=zone)
    due = timezone.now() - ago
    Task.objects.create(lead=lead, assignee=owner, title="Call back", due_at=due)
    return lead, due


def local_times(zone):
    """The lead's clock now and a minute on ("Mon 18:05"): the page was drawn
    a moment ago."""
    now = datetime.now(ZoneInfo(zone))
    return {f"{moment:%a %H:%M}" for moment in (now, now + timedelta(minutes=1))}


def row(page, name):
    return page.locator("#queue-leads tr", has_text=f"{name} Lead")


def test_it_shows_each_leads_own_local_time(browser_page, alice):  # noqa: F811
    alice.time_zone = "Europe/Paris"
    alice.save()
    for name, zone in (("Tokyo", "Asia/Tokyo"), ("Boston", "America/New_York")):
        due_lead(alice, name, zone, timedelta(hours=3))
    page = browser_page
    log_in(page, "alice")
    for name, zone in (("Tokyo", "Asia/Tokyo"), ("Boston", "America/New_York")):
        cell = row(page, name).locator("td").nth(4)
        expect(cell).to_contain_text(zone)
        assert " ".join(cell.inner_text().split()[:2]) in local_times(zone)


def test_it_draws_due_times_relative_with_the_viewers_date_on_hover_also_after_a_refresh(
        browser_page, alice, settings):  # noqa: F811
    settings.LEADGATE_QUEUE_STREAM_SECONDS = 3
    alice.time_zone = "Europe/Paris"
    alice.save()
    _lead, due = due_lead(alice, "Late", "Europe/Madrid", timedelta(days=400))
    hover = f"{due.astimezone(PARIS):%a, %b} {due.astimezone(PARIS).day}, " \
            f"{due.astimezone(PARIS):%Y %H:%M}"
    page = browser_page
    log_in(page, "alice")
    when = row(page, "Late").locator("time")
    expect(when).to_have_text("13 mo overdue")
    expect(when).to_have_attribute("title", hover)
    expect(page.locator("#queue-live")).to_be_visible()

    page.evaluate("window.notReloaded = true")
    fresh = make_lead(owner=alice, first_name="Fresh", last_name="Lead")
    Task.objects.create(lead=fresh, assignee=alice, title="Call", due_at=timezone.now())
    record("lead.assigned", fresh)
    expect(page.locator("#queue-leads")).to_contain_text("Fresh Lead", timeout=5_000)
    assert page.evaluate("window.notReloaded") is True
    expect(when).to_have_attribute("title", hover)  # not UTC after the re-fetch
