"""Web forms in a real browser: the copy-paste snippet and the JS embed, each on
a page served from another local origin, post a lead that reaches the desk."""

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from leadgate.intake.models import Inquiry, WebForm
from leadgate.leads.models import Lead
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.webform_helpers import make_webform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on 127.0.0.1: another origin than the live server's
    localhost. Yields its origin and the folder it serves."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()




def snippet_from_the_forms_page(page: Page, webform: WebForm, which: str) -> str:
    """What marketing copies from the form's page (logged in as a manager)."""
    log_in(page, "mia")
    page.goto(f"/intake/forms/{webform.pk}/")
    expect(page.locator("#form-key")).to_have_text(webform.key)
    value = page.locator(which).input_value()
    page.get_by_role("button", name="Log out").click()
    return value


def publish(folder: Path, snippet: str) -> None:
    (folder / "contact.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Acme contact</title></head>"
        f"<body><h1>Talk to us</h1>{snippet}</body></html>",
        encoding="utf-8",
    )


def see_on_alices_desk(page: Page, lead: Lead) -> None:
    """Routing is another part's work: give the lead to alice and look at her desk."""
    Lead.objects.filter(pk=lead.pk).update(owner_id=page_user_id("alice"), team=None)
    log_in(page, "alice")
    page.goto("/desk/")
    expect(page.locator("#queue")).to_contain_text("Grace Hopper")
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.locator("h1")).to_have_text("Grace Hopper")


def page_user_id(username: str) -> int:
    from leadgate.leads.models import User

    return User.objects.get(username=username).pk


def test_it_takes_the_html_snippet_posted_from_another_origin_to_the_desk(
    browser_page, other_site, alice, mia  # noqa: F811
):
    page = browser_page
    origin, folder = other_site
    webform = make_webform(
        name="Demo request", allowed_origins=origin, is_hot=True,
        fields=["first_name", "last_name", "email", "company"],
        consent_text="You may contact me about Acme products.",
    )
    publish(folder, snippet_from_the_forms_page(page, webform, "#html-snippet"))

    page.goto(f"{origin}/contact.html")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@navy.example")
    page.get_by_label("Company").fill("US Navy")
    page.get_by_label("You may contact me").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#thank-you")).to_have_text("Thank you, we will be in touch shortly.")
    screenshot(page, "webform-thanks")

    inquiry = Inquiry.objects.select_related("lead").get()
    assert inquiry.form_id == webform.pk and inquiry.is_hot
    assert inquiry.consent_text == "You may contact me about Acme products."
    assert inquiry.payload.get("website_url_hp", "") == ""
    see_on_alices_desk(page, inquiry.lead)


def test_it_takes_the_js_embed_from_another_origin_and_thanks_in_place(
    browser_page, other_site, alice, mia  # noqa: F811
):
    page = browser_page
    origin, folder = other_site
    webform = make_webform(
        name="Newsletter", allowed_origins=origin, thank_you="Welcome aboard!",
        fields=["first_name", "last_name", "email"],
    )
    publish(folder, snippet_from_the_forms_page(page, webform, "#js-snippet"))

    page.goto(f"{origin}/contact.html")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_role("button", name="Send").click()
    # No email or phone: the error names the field, in place, and nothing is stored.
    expect(page.locator(".leadgate-status")).to_contain_text("email")
    assert not Lead.objects.exists()

    page.get_by_label("Email").fill("grace@navy.example")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".leadgate-thanks")).to_have_text("Welcome aboard!")
    expect(page).to_have_url(f"{origin}/contact.html")
    screenshot(page, "webform-embed")
    see_on_alices_desk(page, Lead.objects.get(email="grace@navy.example"))
