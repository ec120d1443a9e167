"""The reports in a real browser: a manager lands on the dashboard, opens
every report (charts drawn, tables shown, no CSP violation, no overflow on a
phone), and a filter changes the chart and the table."""

import re

import pytest
from playwright.sync_api import expect

from leadgate.leads.transitions import advance
from leadgate.reports import facts
from leadgate.reports.catalog import readable_by
from leadgate.workspace.models import Framework
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import hand_off, make_lead, make_source
from tests.nurture_browser import WATCH, WIDER, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """id => { const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
  const chart = canvas && window.Chart && window.Chart.getChart(canvas);
  return chart ? chart.data.datasets[0].data : null }"""


def drawn_at_both_widths(page, name):
    """The page loaded at a desktop's and a phone's width (charts size
    themselves when drawn), its charts drawn, nothing wider than the screen."""
    for width, height in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        for canvas in page.locator("canvas[data-chart]").all():
            chart_id = canvas.get_attribute("data-chart")
            page.wait_for_function(f"() => ({DRAWN})({chart_id!r}) !== null")
        screenshot(page, f"{name}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px too wide at {width}: {page.evaluate(WIDER)}"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def history(alice, mia, sam):
    """Five webinar leads, two of them handed off, and three from paid search
    (BANT made anew: a transactional test does not keep the migrations' rows)."""
    Framework.objects.update_or_create(kind="bant", defaults={
        "name": "BANT", "is_default": True, "active": True,
        "questions": [{"key": key, "label": key.title(), "short_term": key != "budget"}
                      for key in ("need", "authority", "timeframe", "budget")]})
    webinar, paid = make_source("Webinar"), make_source("Paid search")
    leads = [make_lead(owner=alice, source=webinar) for _ in range(5)]
    leads += [make_lead(owner=alice, source=paid) for _ in range(3)]
    for lead in leads[:2]:
        hand_off(lead, alice, sam)
    advance(leads[5], "mql", by=mia)
    facts.refresh(lead.pk for lead in leads)
    return webinar


def test_it_opens_the_dashboard_and_every_report_as_a_manager(browser_page, history,  # noqa: F811
                                                              mia):
    page = browser_page
    page.add_init_script(WATCH)
    log_in(page, "mia")
    expect(page).to_have_url(re.compile(r"/reports/dashboard/$"))
    drawn_at_both_widths(page, "reports-dashboard")
    for report in readable_by(mia):
        page.goto(f"/reports/{report.slug}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(report.title)
        expect(page.locator("table").first).to_be_visible()
        drawn_at_both_widths(page, f"reports-{report.slug}")
        assert page.evaluate("window.__csp") == []


def test_it_redraws_the_chart_and_the_table_for_a_filter(browser_page, history,  # noqa: F811
                                                         mia):
    page = browser_page
    log_in(page, "mia")
    page.goto("/reports/waterfall/?period=this_year")
    inquiries = page.locator("#stages tbody tr").first.locator("td[data-key=reached]")
    expect(inquiries).to_have_text("8")
    page.wait_for_function(f"() => ({DRAWN})('waterfall-chart-data') !== null")
    assert page.evaluate(f"({DRAWN})('waterfall-chart-data')")[0] == 8
    page.get_by_text("More filters").click()
    page.get_by_label("Source").select_option(label="Webinar")
    page.get_by_role("button", name="Apply").click()
    expect(inquiries).to_have_text("5")
    page.wait_for_function(f"() => ({DRAWN})('waterfall-chart-data') !== null")
    assert page.evaluate(f"({DRAWN})('waterfall-chart-data')")[:4] == [5, 2, 2, 2]
    expect(page.locator("details")).to_have_attribute("open", "")
