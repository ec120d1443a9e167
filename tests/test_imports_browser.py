"""The import pages in a real browser: the encoding detected, and another
chosen; a preview and an import followed as the imports worker runs them."""

import pytest
from playwright.sync_api import expect

from leadgate.intake.models import ImportRun
from leadgate.leads.models import Lead
from tests.browser import browser_page, log_in, screenshot  # noqa: F401
from tests.factories import make_user
from tests.import_queue import run_import_tasks
from tests.test_csp_browser import WATCH

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
    upload(page, "maria", path)
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


def upload(page, username: str, path) -> None:
    """Log in and upload the file: the mapping page follows."""
    log_in(page, username)
    page.goto("/intake/import/")
    page.locator("input[name=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()


LEADS = ("First Name,Last Name,Email,Phone,Company\n"
         "Ada,Lovelace,ada@analytical.example,+44 20 7946 0958,Analytical Engines\n"
         "Grace,Hopper,grace@navy.example,,US Navy\n"
         "Ada,Lovelace,ADA@analytical.example,,Analytical Engines Ltd\n"
         ",,,,Nobody Inc\n")


def shots(page, name: str) -> None:
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_it_follows_a_preview_then_an_import_as_the_worker_runs_them(browser_page, tmp_path,  # noqa: F811
                                                                     settings):
    settings.DATA_DIR = tmp_path / "data"
    maria = make_user("maria", "marketing")
    maria.first_name, maria.last_name = "Maria", "Lindqvist"
    maria.save()
    path = tmp_path / "spring-fair.csv"
    path.write_text(LEADS, encoding="utf-8")
    page = browser_page
    page.add_init_script(WATCH)
    upload(page, "maria", path)
    page.get_by_label("Source").fill("Spring fair")
    page.get_by_role("button", name="Preview").click()
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-state", "queued")
    expect(status).to_contain_text("No row has been read yet")
    expect(status).to_contain_text("by Maria Lindqvist")
    page.evaluate("window.__same_page = true")  # gone if the page were loaded again
    shots(page, "import-run-queued")
    preview = ImportRun.objects.get()
    # As the worker writes it part-way through a bigger file:
    ImportRun.objects.filter(pk=preview.pk).update(state="running", progress=2_500)
    expect(status).to_contain_text("2,500 rows read so far")
    shots(page, "import-run-running")
    ImportRun.objects.filter(pk=preview.pk).update(state="queued", progress=0)
    assert run_import_tasks() == ["done"]  # the imports worker takes it
    expect(page.locator("#preview")).to_contain_text("2 would be created")
    assert page.evaluate("window.__same_page") is True
    assert not Lead.objects.exists()
    shots(page, "import-run-preview-done")
    page.get_by_role("button", name="Import these rows").click()
    expect(status).to_have_attribute("data-state", "queued")
    assert run_import_tasks() == ["done"]
    expect(page.locator("[data-count=created]")).to_have_text("2")
    expect(page.get_by_role("link", name="Download the rejected rows (CSV)")).to_be_visible()
    assert Lead.objects.count() == 2
    shots(page, "import-run-done")
    page.goto("/intake/import/")
    expect(page.locator("#runs")).to_contain_text("Done")
    shots(page, "import-upload-runs")
    assert page.evaluate("window.__csp") == []
