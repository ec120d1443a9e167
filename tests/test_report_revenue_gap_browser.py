"""The revenue gap calculator's what-if controls in a real browser: changing
them rewrites the estimate without a reload, under the site's
Content-Security-Policy, with the numbers Python's estimate() gives for the
same controls, written as the tables write them."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from leadgate.reports.revenue_gap import OUTPUTS
from leadgate.reports.revenue_gap_figures import defaults, estimate
from leadgate.reports.templatetags.report_cells import cell
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_source
from tests.test_report_revenue_gap import BIG, SMALL, crowd_of, crowd_specs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


@pytest.fixture
def crowd(alice):
    x, y, z = make_source("X"), make_source("Y"), make_source("Z")
    specs = crowd_specs(x, y) + [
        (z, BIG, 40, "nurture"), (z, BIG, 2, "nurturewon:25000"), (z, SMALL, 8, "dq"),
        (x, SMALL, 6, "untouched")]
    crowd_of(specs, timezone.now(), alice)


def what_if_cells(page):
    return {key: (page.locator(f"[data-out='{key}']").inner_text(),
                  page.locator(f"[data-out='{key}']").get_attribute("data-value"))
            for key, _label, _kind in OUTPUTS}


def test_it_recomputes_the_estimate_in_the_page_as_python_does(browser_page, crowd,  # noqa: F811
                                                               mia):
    page = browser_page
    page.add_init_script(WATCH_CSP)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "mia")
    today = timezone.localdate()
    page.goto(f"/reports/revenue-gap/?period=custom&start={today - timedelta(days=300)}"
              f"&end={today}")
    page.wait_for_selector("#whatif[data-ready='true']")
    inputs = json.loads(page.locator("#revenue-gap-inputs").text_content())
    assert inputs["fast_ratio"] and inputs["attempted_ratio"] and inputs["nurture_won"]
    before = what_if_cells(page)
    measured = {key: page.locator(f"[data-measured='{key}']").inner_text()
                for key, _label, _kind in OUTPUTS}
    page.evaluate("window.__still_here = true")

    page.get_by_label("Revenue goal").fill("2500000")
    page.get_by_label("Answered within 5 minutes (%)").fill("90")
    page.get_by_label("Given 6+ attempts (%)").fill("75")
    page.get_by_label("Long-term leads nurtured (%)").fill("80")
    page.get_by_label("Opportunity → won (%)").fill("30")
    # Enter in a what-if field recomputes; it does not submit the form.
    page.get_by_label("MQL → working (%)").focus()
    page.keyboard.press("Enter")

    controls = {**defaults(inputs), "goal": 2500000.0, "fast": 90 / 100,
                "attempted": 75 / 100, "nurtured": 80 / 100}
    controls["stages"][5] = 30 / 100
    expected = estimate(inputs, controls)
    after = what_if_cells(page)
    for key, _label, kind in OUTPUTS:
        text, value = after[key]
        assert text == cell(expected[key], kind), key
        assert float(value) == pytest.approx(expected[key], rel=1e-12), key
    assert after != before
    assert expected["factor"] > 1 and expected["leads"] > 0
    assert page.evaluate("window.__still_here") is True  # no reload
    assert {key: page.locator(f"[data-measured='{key}']").inner_text()
            for key, _label, _kind in OUTPUTS} == measured
    assert "new leads needed" in page.locator("#whatif-status").inner_text()
    screenshot(page, "revenue-gap-what-if")

    page.get_by_role("button", name="Back to the measured values").click()
    back = what_if_cells(page)
    assert {key: text for key, (text, _v) in back.items()} == \
        {key: text for key, (text, _v) in before.items()}
    assert page.evaluate("window.__csp") == [] and errors == []


def test_it_says_which_field_it_could_not_read(browser_page, crowd, mia):  # noqa: F811
    page = browser_page
    log_in(page, "mia")
    page.goto("/reports/revenue-gap/?period=last_12_months")
    page.wait_for_selector("#whatif[data-ready='true']")
    before = what_if_cells(page)
    field = page.get_by_label("Inquiry → MQL (%)")
    field.fill("250")
    assert field.get_attribute("aria-invalid") == "true"
    assert "Inquiry → MQL (%)" in page.locator("#whatif-status").inner_text()
    assert what_if_cells(page) == before  # left at the measured value
