"""The model page in a real browser: a manager opens a trained version at a
desktop's and a phone's width, its charts drawn under the CSP, nothing wider
than the screen, no serious accessibility fault."""

from io import StringIO

import pytest
from django.core.management import call_command

from leadgate.scoring.models import ModelVersion
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_outcome_history
from tests.nurture_browser import WIDER, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN = """id => { const canvas = document.querySelector(`canvas[data-chart="${id}"]`);
  const chart = canvas && window.Chart && window.Chart.getChart(canvas);
  return chart ? chart.data.datasets[0].data : null }"""


def test_it_draws_a_versions_charts_at_both_widths_for_a_manager(browser_page, mia):  # noqa: F811
    make_outcome_history()
    call_command("model", "train", "--name", "leads", stdout=StringIO())
    version = ModelVersion.objects.get(name="leads")
    page = browser_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, "mia")
    page.goto(f"/scoring/models/{version.pk}/")
    for width, height in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        for chart_id in ("calibration-data", "gains-data", "lift-data"):
            page.wait_for_function(f"() => ({DRAWN})({chart_id!r}) !== null")
        screenshot(page, f"model-detail-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px too wide at {width}: {page.evaluate(WIDER)}"
        assert axe_violations(page) == []
    page.goto("/scoring/models/")
    screenshot(page, "model-list-390")
    assert axe_violations(page) == []
    assert errors == []
