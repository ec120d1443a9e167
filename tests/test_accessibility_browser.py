"""Every page a role reaches from the top bar and one link further (and a lead's
page, a handoff, the duplicates), a page with a message, a form sent back with
its errors, the top-bar pages on a phone, the log-in page and a web form with
the pages its post is answered with pass axe-core's automated check (WCAG 2.x
A/AA and best practices) with no serious or critical violation (tests/a11y.py)."""

import importlib

import pytest
from django.apps import apps
from django.test import RequestFactory
from playwright.sync_api import expect

from leadgate.intake.models import DuplicateCandidate
from leadgate.intake.views import snippets
from tests.a11y import axe_violations
from tests.browser import browser_page, log_in  # noqa: F401
from tests.factories import hand_off, make_account, make_lead, make_team, make_user
from tests.webform_helpers import make_webform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def violations_on(page, hrefs, *, follow: bool = False) -> list[str]:
    """Axe's serious violations on each page; with `follow`, also on the pages
    each links to in its main part (one step further)."""
    found, seen, todo = [], set(), list(hrefs)
    while todo:
        href = todo.pop(0)
        if href in seen:
            continue
        seen.add(href)
        page.goto(href)
        page.wait_for_load_state()
        # What htmx loads into the page once it is there (a desk's queue) is checked too.
        page.wait_for_function("!document.querySelector('.htmx-request')")
        found += [f"{href}: {violation}" for violation in axe_violations(page)]
        if follow and href in hrefs:
            todo += [link for link in page.eval_on_selector_all(
                "main a[href^='/']:not([download])", "els => els.map(e => e.getAttribute('href'))")
                if not link.startswith(SKIP) and not any(part in link for part in NOT_PAGES)]
    return found


SKIP = ("/logout", "/admin", "/api/", "/static/")
NOT_PAGES = ("export", ".csv", "format=", "download")


def header_links(page) -> list[str]:
    links = page.eval_on_selector_all(
        "header a[href^='/']", "els => [...new Set(els.map(e => e.getAttribute('href')))]")
    return [href for href in links if not href.startswith(("/logout", "/admin"))]


ROLES = ["qualifier", "manager", "marketing", "sales", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_it_finds_no_serious_violation_on_any_page_of_a_role(browser_page, role):  # noqa: F811
    found = violations_of_a_role(browser_page, role, follow=True)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("role", ["qualifier", "manager", "sales"])
def test_it_finds_no_serious_violation_on_a_phone(browser_page, role):  # noqa: F811
    browser_page.set_viewport_size({"width": 390, "height": 844})
    found = violations_of_a_role(browser_page, role, follow=False)
    assert not found, "\n".join(found)


def violations_of_a_role(page, role: str, *, follow: bool) -> list[str]:
    # The seeded qualification frameworks again: a transactional test empties the tables.
    importlib.import_module("leadgate.workspace.migrations.0003_frameworks").create(apps, None)
    team = make_team("Qualifiers EMEA")
    pat = make_user("pat", role, team)
    quinn = pat if role == "qualifier" else make_user("quinn", "qualifier", team)
    rep = pat if role == "sales" else make_user("sid", "sales")
    first = make_lead(owner=quinn, first_name="Ada", team=team,
                       account=make_account("Analytical Engines"))
    second = make_lead(owner=quinn, first_name="Ada", team=team)
    DuplicateCandidate.objects.create(lead=second, candidate=first, score=95, reasons=["name"])
    handed = hand_off(make_lead(owner=quinn, first_name="Grace", team=team), quinn, rep)
    webform = make_webform()

    log_in(page, "pat")
    pages = [*header_links(page), f"/leads/{first.pk}/", f"/leads/{handed.lead_id}/",
             "/duplicates/", f"/sales/handoffs/{handed.pk}/"]
    if role in ("manager", "marketing", "admin"):
        pages.append(f"/intake/forms/{webform.pk}/")
    found = violations_on(page, pages, follow=follow)
    if role == "qualifier":
        found += [f"/desk/ (a message): {v}" for v in violations_with_a_message(page)]
    if role == "manager":
        found += [f"/routing/rules/new (errors): {v}" for v in violations_with_errors(page)]
    return found


def violations_with_errors(page) -> list[str]:
    """A form sent back with its errors (the shared field and error markup)."""
    page.goto("/routing/rules/new")
    page.locator("#id_conditions-0-field").select_option("account.employees")
    page.locator("#id_conditions-0-operator").select_option("gte")
    page.locator("#id_conditions-0-value").fill("many")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".error-box").first).to_be_visible()
    return axe_violations(page)


def violations_with_a_message(page) -> list[str]:
    """A page showing a message (a qualifier pauses, by a plain post)."""
    page.goto("/desk/")
    page.evaluate("""() => {
      const form = Object.assign(document.createElement("form"),
                                 {method: "post", action: "/routing/me/pause"});
      const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
      for (const [name, value] of [["csrfmiddlewaretoken", token], ["paused", "1"]])
        form.append(Object.assign(document.createElement("input"), {type: "hidden", name, value}));
      document.body.append(form);
      form.submit();
    }""")
    expect(page.locator(".messages")).to_contain_text("Paused")
    return axe_violations(page)


def test_it_finds_no_serious_violation_on_the_public_pages(browser_page, live_server):  # noqa: F811
    page = browser_page
    found = violations_on(page, ["/login/"])
    # A web form's HTML snippet on a page of an allowed origin, and the pages
    # its post is answered with: the error (no email or phone), then the thanks.
    # (An http origin: Chromium sends "Origin: null" on a post from https to http.)
    origin = "http://www.example.com"
    webform = make_webform(allowed_origins=origin,
                           fields=["first_name", "last_name", "email", "company"],
                           consent_text="You may contact me about Acme products.")
    snippet = snippets(RequestFactory().get("/"), webform)["html"]
    contact = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Contact</title>"
               f"</head><body><main><h1>Talk to us</h1>"
               f"{snippet.replace('http://testserver', live_server.url)}</main></body></html>")
    page.route(f"{origin}/contact", lambda route: route.fulfill(content_type="text/html",
                                                                 body=contact))
    found += violations_on(page, [f"{origin}/contact"])
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("You may contact me").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-field='email']")).to_be_visible()
    found += [f"/f/ (refused): {violation}" for violation in axe_violations(page)]
    page.goto(f"{origin}/contact")
    page.get_by_label("Email").fill("grace@navy.example")
    page.get_by_label("You may contact me").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thank-you")).to_be_visible()
    found += [f"/f/ (thanks): {violation}" for violation in axe_violations(page)]
    assert not found, "\n".join(found)


def test_it_runs_the_check_under_the_content_security_policy(browser_page):  # noqa: F811
    """The check itself works on our pages, whose policy blocks inline scripts:
    a button without a name, added to the log-in page, is reported."""
    page = browser_page
    response = page.goto("/login/")
    assert "script-src" in response.headers["content-security-policy"]
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert [violation.split(":")[0] for violation in axe_violations(page)] == [
        "button-name [critical] Buttons must have discernible text"]
