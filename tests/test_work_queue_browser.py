"""Working lead after lead in a real browser (issue 16): after a touch the next
lead of the queue opens, `j`/`k` move in the queue on the desk and the lead
page, `c`/`d` then a number pick the channel and the disposition, and at
1440x900 the touch form, the call script and the qualification are side by
side in the first screen (stacked, without overflow, on a phone)."""

import importlib
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.leads.events import record
from leadgate.leads.models import Task, Touch
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_account, make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def frameworks(db):
    """The seeded frameworks again: a transactional test empties the tables."""
    from django.apps import apps

    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)


def due_leads(owner, names):
    """Leads due in the owner's queue, in this order (follow-ups due an hour
    apart, the oldest first), with no time zone: never held back outside
    calling hours, whatever the hour the test runs at."""
    now = timezone.now()
    leads = []
    for number, name in enumerate(names):
        lead = make_lead(owner=owner, stage="working", first_name=name, last_name="Queue",
                         time_zone="", phone=f"+44 20 7946 09{number:02d}",
                         account=make_account(f"{name} Ltd"))
        Task.objects.create(lead=lead, assignee=owner, title="call",
                            due_at=now - timedelta(hours=len(names) - number))
        leads.append(lead)
    return leads


def test_it_works_five_leads_in_a_row_from_the_keyboard(browser_page, alice, frameworks):  # noqa: F811
    page = browser_page
    leads = due_leads(alice, ["Ada", "Grace", "Edsger", "Barbara", "Donald"])
    log_in(page, "alice")
    page.goto("/desk/")
    page.keyboard.press("j")  # the queue's first row
    expect(page.locator("#queue-leads tr.key-current")).to_have_attribute(
        "data-lead", str(leads[0].pk))
    page.keyboard.press("Enter")
    for lead in leads:
        page.wait_for_url(f"**/leads/{lead.pk}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(lead.name)
        # The lead worked last goes down the queue: each is first in turn.
        expect(page.locator("#queue-position")).to_have_text("Lead 1 of 5 in your queue")
        page.keyboard.press("c")
        page.keyboard.press("1")
        expect(page.get_by_label("Channel")).to_have_value("call")
        page.keyboard.press("d")
        page.keyboard.press("3")
        expect(page.get_by_label("Disposition")).to_have_value("no_answer")
        expect(page.locator("#key-pending")).to_have_text("Disposition: No answer")
        page.keyboard.press("t")
        expect(page.get_by_label("Next step")).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type(f"Call {lead.first_name} again")
        page.keyboard.press("Enter")
    # The fifth: nothing left to call, and the way back to the desk.
    expect(page.locator("#queue-empty")).to_have_text(
        "Your queue is empty: nothing else to call now.")
    expect(page.locator("#lead-panel .notice")).to_contain_text("Touch logged. Next step set.")
    expect(page.locator(".messages")).to_contain_text("Next in your queue: Donald Queue.")
    page.locator("#queue-empty-desk").click()
    page.wait_for_url("**/desk/")
    touches = Touch.objects.filter(lead__in=leads, actor=alice)
    assert sorted(touches.values_list("lead_id", "channel", "disposition")) == sorted(
        (lead.pk, "call", "no_answer") for lead in leads)
    assert sorted(Task.objects.filter(lead__in=leads, done_at__isnull=True)
                  .values_list("title", flat=True)) == sorted(
        f"Call {lead.first_name} again" for lead in leads)


def test_it_stays_on_the_lead_when_told_to_and_remembers_it(browser_page, alice, frameworks):  # noqa: F811
    page = browser_page
    first, second = due_leads(alice, ["Ada", "Grace"])
    log_in(page, "alice")
    page.goto(f"/leads/{first.pk}/")
    expect(page.get_by_label("Open the next lead after logging")).to_be_checked()
    page.get_by_label("Open the next lead after logging").uncheck()
    page.keyboard.press("Escape")  # out of the checkbox: the keys work anywhere but in a field
    page.keyboard.press("d")
    page.keyboard.press("1")
    page.keyboard.press("1")  # two digits: the eleventh disposition
    expect(page.get_by_label("Disposition")).to_have_value("replied")
    page.keyboard.press("c")
    page.keyboard.press("3")
    expect(page.get_by_label("Channel")).to_have_value("email")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#lead-panel .notice")).to_contain_text("Touch logged. Next step set.")
    assert page.url.endswith(f"/leads/{first.pk}/")
    expect(page.locator("#next-lead")).to_have_text("Next lead: Grace Queue →")
    # The choice holds on the next page (this browser remembers it).
    page.keyboard.press("j")
    page.wait_for_url(f"**/leads/{second.pk}/")
    expect(page.get_by_label("Open the next lead after logging")).not_to_be_checked()
    assert Touch.objects.get(lead=first).disposition == "replied"


def test_it_moves_through_the_queue_with_j_and_k_on_the_lead_page(browser_page, alice, frameworks):  # noqa: F811
    page = browser_page
    first, second, third = due_leads(alice, ["Ada", "Grace", "Edsger"])
    log_in(page, "alice")
    page.goto(f"/leads/{second.pk}/")
    expect(page.locator("#queue-position")).to_have_text("Lead 2 of 3 in your queue")
    page.keyboard.press("j")
    page.wait_for_url(f"**/leads/{third.pk}/")
    page.keyboard.press("k")
    page.wait_for_url(f"**/leads/{second.pk}/")
    page.keyboard.press("k")
    page.wait_for_url(f"**/leads/{first.pk}/")
    expect(page.locator("#queue-prev")).to_have_count(0)
    # Not while typing: the key goes into the field.
    page.get_by_label("Notes").click()
    page.keyboard.type("jk")
    expect(page.get_by_label("Notes")).to_have_value("jk")
    assert page.url.endswith(f"/leads/{first.pk}/")
    # Esc leaves the field; "?" shows and hides every key.
    page.keyboard.press("Escape")
    legend = page.locator("#key-legend")
    expect(legend).to_be_hidden()
    page.keyboard.press("?")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("disposition: 1 Connected, 2 Voicemail left, 3 No answer")
    expect(page.locator("#key-legend-toggle")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("?")
    expect(legend).to_be_hidden()


def test_it_moves_through_the_queue_with_j_and_k_on_the_desk(browser_page, alice, frameworks):  # noqa: F811
    page = browser_page
    first, second, _third = due_leads(alice, ["Ada", "Grace", "Edsger"])
    log_in(page, "alice")
    page.goto("/desk/")
    current = page.locator("#queue-leads tr.key-current")
    page.keyboard.press("j")
    expect(current).to_have_attribute("data-lead", str(first.pk))
    page.keyboard.press("j")
    expect(current).to_have_attribute("data-lead", str(second.pk))
    expect(page.get_by_role("link", name="Grace Queue")).to_be_focused()
    page.keyboard.press("k")
    expect(current).to_have_attribute("data-lead", str(first.pk))
    assert axe_violations(page) == []
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/leads/{first.pk}/")


def test_it_keeps_the_keys_on_their_lead_when_the_live_queue_redraws(
        browser_page, alice, frameworks):  # noqa: F811
    page = browser_page
    _first, second, _third = due_leads(alice, ["Ada", "Grace", "Edsger"])
    log_in(page, "alice")
    page.goto("/desk/")
    expect(page.locator("#queue-live")).to_be_visible()  # the stream is open
    page.keyboard.press("j")
    page.keyboard.press("j")
    current = page.locator("#queue-leads tr.key-current")
    expect(current).to_have_attribute("data-lead", str(second.pk))

    # A lead arrives: the rows are drawn anew, the new one among them.
    hot = make_lead(owner=alice, first_name="Hot", last_name="Prospect", time_zone="")
    record("lead.assigned", hot)
    expect(page.locator("#queue-leads")).to_contain_text("Hot Prospect")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-lead", str(second.pk))
    expect(page.get_by_role("link", name="Grace Queue")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/leads/{second.pk}/")


def inside(box, width, height):
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height)


def test_it_fits_form_script_and_qualification_in_one_screen(browser_page, alice, frameworks):  # noqa: F811
    page = browser_page
    (lead,) = due_leads(alice, ["Ada"])
    log_in(page, "alice")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/leads/{lead.pk}/")
    submit = page.locator("#touch-form").get_by_role("button", name="Log touch")
    script, qualify = page.locator("#script"), page.locator("#qualify")
    expect(qualify).to_contain_text("Budget")
    screenshot(page, "lead-1440")
    boxes = {name: locator.bounding_box() for name, locator in
             (("submit", submit), ("script", script), ("qualify", qualify))}
    for name, box in boxes.items():
        assert inside(box, 1440, 900), (name, box)
    # Side by side: the script, then the form's fields, then the qualification.
    fields = page.locator("#touch-form .fields").first.bounding_box()
    assert boxes["script"]["x"] + boxes["script"]["width"] <= fields["x"]
    assert fields["x"] + fields["width"] <= boxes["qualify"]["x"]
    page.keyboard.press("?")  # the key legend too
    expect(page.locator("#key-legend")).to_be_visible()
    assert axe_violations(page) == []

    for width, height in ((768, 1024), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/leads/{lead.pk}/")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (width, overflow)
        # Stacked: the qualification under the form's fields.
        assert qualify.bounding_box()["y"] > page.locator(
            "#touch-form .fields").first.bounding_box()["y"]
        screenshot(page, f"lead-{width}")
