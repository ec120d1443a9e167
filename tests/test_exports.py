"""Exports of leads handed to sales, for Salesforce and HubSpot imports, with
every cell neutralised against spreadsheet formulas."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client
from openpyxl import load_workbook

from leadgate.handoff import flow
from leadgate.handoff.exports import cell
from leadgate.leads.transitions import advance
from leadgate.workspace.models import Qualification
from tests.factories import PASSWORD, make_lead, make_user

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://evil.example","click")'


def handed_off(owner, rep, **fields):
    lead = make_lead(owner=owner, **fields)
    advance(lead, "working", by=owner)
    Qualification.objects.create(lead=lead, cycle=lead.cycle, verdict="sales_ready", by=owner)
    flow.send(lead, by=owner, to_user=rep, dossier={"summary": "Needs 40 seats"})
    return lead


@pytest.fixture
def evil(alice, sam):
    return handed_off(alice, sam, first_name=FORMULA, last_name="Lovelace",
                      company_name="@SUM(A1)", title="-2+3")


def run(*args):
    out = io.StringIO()
    call_command("export", *args, stdout=out)
    return out.getvalue()


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("raw", ["=1+1", "+1+1", "-1-1", "+A1", "-SUM(A1)", "+1 (555) 010",
                                 "-2+3", "@x", "\tx", "\rx"])
def test_it_neutralises_every_dangerous_start(raw):
    assert cell(raw).startswith("'")


@pytest.mark.parametrize("raw", ["+4915011303882", "+49 150 11303882", "-12.5", "+3", "42"])
def test_it_leaves_phone_numbers_and_plain_numbers_intact(raw):
    assert cell(raw) == raw


def test_it_exports_salesforce_csv_with_formulas_neutralised(evil, tmp_path):
    run("--format", "salesforce", "--as", "csv", "--out", str(tmp_path / "sf.csv"))
    row = read_csv(tmp_path / "sf.csv")[0]
    assert (row["FirstName"], row["Company"], row["Title"]) == (
        "'" + FORMULA, "'@SUM(A1)", "'-2+3")


def test_it_exports_the_phone_number_as_the_crm_must_read_it(alice, sam, tmp_path):
    handed_off(alice, sam, phone="+4915011303882")
    run("--format", "salesforce", "--as", "csv", "--out", str(tmp_path / "sf.csv"))
    run("--format", "hubspot", "--as", "csv", "--out", str(tmp_path / "hs.csv"))
    assert read_csv(tmp_path / "sf.csv")[0]["Phone"] == "+4915011303882"
    assert read_csv(tmp_path / "hs.csv")[0]["Phone Number"] == "+4915011303882"


def test_it_exports_hubspot_xlsx_with_formulas_neutralised(evil, tmp_path):
    run("--format", "hubspot", "--as", "xlsx", "--out", str(tmp_path / "hs.xlsx"))
    sheet = load_workbook(tmp_path / "hs.xlsx").active
    header = [c.value for c in sheet[1]]
    first = sheet.cell(row=2, column=header.index("First Name") + 1)
    assert (first.value, first.data_type) == ("'" + FORMULA, "s")


def test_it_uses_the_salesforce_lead_columns(evil, tmp_path):
    run("--format", "salesforce", "--out", str(tmp_path / "sf.csv"))
    row = read_csv(tmp_path / "sf.csv")[0]
    assert (row["LastName"], row["Status"], row["Email"]) == (
        "Lovelace", "Open - Not Contacted", evil.email)
    assert "Needs 40 seats" in row["Description"]


def test_it_uses_the_hubspot_contact_columns(evil, sam, tmp_path):
    run("--format", "hubspot", "--out", str(tmp_path / "hs.csv"))
    row = read_csv(tmp_path / "hs.csv")[0]
    assert (row["Lifecycle Stage"], row["Lead Status"], row["Contact owner"],
            row["Leadgate ID"]) == ("salesqualifiedlead", "OPEN", sam.email, str(evil.pk))


def test_it_exports_qualified_and_accepted_leads_only(evil, alice, sam, tmp_path):
    make_lead(owner=alice, email="working@example.com")
    accepted = handed_off(alice, sam)
    flow.accept(accepted.handoffs.get(), by=sam)
    run("--format", "salesforce", "--out", str(tmp_path / "sf.csv"))
    assert sorted(row["Email"] for row in read_csv(tmp_path / "sf.csv")) == sorted(
        [evil.email, accepted.email])


def test_it_exports_the_stages_asked_for(evil, alice, sam, tmp_path):
    accepted = handed_off(alice, sam)
    flow.accept(accepted.handoffs.get(), by=sam)
    run("--format", "salesforce", "--stage", "accepted", "--out", str(tmp_path / "sf.csv"))
    assert [row["Email"] for row in read_csv(tmp_path / "sf.csv")] == [accepted.email]


def test_it_refuses_an_unknown_stage(tmp_path):
    with pytest.raises(CommandError, match="stage"):
        run("--format", "salesforce", "--stage", "bogus", "--out", str(tmp_path / "x.csv"))


def login(user):
    client = Client()
    # The log-in throttle (axes) counts attempts by request; a blank one will do.
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    return client


def test_it_downloads_a_csv_for_the_rep(evil, sam):
    response = login(sam).get("/sales/export", {"format": "hubspot", "as": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["First Name"] for row in rows] == ["'" + FORMULA]


def test_it_downloads_an_xlsx_for_a_manager(evil, mia):
    response = login(mia).get("/sales/export", {"format": "salesforce", "as": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=2, column=1).value == "'" + FORMULA


def test_it_gives_a_rep_only_the_leads_handed_to_them(evil, alice):
    rita = make_user("rita", "sales")
    handed_off(alice, rita, email="rita-lead@example.com")
    response = login(rita).get("/sales/export", {"format": "salesforce"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["Email"] for row in csv.DictReader(io.StringIO(text))] == [
        "rita-lead@example.com"]


def test_it_refuses_the_download_to_a_qualifier(evil, alice):
    response = login(alice).get("/sales/export", {"format": "salesforce"})
    assert response.status_code == 403


def test_it_refuses_an_unknown_format(sam):
    response = login(sam).get("/sales/export", {"format": "pipedrive"})
    assert response.status_code == 400
