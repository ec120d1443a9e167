"""The Content-Security-Policy holds on every page a role reaches from the
top bar (and a lead's page): no inline script or style, nothing from another
origin, so the browser reports no violation."""

import pytest

from leadgate.intake.models import DuplicateCandidate
from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD, make_lead, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")
                         + " at " + location.pathname));
"""


def violations_on_every_page(page, username):
    page.add_init_script(WATCH)
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    links = page.eval_on_selector_all(
        "header a[href^='/']", "els => [...new Set(els.map(e => e.getAttribute('href')))]")
    found = []
    for href in [*links, *extra_pages()]:
        if href.startswith(("/logout", "/admin")):
            continue
        page.goto(href)
        page.wait_for_load_state()
        found += page.evaluate("window.__csp")
    return found


def extra_pages():
    from leadgate.leads.models import Lead

    lead = Lead.objects.order_by("pk").first()
    return [f"/leads/{lead.pk}/", "/duplicates/"]


@pytest.mark.parametrize("role", ["manager", "qualifier", "marketing", "sales", "admin"])
def test_it_loads_every_page_of_a_role_without_a_policy_violation(browser_page, role):  # noqa: F811
    team = make_team("Qualifiers EMEA")
    make_user("pat", role, team)
    first, second = make_lead(first_name="Ada", team=team), make_lead(first_name="Ada", team=team)
    DuplicateCandidate.objects.create(lead=second, candidate=first, score=95, reasons=["name"])
    assert violations_on_every_page(browser_page, "pat") == []
