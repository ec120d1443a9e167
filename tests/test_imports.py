"""Imports: readers, mapping, the bulk path against receive(), and the web upload."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leadgate.intake.importers.presets import build_mapping
from leadgate.intake.importers.readers import detect_encoding, open_table
from leadgate.intake.imports import ImportOptions, run_import
from leadgate.intake.models import ImportRun, Inquiry
from leadgate.leads.models import Account, Lead, StageChange
from tests.factories import make_account, make_lead, make_user

pytestmark = pytest.mark.django_db

CSV = (
    "First Name,Last Name,Email,Phone,Company,Website,Shoe size\n"
    "Ada,Lovelace,ada@analytical.example,+44 20 7946 0958,Analytical Engines,,38\n"
    "Grace,Hopper,grace@navy.example,,US Navy,https://navy.example,40\n"
    "Ada,Lovelace,ADA@analytical.example,,Analytical Engines Ltd,,38\n"
    ",,,,Nobody Inc,,\n"
    "Alan,Turing,,+1 415 555 0100,Bletchley,,42\n"
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def leads_csv(tmp_path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def lead_rows() -> list[tuple]:
    return sorted(Lead.objects.values_list(
        "first_name", "last_name", "email", "phone", "company_name", "domain", "account__name",
        "stage", "cycle", "email_free", "phone_invalid"))


def test_it_detects_utf_8_despite_one_damaged_row():
    sample = "Zoë,Amélie,Renée\n".encode() + b"Ren\xe9e\n"
    assert detect_encoding(sample) == "utf-8"


def test_it_detects_latin_1_text():
    assert detect_encoding("Müller;Bäckerei;Größe;Jürgen\n".encode("latin-1")) != "utf-8"


def test_it_streams_rows_with_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Email\na@x.example\n\nb@x.example\n", encoding="utf-8")
    with open_table(path) as table:
        assert list(table.rows) == [(2, ["a@x.example"]), (4, ["b@x.example"])]


def test_it_prefers_map_over_preset_over_guess():
    mapping = build_mapping(["Mobile", "Phone", "Email"], "leads", "salesforce",
                            {"Email": "message"})
    assert mapping == {"Mobile": "phone", "Phone": "phone", "Email": "message"}


def test_it_takes_rows_in_bulk_as_receive_takes_them_one_by_one(leads_csv, tmp_path):
    make_lead(email="grace@navy.example", first_name="", last_name="Hopper")
    make_account(name="US Navy", domain="navy.example")
    run_import(leads_csv, ImportOptions(source="Fair", chunk_size=500))
    bulk = (lead_rows(), Inquiry.objects.count(), StageChange.objects.count(),
            Account.objects.count())
    Inquiry.objects.all().delete()
    Lead.objects.all().delete()
    StageChange.objects.all().delete()
    Account.objects.all().delete()
    make_lead(email="grace@navy.example", first_name="", last_name="Hopper")
    make_account(name="US Navy", domain="navy.example")
    run_import(leads_csv, ImportOptions(source="Fair", row_by_row=True))
    one_by_one = (lead_rows(), Inquiry.objects.count(), StageChange.objects.count(),
                  Account.objects.count())
    assert bulk == one_by_one


def test_it_counts_created_merged_and_rejected(leads_csv):
    run = run_import(leads_csv, ImportOptions())
    assert (run.rows, run.created, run.merged, run.skipped, run.rejected) == (5, 3, 1, 0, 1)
    assert run.finished_at is not None


def test_it_gives_new_leads_their_first_stage_change(leads_csv):
    run_import(leads_csv, ImportOptions())
    for lead in Lead.objects.all():
        (change,) = lead.stage_changes.all()
        assert (change.from_stage, change.to_stage, change.reason) == ("", "inquiry", "received")


def test_it_parses_in_a_worker_process_with_the_same_result(leads_csv):
    run = run_import(leads_csv, ImportOptions(workers=1, chunk_size=2))
    assert (run.created, run.merged, run.rejected) == (3, 1, 1)


def test_it_neutralises_formulas_in_the_error_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Email,Note\n,=HYPERLINK(\"http://evil\")\n", encoding="utf-8")
    run = run_import(path, ImportOptions())
    text = Path(run.errors_file).read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text


# -- web ------------------------------------------------------------------------------

def upload(client, text: str = CSV, name: str = "leads.csv", **extra):
    data = {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
            "target": "leads", "preset": "", **extra}
    return client.post(reverse("import-upload"), data)


def test_it_lets_marketing_upload_preview_and_import(client):
    marketer = make_user("maria", "marketing")
    client.force_login(marketer)
    response = upload(client)
    assert response.status_code == 302
    map_url = response["Location"]
    page = client.get(map_url)
    assert page.status_code == 200 and "Shoe size" in page.content.decode()
    fields = {"col-0": "first_name", "col-1": "last_name", "col-2": "email", "col-3": "phone",
              "col-4": "company", "col-5": "website", "col-6": "", "source": "Fair"}
    preview = client.post(map_url, {**fields, "action": "preview"})
    assert preview.status_code == 200 and not Lead.objects.exists()
    assert "would be created" in preview.content.decode()
    done = client.post(map_url, {**fields, "action": "run"})
    run = ImportRun.objects.get(dry_run=False)
    assert done["Location"] == reverse("import-run", args=[run.pk])
    assert (run.created, run.by) == (3, marketer)
    assert Inquiry.objects.filter(payload__has_key="Shoe size").count() == 4


def test_it_refuses_the_import_page_to_a_qualifier(client, alice):
    client.force_login(alice)
    assert client.get(reverse("import-upload")).status_code == 403
    assert upload(client).status_code == 403


def test_it_refuses_a_file_of_another_kind(client):
    client.force_login(make_user("maria", "marketing"))
    response = upload(client, name="leads.exe")
    assert response.status_code == 400


def test_it_lets_only_the_importer_and_managers_download_row_errors(client, mia):
    maria, mark = make_user("maria", "marketing"), make_user("mark", "marketing")
    client.force_login(maria)
    map_url = upload(client)["Location"]
    client.post(map_url, {"col-2": "email", "col-3": "phone", "action": "run"})
    run = ImportRun.objects.get()
    url = reverse("import-errors", args=[run.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"an email address or a phone number is required" in b"".join(
        response.streaming_content)
    client.force_login(mark)
    assert client.get(url).status_code == 403
    client.force_login(mia)
    assert client.get(url).status_code == 200


def test_it_serves_no_error_file_outside_the_imports_folder(client, mia, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("do not serve", encoding="utf-8")
    run = ImportRun.objects.create(file_name="x.csv", errors_file=str(secret), by=mia)
    client.force_login(mia)
    assert client.get(reverse("import-errors", args=[run.pk])).status_code == 404


@pytest.mark.parametrize("row_by_row", [False, True], ids=["bulk", "row-by-row"])
def test_it_keeps_two_people_at_one_switchboard_apart(tmp_path, row_by_row):
    path = tmp_path / "switchboard.csv"
    path.write_text(
        "Email,Phone,Last Name\n"
        "ada@acme.example,+1 202 456 1111,Lovelace\n"
        "bob@acme.example,+1 202 456 1111,Babbage\n"
        ",+1 202 456 1111,Unknown\n"
    )
    run = run_import(path, ImportOptions(row_by_row=row_by_row))
    # Two addresses, two people; the row with only the number joins the newest.
    assert (run.created, run.merged) == (2, 1)
    assert Lead.objects.count() == 2
