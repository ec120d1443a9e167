"""Helpers of the nurture browser tests: the step editor's fields, both
screen widths, and a watch for Content-Security-Policy violations."""

from tests.browser import screenshot

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
WIDER = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")).slice(-5)"""


def at_both_widths(page, name, part="html"):
    """Screenshots of the page at each width; `part` of it (the whole page,
    or our panel on another app's page) must not be wider than the screen."""
    for width, height in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
        overflow = page.evaluate(f"""() => {{
            const box = document.querySelector({part!r}), edge = box.getBoundingClientRect();
            return Math.max(edge.right, edge.left + box.scrollWidth) - window.innerWidth }}""")
        assert overflow <= 0, (f"{name} is {overflow}px wider than a {width}px screen: "
                               f"{page.evaluate(WIDER)}")
    page.set_viewport_size({"width": 1280, "height": 900})


def fill_step(page, number, kind, delay=None, subject=None, text=None, instructions=None):
    step = page.locator(f"#step-{number}")
    step.get_by_label(f"Step {number} Kind").select_option(label=kind)
    if delay is not None:
        step.get_by_label(f"Step {number} Delay (business days)").fill(str(delay))
    if subject is not None:
        step.get_by_label(f"Step {number} A: subject or task title").fill(subject)
    if text is not None:
        step.get_by_label(f"Step {number} A: text body").fill(text)
    if instructions is not None:
        step.get_by_label(f"Step {number} Instructions (tasks)").fill(instructions)
