"""Notifications in a real browser: a qualifier who allowed them is told of
a hot lead that arrives while the desk is open, without a reload; the
header counts what waits."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.leads.events import record
from leadgate.routing.models import SlaClock, SlaPolicy
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser's notifications, recorded instead of shown (a headless browser
# has no desktop to show them on); "default" until the user allows them.
FAKE_NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push([title, options.body]); }
  static requestPermission() { window.Notification.permission = "granted";
                               return Promise.resolve("granted"); }
};
window.Notification.permission = "default";
"""


def hot(owner, first, last):
    lead = make_lead(owner=owner, first_name=first, last_name=last, time_zone="")
    policy, _ = SlaPolicy.objects.get_or_create(segment="hot_inbound", defaults={"minutes": 5})
    SlaClock.objects.create(lead=lead, policy=policy, owner=owner,
                            due_at=timezone.now() + timezone.timedelta(minutes=5))
    return lead


def test_it_tells_the_qualifier_of_a_hot_lead_arriving_on_an_open_desk(
        browser_page, alice, settings):  # noqa: F811
    settings.LEADGATE_QUEUE_STREAM_SECONDS = 3
    page = browser_page
    page.add_init_script(FAKE_NOTIFICATIONS)
    hot(alice, "Already", "Here")
    log_in(page, "alice")
    expect(page.locator("#queue-live")).to_be_visible()
    page.get_by_role("button", name="Tell me when a hot lead arrives").click()
    expect(page.get_by_role("button", name="Tell me when a hot lead arrives")).to_be_hidden()

    record("lead.assigned", hot(alice, "Hot", "Prospect"))
    expect(page.locator("#queue-leads")).to_contain_text("Hot Prospect", timeout=5_000)
    assert page.evaluate("window.__notes") == [["New hot lead", "Hot Prospect"]]
    page.reload()
    expect(page.locator("#desk-count")).to_have_text("2: 2 hot leads waiting")
