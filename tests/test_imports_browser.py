"""The import page in a real browser: the encoding detected, and another chosen."""

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page, screenshot  # noqa: F401
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CENTRAL = ("First Name;Last Name;Email;Company;City\n"
           "Łukasz;Wiśniewski;lukasz@lodz.example;Żółć Łódź;Łódź\n"
           "Jiří;Dvořák;jiri@praha.example;Černá Hora;Plzeň\n")


def test_it_reads_an_upload_again_in_the_encoding_chosen(browser_page, tmp_path, settings):  # noqa: F811
    settings.DATA_DIR = tmp_path / "data"
    make_user("maria", "marketing")
    path = tmp_path / "kontakty.csv"
    path.write_bytes(CENTRAL.encode("cp1250"))
    page = browser_page
    page.goto("/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/intake/import/")
    page.locator("input[name=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-encoding]")).to_have_text("Windows-1250 (Central European)")
    expect(page.locator("#mapping")).to_contain_text("Wiśniewski")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"import-encoding-{width}")
    page.get_by_label("Encoding").select_option("cp1252")
    page.get_by_role("button", name="Read again").click()
    expect(page.locator("[data-encoding]")).to_have_text("Windows-1252 (Western European)")
    expect(page.locator("#encoding")).to_contain_text("detected as Windows-1250")
    screenshot(page, "import-encoding-chosen-390")
