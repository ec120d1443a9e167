"""Imports: readers, mapping, the bulk path against receive(), and the web upload."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from leadgate.intake.importers.presets import build_mapping
from leadgate.intake.importers.readers import detect_encoding, open_table
from leadgate.intake.imports import ImportOptions, figures, run_import
from leadgate.intake.models import Campaign, ImportRun, Inquiry, Source
from leadgate.leads.models import Account, Event, Lead, StageChange
from tests.factories import make_account, make_lead, make_user
from tests.import_queue import run_import_tasks

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


def test_it_records_an_inquiry_received_event_per_taken_row(leads_csv):
    run_import(leads_csv, ImportOptions())
    received = Event.objects.filter(kind="inquiry.received")
    assert sorted((event.lead_id, event.data["created"], event.data["inquiry"])
                  for event in received) == sorted(
        (inquiry.lead_id, inquiry.lead.inquiries.order_by("pk").first() == inquiry, inquiry.pk)
        for inquiry in Inquiry.objects.select_related("lead"))
    assert len(received) == 4  # 3 created, 1 merged; the bad row is no inquiry


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


# -- preview (dry run) ----------------------------------------------------------------

# Every kind of row a preview must foresee, in this order (numbers as in the file):
PREVIEWED = (
    "First Name,Last Name,Email,Phone,Company,Website\n"
    "Ada,Lovelace,ada@analytical.example,,Analytical Engines,\n"  # 2 new, new account
    "Ada,Lovelace,ada@analytical.example,+1 202 456 1414,Analytical Engines Ltd,\n"  # 3 joins 2
    ",,,+1 202 456 1414,,\n"  # 4 joins 2 by the phone row 3 gave it
    "Grace,Hopper,grace@navy.example,,US Navy,https://navy.example\n"  # 5 known person
    "Katherine,Johnson,katherine@navy.example,,US Navy,\n"  # 6 new, known account
    "Katherine,Johnson,katherine@navy.example,,US Navy,\n"  # 7 repeat of 6
    "Linus,Torvalds,linus@kernel.example,,Kernel,\n"  # 8 imported before
    ",,,,Nobody Inc,\n"  # 9 rejected
    "Bad,Mail,not-an-address,,X,\n"  # 10 rejected
    "Alan,Turing,alan@bletchley.example,,Bletchley Park,\n"  # 11 teaches its account a domain
    "Joan,Clarke,joan@bletchley.example,,GCHQ,\n"  # 12 that account, by the domain
    "Dennis,Ritchie,dennis@bell.example,+1 202 456 1111,Bell Labs,\n"  # 13 known by phone
    ",,dennis@bell.example,,,\n"  # 14 known by the email row 13 gave them
    "Ken,Thompson,ken@bell.example,+1 212 736 3100,Bell Labs,\n"  # 15 known; phone kept
    ",,,+1 212 736 3100,,\n"  # 16 nobody holds that phone: new
    "Peter,Gibbons,peter@gmail.example,,Initech Corp,\n"  # 17 known account by name
    "Bruce,Wayne,bruce@wayne.example,,Wayne Enterprises,\n"  # 18 new account
    "Alfred,Pennyworth,alfred@wayne.example,,Wayne Enterprises,\n"  # 19 that account
    "Xavier,Old,xavier@old.example,+1 650 253 0000,,\n"  # 20 known; gets that phone
    ",,wanda@new.example,+1 650 253 0000,,\n"  # 21 the newest holder of it, who has no email
)


def previewed_database(tmp_path) -> Path:
    """People, accounts and an earlier import that the file meets; the file."""
    make_lead(email="grace@navy.example", first_name="", last_name="Hopper")
    make_account(name="US Navy", domain="navy.example")
    Account.objects.create(name="Bletchley Park", domain="")
    make_lead(email="", phone="+12024561111", last_name="Ritchie")
    make_lead(email="ken@bell.example", phone="+12024562222", last_name="Thompson")
    make_account(name="Initech Corporation", domain="initech.example")
    make_lead(email="xavier@old.example", phone="", last_name="Old")
    make_lead(email="", phone="+16502530000", last_name="New")
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("First Name,Last Name,Email,Phone,Company,Website\n"
                       "Linus,Torvalds,linus@kernel.example,,Kernel,\n", encoding="utf-8")
    run_import(earlier, ImportOptions(source="Fair", campaign="Spring"))
    path = tmp_path / "previewed.csv"
    path.write_text(PREVIEWED, encoding="utf-8")
    return path


def written() -> tuple[int, ...]:
    return (Lead.objects.count(), Inquiry.objects.count(), Account.objects.count(),
            StageChange.objects.count(), Source.objects.count(), Campaign.objects.count(),
            sum(len(a.domain) for a in Account.objects.all()))


# Small chunks, and other ones for the import: the figures must not depend on
# where the chunks of either end.
@pytest.mark.parametrize("chunks", [(2, 3), (3, 2000), (2000, 1)], ids=str)
def test_it_previews_the_figures_the_import_then_reports(tmp_path, chunks):
    path = previewed_database(tmp_path)
    before = written()
    preview = run_import(path, ImportOptions(source="Fair", campaign="Spring", dry_run=True,
                                             chunk_size=chunks[0]))
    assert written() == before  # nothing but the ImportRun
    real = run_import(path, ImportOptions(source="Fair", campaign="Spring",
                                          chunk_size=chunks[1]))
    expected = {"rows": 20, "created": 8, "merged": 8, "merged_existing": 6, "merged_within": 2,
                "skipped": 2, "rejected": 2, "accounts_created": 2, "accounts_matched": 3}
    assert {name: figures(real)[name] for name in expected} == expected
    assert figures(preview) == figures(real)
    assert Path(preview.errors_file).read_bytes() == Path(real.errors_file).read_bytes()
    leads, inquiries, accounts = (Lead.objects.count(), Inquiry.objects.count(),
                                  Account.objects.count())
    assert (leads - before[0], inquiries - before[1], accounts - before[2]) == (8, 16, 2)


@pytest.mark.django_db(transaction=True)
def test_it_previews_in_autocommit_writing_only_the_import_run(tmp_path):
    path = previewed_database(tmp_path)
    statements: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run = run_import(path, ImportOptions(source="Fair", dry_run=True, chunk_size=4))
    assert run.created == 8 and len(statements) > 20
    assert not [sql for sql, atomic in statements if atomic]
    writes = {sql.split()[0].upper() + " " + sql.split()[2 if sql.upper().startswith(
        ("INSERT", "DELETE")) else 1].strip('"') for sql, _ in statements
        if not sql.upper().startswith("SELECT")}
    assert writes == {'INSERT intake_importrun', 'UPDATE intake_importrun'}


# -- web ------------------------------------------------------------------------------

def upload(client, text: str = CSV, name: str = "leads.csv", **extra):
    data = {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
            "target": "leads", "preset": "", **extra}
    return client.post(reverse("import-upload"), data)


def test_it_keeps_like_named_companies_with_their_own_domains_apart(tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text("Email,Company\n" + "".join(
        f"p{n}@firm{n}.example,Firm {n}\n" for n in (1, 12, 120, 2, 21, 210)), encoding="utf-8")
    preview = run_import(path, ImportOptions(dry_run=True))
    run = run_import(path, ImportOptions())
    assert Account.objects.count() == 6
    assert figures(preview)["accounts_created"] == figures(run)["accounts_created"] == 6


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
    previewed = ImportRun.objects.get(dry_run=True)
    assert preview["Location"] == reverse("import-run", args=[previewed.pk])
    assert run_import_tasks() == ["done"] and not Lead.objects.exists()
    assert "would be created" in client.get(preview["Location"]).content.decode()
    done = client.post(map_url, {**fields, "action": "run"})
    run = ImportRun.objects.get(dry_run=False)
    assert done["Location"] == reverse("import-run", args=[run.pk])
    assert run_import_tasks() == ["done"]
    run.refresh_from_db()
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
    run_import_tasks()
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
