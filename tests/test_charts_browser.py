"""The reports' charts (js/charts.js over the vendored Chart.js) in a real
browser: drawn from a json_script spec, drawn again rather than stacked, a
bad spec logged without taking the other charts down, all under the site's
Content-Security-Policy.

The page under test is not one of the site's: Playwright answers its URL
(on the live server's origin, with the Content-Security-Policy header a real
page gets) with HTML holding the charts; the scripts and the stylesheet are
the real static files, served by the live server."""

import re
from pathlib import Path

import pytest
from django.templatetags.static import static
from django.utils.html import json_script

from tests.browser import browser_page, screenshot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VENDOR = Path(__file__).resolve().parent.parent / "leadgate" / "static" / "leadgate" / "vendor"
PAGE = "/charts-under-test/"

MONTHS = {
    "type": "bar",
    "labels": ["Jan 2026", "Feb 2026", "Mar 2026"],
    "datasets": [{"label": "MQLs", "data": [12, 30, 18]},
                 {"label": "SQLs", "data": [4, 9, None]}],
    "format": "count",
    "title": "Leads by month",
}

WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def html(charts: dict[str, dict | str], *, fragment: bool = False, htmx: bool = False) -> str:
    """A page (or an htmx fragment) with a canvas and a spec per chart; a str
    spec goes in as it is (a malformed one)."""
    parts = []
    for name, spec in charts.items():
        parts.append(f'<div class="chart"><canvas data-chart="{name}"></canvas></div>')
        if isinstance(spec, str):
            parts.append(f'<script type="application/json" id="{name}">{spec}</script>')
        else:
            parts.append(json_script(spec, name))
    body = "\n".join(parts)
    if fragment:
        return body
    scripts = [static("leadgate/vendor/chart.umd.min.js"), static("js/charts.js")]
    if htmx:
        scripts.insert(0, static("leadgate/htmx.min.js"))
    tags = "\n".join(f'<script src="{src}" defer></script>' for src in scripts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{static('leadgate/leadgate.css')}">
{tags}
</head><body><main><div class="chart-grid" id="charts">{body}</div>
<div id="swapped"></div></main></body></html>"""


def open_charts(page, live_server, charts, *, reduced_motion=True, htmx=False, fragments=None):
    """Opens a page with `charts` under the real Content-Security-Policy and
    waits until every chart is on its canvas. Returns the console's errors."""
    policy = page.request.get(live_server.url + "/login/").headers["content-security-policy"]
    assert "script-src 'self'" in policy

    def answering(body):
        def answer(route):
            route.fulfill(status=200, body=body, headers={
                "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": policy})
        return answer

    page.route(live_server.url + PAGE, answering(html(charts, htmx=htmx)))
    for path, fragment in (fragments or {}).items():
        page.route(live_server.url + path, answering(html(fragment, fragment=True)))
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.add_init_script(WATCH_CSP)
    page.emulate_media(reduced_motion="reduce" if reduced_motion else "no-preference")
    page.goto(PAGE)
    page.wait_for_function("window.leadgateCharts !== undefined")
    return errors


def chart(page, name):
    """What Chart.js holds for the chart on `name`'s canvas (None when none)."""
    return page.evaluate("""name => {
        const chart = Chart.getChart(document.querySelector(`canvas[data-chart="${name}"]`));
        return chart ? {id: chart.id, type: chart.config.type, labels: chart.data.labels,
                        datasets: chart.data.datasets.map(d => d.label)} : null;
    }""", name)


def painted(page, name):
    """How many pixels of `name`'s canvas are not transparent."""
    return page.evaluate("""name => {
        const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
        const {data} = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]) count++;
        return count;
    }""", name)


def tooltip(page, name, dataset, index):
    """The tooltip's lines over one point, as a pointer over it would show them."""
    return page.evaluate("""([name, dataset, index]) => {
        const chart = Chart.getChart(document.querySelector(`canvas[data-chart="${name}"]`));
        chart.tooltip.setActiveElements([{datasetIndex: dataset, index}], {x: 0, y: 0});
        return chart.tooltip.body.flatMap(b => b.lines);
    }""", [name, dataset, index])


def ticks(page, name, axis):
    return page.evaluate("""([name, axis]) => Chart.getChart(
        document.querySelector(`canvas[data-chart="${name}"]`)).scales[axis].ticks.map(t => t.label)
    """, [name, axis])


def test_it_vendors_chart_js_4_6_1():
    head = (VENDOR / "chart.umd.min.js").read_text()[:200]
    assert re.search(r"\* Chart\.js v(\S+)", head).group(1) == "4.6.1"


def test_it_ships_chart_js_licence_beside_it():
    licence = (VENDOR / "chart.js.LICENSE.md").read_text()
    assert "The MIT License" in licence and "Chart.js Contributors" in licence


def test_it_draws_a_chart_from_its_json_spec(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"months": MONTHS})
    assert chart(browser_page, "months") == {
        "id": browser_page.evaluate("Chart.getChart(document.querySelector('canvas')).id"),
        "type": "bar", "labels": ["Jan 2026", "Feb 2026", "Mar 2026"],
        "datasets": ["MQLs", "SQLs"]}
    assert browser_page.evaluate("Chart.version") == "4.6.1"


def test_it_paints_the_canvas(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"months": MONTHS}, reduced_motion=False)
    browser_page.wait_for_function("""() => {
        const canvas = document.querySelector('canvas[data-chart="months"]');
        const {data} = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        return data.some((value, i) => i % 4 === 3 && value);
    }""")
    assert painted(browser_page, "months") > 1000
    screenshot(browser_page, "chart-months")


def test_it_replaces_the_chart_when_rendered_again(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"months": MONTHS})
    first = chart(browser_page, "months")["id"]
    browser_page.evaluate("window.leadgateCharts.render(document)")
    assert chart(browser_page, "months")["id"] != first
    assert browser_page.evaluate("Object.keys(Chart.instances).length") == 1


def test_it_logs_a_malformed_spec_and_draws_the_other_charts(browser_page, live_server):  # noqa: F811
    errors = open_charts(browser_page, live_server,
                         {"broken": '{"type": "bar", "labels": [', "months": MONTHS})
    assert chart(browser_page, "broken") is None
    assert chart(browser_page, "months")["datasets"] == ["MQLs", "SQLs"]
    assert len(errors) == 1 and 'chart "broken" not drawn' in errors[0]


def test_it_logs_a_spec_of_an_unknown_type_and_draws_the_other_charts(browser_page, live_server):  # noqa: F811
    errors = open_charts(browser_page, live_server,
                         {"pie": {**MONTHS, "type": "pie"}, "months": MONTHS})
    assert chart(browser_page, "pie") is None
    assert chart(browser_page, "months") is not None
    assert len(errors) == 1 and 'unknown chart type "pie"' in errors[0]


def test_it_draws_a_chart_htmx_swapped_in_and_leaves_the_others(browser_page, live_server):  # noqa: F811
    later = {**MONTHS, "labels": ["Apr 2026"], "datasets": [{"label": "MQLs", "data": [7]}]}
    open_charts(browser_page, live_server, {"months": MONTHS}, htmx=True,
                fragments={"/fragment/": {"april": later}})
    before = chart(browser_page, "months")["id"]
    browser_page.evaluate(
        "() => { htmx.ajax('GET', '/fragment/', {target: '#swapped', swap: 'innerHTML'}); }")
    browser_page.wait_for_function(
        """() => Chart.getChart(document.querySelector('canvas[data-chart="april"]'))""")
    assert chart(browser_page, "april")["labels"] == ["Apr 2026"]
    assert chart(browser_page, "months")["id"] == before


def test_it_draws_under_the_sites_content_security_policy(browser_page, live_server):  # noqa: F811
    errors = open_charts(browser_page, live_server, {"months": MONTHS}, reduced_motion=False)
    browser_page.wait_for_timeout(600)  # the animation's frames too
    assert chart(browser_page, "months") is not None
    assert browser_page.evaluate("window.__csp") == []
    assert errors == []


def test_it_formats_values_by_the_specs_format(browser_page, live_server):  # noqa: F811
    one = {"type": "bar", "labels": ["A"]}
    open_charts(browser_page, live_server, {
        "count": {**one, "datasets": [{"label": "Leads", "data": [1234567]}], "format": "count"},
        "percent": {**one, "datasets": [{"label": "Rate", "data": [0.125]}], "format": "percent"},
        "money": {**one, "datasets": [{"label": "Won", "data": [12345.6]}], "format": "money",
                  "currency": "EUR"},
        "dollars": {**one, "datasets": [{"label": "Won", "data": [99]}], "format": "money"},
        "days": {**one, "datasets": [{"label": "Cycle", "data": [3.25]}], "format": "days"},
        "seconds": {"type": "line", "labels": ["A", "B", "C"], "format": "seconds",
                    "datasets": [{"label": "Reply", "data": [45, 90, 7200]}]},
        "minutes": {**one, "datasets": [{"label": "Wait", "data": [2160]}], "format": "minutes"},
    })
    assert tooltip(browser_page, "count", 0, 0) == ["Leads: 1,234,567"]
    assert tooltip(browser_page, "percent", 0, 0) == ["Rate: 12.5%"]
    assert tooltip(browser_page, "money", 0, 0) == ["Won: €12,346"]
    assert tooltip(browser_page, "dollars", 0, 0) == ["Won: $99"]
    assert tooltip(browser_page, "days", 0, 0) == ["Cycle: 3.3 d"]
    assert [tooltip(browser_page, "seconds", 0, i) for i in range(3)] == [
        ["Reply: 45 s"], ["Reply: 1.5 min"], ["Reply: 2 h"]]
    assert tooltip(browser_page, "minutes", 0, 0) == ["Wait: 1.5 d"]
    # A duration axis ticks in one unit, at round steps of it.
    assert ticks(browser_page, "seconds", "y") == ["0 h", "0.5 h", "1 h", "1.5 h", "2 h"]


def test_it_formats_a_second_axis_by_format2(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"mixed": {
        "type": "bar", "labels": ["Jan", "Feb"], "format": "count", "format2": "percent",
        "datasets": [{"label": "Leads", "data": [100, 200]},
                     {"label": "Converted", "data": [0.1, 0.25], "axis": "y2", "kind": "line"}]}})
    assert tooltip(browser_page, "mixed", 1, 1) == ["Converted: 25%"]
    assert tooltip(browser_page, "mixed", 0, 1) == ["Leads: 200"]
    assert ticks(browser_page, "mixed", "y2")[-1].endswith("%")


def test_it_colours_datasets_okabe_ito_and_dashes_a_target_line(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"target": {
        "type": "line", "labels": ["Jan", "Feb"], "format": "count",
        "datasets": [{"label": "MQLs", "data": [3, 5]}, {"label": "SQLs", "data": [1, 2]},
                     {"label": "Target", "data": [4, 4], "dashed": True}]}})
    drawn = browser_page.evaluate("""() => Chart.getChart(
        document.querySelector('canvas[data-chart="target"]')).data.datasets.map(
        d => [d.borderColor, d.borderDash || null])""")
    assert drawn == [["#0072B2", None], ["#E69F00", None], ["#009E73", [6, 4]]]
    assert browser_page.evaluate("window.leadgateCharts.palette") == [
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def test_it_draws_horizontal_and_stacked_bars(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {
        "sources": {"type": "hbar", "labels": ["Web", "Event"], "format": "count",
                    "datasets": [{"label": "Leads", "data": [40, 12]}]},
        "stages": {"type": "stacked", "labels": ["Jan", "Feb"], "format": "count",
                   "datasets": [{"label": "Won", "data": [2, 3]}, {"label": "Lost", "data": [5, 1]},
                                {"label": "Target", "data": [6, 6], "dashed": True}]},
    })
    options = browser_page.evaluate("""() => {
        const get = name => Chart.getChart(document.querySelector(`canvas[data-chart="${name}"]`));
        const stages = get("stages");
        return {hbar: get("sources").options.indexAxis, stackedY: stages.options.scales.y.stacked,
                top: stages.scales.y.max};
    }""")
    assert options["hbar"] == "y" and options["stackedY"] is True
    # The target line stands on its own: the bars stack to 7 at most, not 7 + 6.
    assert 7 <= options["top"] < 13


def test_it_labels_the_canvas_as_an_image_by_its_title(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"months": MONTHS})
    canvas = browser_page.locator('canvas[data-chart="months"]')
    assert canvas.get_attribute("role") == "img"
    assert canvas.get_attribute("aria-label") == "Leads by month"


def test_it_turns_animation_off_when_motion_is_reduced(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"months": MONTHS}, reduced_motion=True)
    assert browser_page.evaluate(
        "Chart.getChart(document.querySelector('canvas')).options.animation") is False


def test_it_animates_when_motion_is_not_reduced(browser_page, live_server):  # noqa: F811
    open_charts(browser_page, live_server, {"months": MONTHS}, reduced_motion=False)
    assert browser_page.evaluate(
        "Chart.getChart(document.querySelector('canvas')).options.animation") is not False


@pytest.mark.parametrize(("width", "columns"), [(390, 1), (1440, 2)])
def test_it_fits_the_chart_to_its_wrapper(browser_page, live_server, width, columns):  # noqa: F811
    browser_page.set_viewport_size({"width": width, "height": 900})
    open_charts(browser_page, live_server, {"months": MONTHS, "other": {**MONTHS, "title": "B"}})
    boxes = browser_page.evaluate("""() => [...document.querySelectorAll("canvas")].map(c => {
        const r = c.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, height: r.height};
    })""")
    assert all(box["height"] == 300 and box["right"] <= width for box in boxes)
    assert len({box["top"] for box in boxes}) == 3 - columns  # side by side, or one under the other
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(browser_page, f"charts-{width}")


def test_it_reads_the_spec_as_json_not_script(browser_page, live_server):  # noqa: F811
    """A label with markup in it is text on the chart, never markup on the page."""
    label = "</script><b>x</b>"
    open_charts(browser_page, live_server, {"months": {**MONTHS, "labels": [label, "b", "c"]}})
    assert chart(browser_page, "months")["labels"][0] == label
    assert browser_page.locator("b").count() == 0
