"""The nurture pages in a real browser: a manager builds a four-step cadence
in the editor; a qualifier reads a cadence's figures. Each page at a desktop
and a phone's width (screenshots when LEADGATE_SCREENSHOTS names a folder),
with no Content-Security-Policy violation."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.nurture.cadences import StepSpec, create_cadence, save_steps
from leadgate.nurture.models import Cadence, Enrollment, StepRun
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import make_lead, make_user
from tests.nurture_browser import WATCH, at_both_widths, fill_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_it_builds_a_four_step_cadence_in_the_editor(browser_page, mia):  # noqa: F811
    page = browser_page
    page.add_init_script(WATCH)
    log_in(page, "mia")
    page.get_by_role("link", name="Nurture").click()
    expect(page.get_by_role("heading", name="Nurture cadences")).to_be_visible()
    page.get_by_role("link", name="New cadence").click()
    page.get_by_label("Name").fill("Long-term <follow-up>")
    page.get_by_label("Role").select_option(label="First cadence of every new enrollment")
    page.get_by_role("button", name="Create cadence").click()
    expect(page.get_by_role("heading", name="Edit “Long-term <follow-up>”")).to_be_visible()

    fill_step(page, 1, "Automatic email", subject="Hello {{ lead.first_name }}",
              text="Hi {{ lead.first_name }}, a guide for {{ account.name }}.")
    page.get_by_role("button", name="+ Add a step").click()
    fill_step(page, 2, "Wait", delay=3)
    page.get_by_role("button", name="+ Add a step").click()
    fill_step(page, 3, "Call task", delay=1, subject="Call {{ lead.first_name }}",
              instructions="Ask whether the guide helped")
    page.locator("#step-3").get_by_label("Tue").check()
    page.locator("#step-3").get_by_label("Wed").check()
    page.get_by_role("button", name="+ Add a step").click()
    fill_step(page, 4, "Automatic email", delay=5, subject="Still on your list?",
              text="Hi {{ lead.first_name }}, shall we talk?")
    # What was typed in step 1 came through three rearrangements unsaved.
    expect(page.get_by_label("Step 1 A: subject or task title")).to_have_value(
        "Hello {{ lead.first_name }}")
    at_both_widths(page, "nurture-editor")
    page.get_by_role("button", name="Save").first.click()

    expect(page.get_by_role("status")).to_contain_text("Saved version 1.")
    cadence = Cadence.objects.get(name="Long-term <follow-up>")
    steps = cadence.current_version().ordered_steps()
    assert [(step.kind, step.delay_days) for step in steps] == [
        ("auto_email", 0), ("wait", 3), ("call", 1), ("auto_email", 5)]
    assert steps[2].window_days == [1, 2]
    at_both_widths(page, "nurture-cadence")

    page.get_by_role("link", name="← All cadences").click()
    row = page.locator(f'tr[data-cadence="{cadence.pk}"]')
    expect(row).to_contain_text("Long-term <follow-up>")
    expect(row).to_contain_text("4 steps: email → wait 3 d → call → email")
    expect(row).to_contain_text("First")
    at_both_widths(page, "nurture-list")
    assert page.evaluate("window.__csp") == []


def test_it_shows_a_qualifier_the_figures_of_a_cadence(browser_page, alice, team):  # noqa: F811
    page = browser_page
    page.add_init_script(WATCH)
    manager = make_user("mia", "manager")
    manager.first_name, manager.last_name = "Mia", "Moreau"
    manager.save()
    cadence = create_cadence("Quarterly check-in", by=manager, role="quarterly",
                             description="Every quarter once the cycles are spent")
    version = save_steps(cadence, [
        StepSpec("auto_email", 0, variants=[("A", "News for {{ account.name }}", "Hi", ""),
                                            ("B", "{{ lead.first_name }}, a quick one", "Hi",
                                             "")]),
        StepSpec("call", 2, window_days=[1, 2, 3], instructions="Check in",
                 variants=[("A", "Call {{ lead.first_name }}", "", "")])], by=manager)
    first = version.ordered_steps()[0]
    for n in range(6):
        lead = make_lead(owner=alice, stage="nurture")
        enrollment = Enrollment.objects.create(
            lead=lead, lead_cycle=1, version=version, trigger="long_term", position=1,
            next_due_at=timezone.now() + timedelta(days=n + 1))
        StepRun.objects.create(enrollment=enrollment, step=first, cycle=1, status="done",
                               variant="AB"[n % 2])
    create_cadence("Webinar follow-up", by=manager)

    log_in(page, "alice")
    page.get_by_role("link", name="Nurture").click()
    expect(page.get_by_role("link", name="New cadence")).to_have_count(0)
    expect(page.locator(f'tr[data-cadence="{cadence.pk}"]')).to_contain_text("6")
    at_both_widths(page, "nurture-list-qualifier")

    page.get_by_role("link", name="Quarterly check-in").click()
    expect(page.locator("#step-1")).to_contain_text("6")
    expect(page.locator("#ab-table")).to_contain_text("{{ lead.first_name }}, a quick one")
    expect(page.get_by_role("link", name="Edit steps")).to_have_count(0)
    expect(page.get_by_text("by Mia Moreau")).to_be_visible()
    at_both_widths(page, "nurture-cadence-qualifier")

    page.get_by_label("Lead (id)").fill(str(lead.pk))
    page.get_by_label("Step", exact=True).select_option("1")
    page.get_by_label("Variant").select_option("B")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#rendered-subject")).to_have_text(re.compile(r"^Ada, a quick one$"))
    at_both_widths(page, "nurture-preview")

    page.goto(f"/leads/{lead.pk}/")
    expect(page.locator("#nurture-now")).to_contain_text("Step 2 of 2: Call task, due")
    # The lead page is the desk's; the panel is ours.
    at_both_widths(page, "nurture-lead-panel", part="#nurture")
    assert page.evaluate("window.__csp") == []
