"""The rep's side of the handoff in a real browser (issue 16): the way back from
a lead page is the sales inbox, the inbox pages its decided handoffs and
shows what became of an accepted one, and the dossier reads as people write:
reps by name, dates and amounts formatted, no label said twice."""

import importlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from leadgate.handoff.flow import accept, send
from leadgate.handoff.outcomes import record_outcome
from leadgate.leads.models import Handoff, User
from leadgate.workspace.touches import log_touch
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import hand_off, make_account, make_lead, make_user, qualify_sales_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
def frameworks(db):
    """The seeded frameworks again: a transactional test empties the tables."""
    from django.apps import apps

    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)


@pytest.fixture
def named_reps(sam):
    """Sam with a name, and a second rep, Rita, with hers."""
    User.objects.filter(pk=sam.pk).update(first_name="Sam", last_name="Rivera")
    rita = make_user("rita", "sales")
    User.objects.filter(pk=rita.pk).update(first_name="Rita", last_name="Jones")
    return rita


def look(page, name):
    """Full-page screenshots at a desktop and a phone width."""
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_it_links_a_rep_from_a_lead_page_back_to_the_sales_inbox(
    browser_page, alice, sam, frameworks  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working")
    hand_off(lead, alice, sam)
    page = browser_page
    log_in(page, "sam")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.get_by_role("link", name="← Desk")).to_have_count(0)
    page.get_by_role("link", name="← Sales inbox").click()
    expect(page.get_by_role("heading", name="Sales inbox")).to_be_visible()


def test_it_pages_the_decided_handoffs_25_at_a_time(browser_page, alice, sam):  # noqa: F811
    now = timezone.now()
    leads = [make_lead(owner=alice, stage="rejected", first_name="Lead", last_name=f"{n:02d}")
             for n in range(30)]
    Handoff.objects.bulk_create(
        Handoff(lead=lead, from_user=alice, to_user=sam, status="rejected",
                reject_reason="not_a_fit", created_at=now - timedelta(hours=n),
                decided_at=now - timedelta(hours=n))
        for n, lead in enumerate(leads))
    page = browser_page
    log_in(page, "sam")
    page.goto("/sales/")
    decided = page.locator("#inbox-decided tbody tr")
    expect(decided).to_have_count(25)
    expect(decided.first).to_contain_text("Lead 00")  # newest first
    expect(page.locator("#decided-pages")).to_contain_text("page 1 of 2")
    look(page, "inbox-paged")

    page.locator("#decided-pages").get_by_role("link", name="Older →").click()
    expect(decided).to_have_count(5)
    expect(decided.last).to_contain_text("Lead 29")
    expect(page.locator("#decided-pages")).to_contain_text("page 2 of 2")


def test_it_shows_a_won_deal_as_won_in_the_inbox_not_accepted(
    browser_page, alice, sam, frameworks  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper")
    handoff = accept(hand_off(lead, alice, sam), by=sam)
    record_outcome(lead, kind="won", by=sam, amount=Decimal("125000"), currency="USD")
    page = browser_page
    log_in(page, "sam")
    page.goto("/sales/")
    status = page.locator(f"#handoff-{handoff.pk} td").nth(4)
    expect(status.locator(".badge")).to_have_text("Won")
    expect(status).to_contain_text("125,000 USD")
    expect(status).not_to_contain_text("Accepted")
    look(page, "inbox-won")


def test_it_shows_the_handoff_page_with_its_outcome_and_formatted_dates(
    browser_page, alice, sam, frameworks  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper")
    handoff = accept(hand_off(lead, alice, sam), by=sam)
    record_outcome(lead, kind="won", by=sam, amount=Decimal("125000.50"), currency="EUR")
    page = browser_page
    log_in(page, "sam")
    page.goto(f"/sales/handoffs/{handoff.pk}/")
    expect(page.locator("#handoff-outcome")).to_have_text("Won · 125,000.50 EUR")
    facts = page.locator("section[aria-labelledby=h-status] dl").inner_text()
    assert not ISO_DATE.search(facts), facts
    assert "Decided" in facts
    look(page, "handoff-detail")


def test_it_offers_the_reps_by_name_with_the_suggested_one_chosen(
    browser_page, alice, sam, named_reps, frameworks  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working")
    qualify_sales_ready(lead, alice)
    page = browser_page
    log_in(page, "alice")
    page.goto(f"/sales/handoff/{lead.pk}/")
    picker = page.get_by_label("Sales rep")
    expect(picker.locator("option")).to_have_text(["Rita Jones", "Sam Rivera"])
    expect(picker).to_have_value(str(sam.pk))  # the rep with the fewest pending


def test_it_shows_the_dossier_with_formatted_dates_and_amounts_and_each_label_once(
    browser_page, alice, sam, named_reps, frameworks, settings  # noqa: F811
):
    settings.LEADGATE_CURRENCY = "EUR"
    account = make_account("Stroopwafel B.V.")
    account.annual_revenue, account.employees = Decimal("12500000"), 1200
    account.save()
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper",
                     title="CFO", account=account)
    log_touch(lead, alice, channel="call", disposition="connected",
              notes="Pain: manual reconciliations",
              next_step=("Call back", timezone.now() + timedelta(days=1)))
    qualify_sales_ready(lead, alice)
    page = browser_page
    log_in(page, "alice")
    page.goto(f"/sales/handoff/{lead.pk}/")

    summary = page.get_by_label("Summary for the rep")
    expect(summary).to_have_value(re.compile(r"^Grace Hopper, CFO at Stroopwafel B\.V\.\n"))
    expect(summary).to_have_value(re.compile(r"\nTimeframe: this quarter\.\n"))
    company = page.locator("#dossier section[aria-labelledby=d-company]")
    expect(company).to_contain_text("Annual revenue12,500,000 EUR")
    expect(company).to_contain_text("Employees1,200")
    timeframe = page.locator("#dossier dt:has-text('Timeframe') + dd")
    expect(timeframe).to_have_text("this quarter")
    dossier_text = page.locator("#dossier").inner_text()
    assert not ISO_DATE.search(dossier_text), dossier_text
    assert "Timeframe: Timeframe" not in dossier_text
    look(page, "handoff-dossier")


def test_it_shows_the_whole_summary_once_in_the_inbox(
    browser_page, alice, sam, frameworks  # noqa: F811
):
    lead = make_lead(owner=alice, stage="working", first_name="Grace", last_name="Hopper",
                     account=make_account("Stroopwafel B.V."))
    qualify_sales_ready(lead, alice)
    long_story = ("Grace runs finance operations for four subsidiaries and closes the month "
                  "by hand in spreadsheets; she wants a demo with her controller next week "
                  "and has the budget approved.")
    handoff = send(lead, by=alice, to_user=sam, dossier=None)  # composed
    handoff.dossier["summary"] = long_story + "\nTimeframe: this quarter."
    handoff.save(update_fields=["dossier"])
    page = browser_page
    log_in(page, "sam")
    page.goto("/sales/")
    cell = page.locator(f"#handoff-{handoff.pk} td").nth(3)
    expect(cell).to_contain_text(long_story)
    assert cell.inner_text().count("this quarter") == 1
    look(page, "inbox-summary")
