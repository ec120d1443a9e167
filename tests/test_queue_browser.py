"""The live desk in a real browser: a lead assigned while the desk is open
appears without a reload."""

import pytest
from django.urls import include, path
from playwright.sync_api import expect

import leadgate.urls
from leadgate.leads.events import record
from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD, make_lead

urlpatterns = [path("", include("leadgate.workspace.queue_urls")), *leadgate.urls.urlpatterns]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.urls(__name__)]


def test_it_shows_a_newly_assigned_lead_without_reloading(browser_page, alice, settings):  # noqa: F811
    settings.LEADGATE_QUEUE_STREAM_SECONDS = 3  # reconnects are part of the test
    page = browser_page
    make_lead(owner=alice, first_name="Old", last_name="Friend", time_zone="")
    page.goto("/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    expect(page.locator("#queue-live")).to_be_visible()  # the stream is open
    page.evaluate("window.notReloaded = true")

    # What routing does: the lead gets its owner, then the owner's desk is told.
    hot = make_lead(owner=alice, first_name="Hot", last_name="Prospect", time_zone="")
    record("lead.assigned", hot)

    expect(page.locator("#queue-leads")).to_contain_text("Hot Prospect", timeout=5_000)
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "live-queue")
