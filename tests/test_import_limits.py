"""Hostile import files (tests/hostile_files.py, made here at run time) and the
import limits: refused before reading when the file's size tells, stopped
while reading otherwise, each with an error naming the limit; a row past a
limit becomes a row error and the rest is read."""

import csv
import io
import random
import string
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from leadgate.intake.importers.readers import BadRow, LimitError, ReadError, open_table
from tests import hostile_files
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"


def read_all(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    with open_table(path) as table:
        return table.headers, list(table.rows)


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# -- workbooks that lie about their size ----------------------------------------------

def test_it_reads_a_cell_at_the_last_column_and_row_as_one_row_error(tmp_path):
    headers, rows = read_all(hostile_files.far_cell(tmp_path / "far.xlsx"))
    assert headers == ["Email", "Company"]
    [(number, row)] = rows
    assert number == 1_048_576 and isinstance(row, BadRow)
    assert "column 16,384" in row.reason and "LEADGATE_IMPORT_MAX_COLUMNS" in row.reason


def test_it_does_not_pad_rows_to_an_empty_cell_at_the_last_column(tmp_path):
    _, rows = read_all(hostile_files.wide_rows(tmp_path / "wide.xlsx", rows=500))
    assert len(rows) == 500
    assert {len(row) for _, row in rows} == {1}


def test_it_refuses_a_shared_strings_bomb_before_reading(tmp_path):
    path = hostile_files.shared_strings_bomb(tmp_path / "strings.xlsx", megabytes=20)
    with pytest.raises(LimitError, match="sharedStrings.xml unpacks .* zip bomb"):
        open_table(path)


def test_it_refuses_shared_strings_over_the_memory_limit(tmp_path, settings):
    settings.LEADGATE_IMPORT_MAX_XLSX_STRINGS_MB = 1
    random.seed(7)  # random text packs like real text: no zip bomb, only too much
    strings = ["<si><t>" + "".join(random.choices(string.ascii_letters, k=200)) + "</t></si>"
               for _ in range(8000)]
    path = hostile_files.workbook(tmp_path / "big.xlsx", [hostile_files.HEADER_ROW],
                                  strings=strings)
    with pytest.raises(LimitError, match="LEADGATE_IMPORT_MAX_XLSX_STRINGS_MB"):
        open_table(path)


def test_it_refuses_a_zip_of_millions_of_rows_before_reading(tmp_path):
    path = hostile_files.many_rows(tmp_path / "rows.xlsx", rows=3_000_000)
    assert path.stat().st_size < 2 * 2**20
    with pytest.raises(LimitError, match="sheet1.xml unpacks .* zip bomb"):
        open_table(path)


def test_it_refuses_a_workbook_that_unpacks_past_the_limit(tmp_path, settings):
    settings.LEADGATE_IMPORT_MAX_XLSX_UNPACKED_MB = 1
    rows = [["Email", "Notes"]] + [[f"p{n}@example.com", "x" * 100] for n in range(20_000)]
    with pytest.raises(LimitError, match=r"unpacks to .* \(LEADGATE_IMPORT_MAX_XLSX_UNPACKED_MB"):
        open_table(workbook(tmp_path / "big.xlsx", rows))


def test_it_refuses_xml_entities_in_a_workbook(tmp_path):
    with pytest.raises(ReadError, match="not a readable XLSX workbook"):
        open_table(hostile_files.billion_laughs(tmp_path / "laughs.xlsx"))


def test_it_refuses_xml_entities_in_a_sheet(tmp_path):
    path = hostile_files.sheet_laughs(tmp_path / "laughs.xlsx")
    with pytest.raises(ReadError, match="amplification"), open_table(path) as table:
        list(table.rows)


def test_it_names_a_damaged_workbook(tmp_path):
    path = workbook(tmp_path / "leads.xlsx", [["Email"], ["a@example.com"]])
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ReadError, match="not a readable XLSX workbook"):
        open_table(path)


# -- limits on what a file holds, CSV and XLSX alike ---------------------------------

@pytest.fixture(params=["csv", "xlsx"])
def kind(request):
    return request.param


def table_file(tmp_path: Path, kind: str, rows: list[list[str]]) -> Path:
    if kind == "csv":
        return write_csv(tmp_path / "leads.csv", rows)
    return workbook(tmp_path / "leads.xlsx", rows)  # type: ignore[arg-type]


def test_it_stops_reading_past_the_row_limit(tmp_path, settings, kind):
    settings.LEADGATE_IMPORT_MAX_ROWS = 10
    path = table_file(tmp_path, kind, [["Email"]] + [[f"p{n}@example.com"] for n in range(25)])
    read = []
    with open_table(path) as table, pytest.raises(LimitError,
                                                  match="more than 10 rows.*MAX_ROWS"):
        for _, row in table.rows:
            read.append(row)
    assert len(read) == 10


def test_it_refuses_a_header_wider_than_the_column_limit(tmp_path, settings, kind):
    settings.LEADGATE_IMPORT_MAX_COLUMNS = 50
    path = table_file(tmp_path, kind, [[f"c{n}" for n in range(51)], ["x"] * 51])
    with pytest.raises(LimitError, match="header has a value in column 51, over the limit of 50"):
        open_table(path)


def test_it_makes_a_row_with_a_too_long_cell_a_row_error_and_reads_on(tmp_path, settings, kind):
    settings.LEADGATE_IMPORT_MAX_CELL_CHARS = 1000
    path = table_file(tmp_path, kind, [["Email", "Notes"], ["a@example.com", "n" * 1001],
                                       ["b@example.com", "fine"]])
    _, rows = read_all(path)
    assert [number for number, _ in rows] == [2, 3]
    [(_, bad), (_, good)] = rows
    assert isinstance(bad, BadRow) and "Notes holds 1,001 characters" in bad.reason
    assert good == ["b@example.com", "fine"]


def test_it_still_reads_dates_numbers_and_formulas_values(tmp_path):
    path = workbook(tmp_path / "leads.xlsx", [["Email", "Phone", "Met", "Yes"],
                                              ["a@example.com", 4155550100,
                                               datetime(2026, 3, 4, 9, 30), True]])
    _, [(number, row)] = read_all(path)
    assert number == 2
    assert row == ["a@example.com", "4155550100", "2026-03-04T09:30:00", "true"]


def test_it_takes_the_first_row_with_values_as_the_header(tmp_path):
    rows = ['<row r="3"><c r="B3" t="inlineStr"><is><t>Email</t></is></c></row>',
            '<row><c r="B4" t="inlineStr"><is><t>a@example.com</t></is></c></row>']
    headers, read = read_all(hostile_files.workbook(tmp_path / "gap.xlsx", rows))
    assert headers == ["column 1", "Email"]
    assert read == [(4, ["", "a@example.com"])]


# -- where users meet them -------------------------------------------------------------

def test_it_names_the_limit_when_the_command_refuses_a_bomb(tmp_path):
    path = hostile_files.shared_strings_bomb(tmp_path / "strings.xlsx", megabytes=20)
    with pytest.raises(CommandError, match="zip bomb"):
        call_command("import", str(path), "--quiet", stdout=io.StringIO())


def test_it_shows_the_mapping_page_of_a_far_cell_workbook(client, tmp_path):
    client.force_login(make_user("maria", "marketing"))
    path = hostile_files.far_cell(tmp_path / "far.xlsx")
    response = client.post(reverse("import-upload"), {
        "file": SimpleUploadedFile("far.xlsx", path.read_bytes()), "target": "leads"})
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Email" in page.content.decode() and "Company" in page.content.decode()


def test_it_names_the_limit_on_the_mapping_page_of_a_bomb(client, tmp_path):
    client.force_login(make_user("maria", "marketing"))
    path = hostile_files.shared_strings_bomb(tmp_path / "strings.xlsx", megabytes=20)
    response = client.post(reverse("import-upload"), {
        "file": SimpleUploadedFile("strings.xlsx", path.read_bytes()), "target": "leads"})
    page = client.get(response["Location"])
    assert page.status_code == 400 and "zip bomb" in page.content.decode()

