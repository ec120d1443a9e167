"""`leadgate import FILE`: formats, encodings, mapping, re-imports, row errors."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from leadgate.intake.models import ImportRun, Inquiry
from leadgate.leads.models import Account, Lead, StageChange

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "Email", "Phone", "Company"]
ROWS = [
    ["Ada", "Lovelace", "ada@analytical.example", "+44 20 7946 0958", "Analytical Engines"],
    ["Grace", "Hopper", "grace@navy.example", "", "US Navy"],
]


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import", str(path), "--quiet", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_imports_a_csv_with_any_delimiter(tmp_path, delimiter):
    path = write_csv(tmp_path / "leads.csv", [HEADER, *ROWS], delimiter)
    run(path)
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "ada@analytical.example", "grace@navy.example"
    }


def test_it_reads_latin_1(tmp_path):
    path = write_csv(tmp_path / "leads.csv",
                     [HEADER, ["Jürgen", "Müller", "jm@firma.example", "", "Bäckerei Größe"]],
                     ";", "latin-1")
    run(path)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company_name) == (
        "Jürgen", "Müller", "Bäckerei Größe")


def test_it_reads_utf_8_with_a_bom_and_crlf(tmp_path):
    text = "\r\n".join(",".join(row) for row in [HEADER, ["Zoë", "Ångström", "zoe@x.example",
                                                          "", "Ørsted"]]) + "\r\n"
    path = tmp_path / "leads.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    run(path)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.email) == ("Zoë", "zoe@x.example")


def test_it_imports_xlsx(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Alan", "Turing", "alan@bletchley.example", 4155550100, "Bletchley"])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    run(path)
    lead = Lead.objects.get()
    assert (lead.email, lead.phone) == ("alan@bletchley.example", "+14155550100")


def test_it_guesses_columns_from_headers(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [
        ["E-mail Address", "Given name", "Surname", "Organisation", "Job Title"],
        ["ada@analytical.example", "ada", "LOVELACE", "Analytical Engines", "CTO"],
    ])
    run(path)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company_name, lead.title) == (
        "Ada", "Lovelace", "Analytical Engines", "CTO")


def test_it_reads_a_salesforce_export_with_its_preset(tmp_path):
    path = write_csv(tmp_path / "sf.csv", [
        ["Lead ID", "First Name", "Last Name", "Title", "Company", "Email", "Mobile",
         "Lead Source"],
        ["00Q1", "Ada", "Lovelace", "CTO", "Analytical", "", "+1 415 555 0100", "Web"],
    ])
    run(path, "--preset", "salesforce")
    lead = Lead.objects.get()
    assert (lead.phone, lead.title) == ("+14155550100", "CTO")
    assert Inquiry.objects.get().payload["Lead ID"] == "00Q1"


def test_it_reads_a_hubspot_export_with_its_preset(tmp_path):
    path = write_csv(tmp_path / "hs.csv", [
        ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
         "Job Title", "Website URL", "Country/Region"],
        ["501", "Grace", "Hopper", "grace@navy.example", "", "US Navy", "Admiral",
         "https://navy.example", "United States"],
    ])
    run(path, "--preset", "hubspot")
    lead = Lead.objects.get()
    assert (lead.company_name, lead.title, lead.website, lead.country) == (
        "US Navy", "Admiral", "https://navy.example", "US")


def test_it_lets_map_override_the_guess(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [
        ["Email", "Contact", "Backup mail"],
        ["ada@analytical.example", "x@y.example", "other@z.example"],
    ])
    run(path, "--map", "Contact=-", "--map", "Backup mail=message")
    inquiry = Inquiry.objects.get()
    assert inquiry.payload["Contact"] == "x@y.example"
    assert inquiry.payload["message"] == "other@z.example"
    assert Lead.objects.get().first_name == ""


def test_it_keeps_unknown_columns_in_the_payload(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [
        ["Email", "Shoe size", "Favourite colour"], ["ada@analytical.example", "38", "green"],
    ])
    run(path)
    payload = Inquiry.objects.get().payload
    assert (payload["Shoe size"], payload["Favourite colour"]) == ("38", "green")


def test_it_creates_nothing_when_the_same_file_is_imported_again(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [HEADER, *ROWS])
    run(path)
    run(path)
    last = ImportRun.objects.order_by("pk").last()
    assert (last.created, last.merged, last.skipped) == (0, 0, 2)
    assert (Lead.objects.count(), Inquiry.objects.count()) == (2, 2)


def test_it_merges_a_known_person_into_their_lead(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [
        HEADER, ROWS[0], ["Ada", "Lovelace", "ADA@analytical.example", "", "AE Ltd"]])
    run(path)
    run_ = ImportRun.objects.get()
    assert (run_.created, run_.merged, Lead.objects.count(), Inquiry.objects.count()) == (
        1, 1, 1, 2)
    assert StageChange.objects.filter(from_stage="", to_stage="inquiry").count() == 1


def test_it_lists_rejected_rows_with_row_number_and_reason(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [
        HEADER, ROWS[0], ["No", "Contact", "", "", "Nowhere"], ROWS[1],
        ["Bad", "Mail", "not-an-address", "", "X"],
    ])
    errors = tmp_path / "errors.csv"
    run(path, "--errors", str(errors))
    assert Lead.objects.count() == 2
    rows = list(csv.DictReader(errors.open(encoding="utf-8")))
    assert [(r["row"], r["field"], r["Last Name"]) for r in rows] == [
        ("3", "email", "Contact"), ("5", "email", "Mail")]
    assert "required" in rows[0]["reason"] and "not a valid address" in rows[1]["reason"]


def test_it_names_a_row_of_invalid_utf_8_and_goes_on(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(
        "Email,First Name\nzoe@x.example,Zoë\n".encode()
        + b"bad@x.example,Ren\xe9e\n"
        + "amelie@x.example,Amélie\n".encode()
    )
    errors = tmp_path / "errors.csv"
    run(path, "--errors", str(errors))
    assert set(Lead.objects.values_list("email", flat=True)) == {"zoe@x.example",
                                                                 "amelie@x.example"}
    (row,) = csv.DictReader(errors.open(encoding="utf-8"))
    assert (row["row"], row["field"]) == ("3", "First Name")
    assert "utf-8" in row["reason"]


def test_it_refuses_a_file_without_recognisable_columns(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Colour", "Size"], ["green", "38"]])
    with pytest.raises(CommandError, match=r"no recognisable columns: found \['Colour', 'Size'\]"):
        run(path)
    assert not Lead.objects.exists()


def test_it_writes_nothing_on_a_dry_run(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [HEADER, *ROWS, ["", "", "", "", "X"]])
    out = run(path, "--dry-run", "--source", "Fair", "--campaign", "Spring")
    assert not Lead.objects.exists() and not Inquiry.objects.exists()
    assert not Account.objects.exists()
    run_ = ImportRun.objects.get()
    assert (run_.dry_run, run_.created, run_.rejected) == (True, 2, 1)
    assert "Dry run" in out


def test_it_records_source_and_campaign(tmp_path):
    path = write_csv(tmp_path / "leads.csv", [HEADER, ROWS[0]])
    run(path, "--source", "Trade fair", "--campaign", "Spring 2025")
    inquiry = Inquiry.objects.get()
    assert (inquiry.source.name, inquiry.campaign.name, inquiry.channel) == (
        "Trade fair", "Spring 2025", "import")


def test_it_imports_accounts(tmp_path):
    path = write_csv(tmp_path / "companies.csv", [
        ["account", "sector", "revenue", "employees", "office_location", "url"],
        ["Acme Corporation", "technolgy", "1,100.04", "2,822", "United States",
         "http://www.acme.example"],
        ["Betatech", "medical", "36.9 Million", "lots", "Kenya", ""],
        ["", "retail", "", "", "", ""],
    ])
    errors = tmp_path / "errors.csv"
    run(path, "--as", "accounts", "--map", "office_location=country", "--errors", str(errors))
    account = Account.objects.get()
    assert (account.name, account.domain, account.employees, account.country) == (
        "Acme Corporation", "acme.example", 2822, "US")
    assert str(account.annual_revenue) == "1100.04"
    reasons = [(r["row"], r["field"]) for r in csv.DictReader(errors.open(encoding="utf-8"))]
    assert reasons == [("3", "employees"), ("4", "name")]


def test_it_updates_known_accounts_instead_of_duplicating(tmp_path):
    Account.objects.create(name="Acme Corp", domain="")
    path = write_csv(tmp_path / "companies.csv", [
        ["Company", "Website", "Industry"], ["ACME Corp.", "https://acme.example", "Tools"]])
    run(path, "--as", "accounts")
    account = Account.objects.get()
    assert (account.domain, account.industry) == ("acme.example", "Tools")
    assert ImportRun.objects.get().merged == 1
