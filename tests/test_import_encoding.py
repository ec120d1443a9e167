"""Import encodings: Western cp1252 when a small file is ambiguous, and the
encoding shown on the import page and chosen there (or with --encoding)."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from leadgate.intake.importers.encodings import detect_encoding
from leadgate.intake.importers.readers import open_table
from leadgate.intake.models import ImportRun
from leadgate.leads.models import Lead
from tests.factories import make_user
from tests.import_queue import run_import_tasks

pytestmark = pytest.mark.django_db

WESTERN = ("First Name;Last Name;Email;Company\n"
           "Anders;Ångström;anders@uppsala.example;Ångström Optik\n"
           "Hans;Müller;hans@baecker.example;Müller Bäckerei\n"
           "Françoise;Lefèvre;francoise@lefevre.example;Société Lefèvre\n")
CENTRAL = ("First Name;Last Name;Email;Company\n"
           "Łukasz;Wiśniewski;lukasz@lodz.example;Żółć Łódź\n"
           "Jiří;Dvořák;jiri@praha.example;Černá Hora\n"
           "Zofia;Gdańska;zofia@krakow.example;Śląsk Kraków\n")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"


def write(tmp_path: Path, text: str, encoding: str) -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_it_reads_a_small_cp1252_file_as_western(tmp_path):
    with open_table(write(tmp_path, WESTERN, "cp1252")) as table:
        names = [values[1] for _, values in table.rows]
        assert (table.encoding, names) == ("cp1252", ["Ångström", "Müller", "Lefèvre"])


def test_it_reads_a_small_cp1250_file_as_central_european(tmp_path):
    with open_table(write(tmp_path, CENTRAL, "cp1250")) as table:
        names = [values[1] for _, values in table.rows]
        assert (table.encoding, names) == ("cp1250", ["Wiśniewski", "Dvořák", "Gdańska"])


def test_it_prefers_cp1252_when_no_word_tells_the_code_pages_apart():
    assert detect_encoding("Price;Contact\n€ 100;O’Brien\n".encode("cp1252")) == "cp1252"


def test_it_still_names_another_script_by_charset_normalizer():
    text = "Фамилия;Имя;Город\n" + "Иванов;Пётр;Москва\nПетрова;Анна;Санкт-Петербург\n" * 5
    assert detect_encoding(text.encode("cp1251")) == "cp1251"


def run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import", str(path), "--quiet", *args, stdout=out)
    return out.getvalue()


def test_it_imports_with_the_encoding_given_on_the_command_line(tmp_path):
    # Western bytes read as Central European: what --encoding is for, and what it does.
    output = run(write(tmp_path, WESTERN, "cp1252"), "--encoding", "cp1250")
    assert "read as cp1250" in output
    assert Lead.objects.get(email="anders@uppsala.example").last_name == "Ĺngström"


def test_it_reports_the_encoding_it_detected(tmp_path):
    assert "read as cp1252" in run(write(tmp_path, WESTERN, "cp1252"))


# -- web ------------------------------------------------------------------------------

def upload(client, data: bytes, name: str = "leads.csv") -> str:
    client.force_login(make_user("maria", "marketing"))
    response = client.post(reverse("import-upload"), {
        "file": SimpleUploadedFile(name, data, content_type="text/csv"),
        "target": "leads", "preset": ""})
    assert response.status_code == 302
    return response["Location"]


def test_it_shows_the_detected_encoding_on_the_mapping_page(client):
    page = client.get(upload(client, WESTERN.encode("cp1252"))).content.decode()
    assert "Read as <strong data-encoding>Windows-1252 (Western European)</strong>" in page
    assert "Ångström" in page


def test_it_reads_the_file_again_in_the_encoding_chosen(client):
    url = upload(client, CENTRAL.encode("cp1250"))
    page = client.post(url, {"encoding": "cp1252", "apply_encoding": "1"}).content.decode()
    assert "Read as <strong data-encoding>Windows-1252 (Western European)</strong>" in page
    assert "detected as Windows-1250 (Central European)" in page
    assert "Dvoøák" in page  # as the person asked, however it looks


def test_it_imports_in_the_encoding_chosen_on_the_page(client):
    url = upload(client, WESTERN.encode("cp1252"))
    fields = {"col-0": "first_name", "col-1": "last_name", "col-2": "email", "col-3": "company"}
    client.post(url, {**fields, "encoding": "latin-1", "action": "run"})
    run_import_tasks()
    run = ImportRun.objects.get(dry_run=False)
    assert run.mapping["encoding"] == "latin-1"
    assert Lead.objects.get(email="hans@baecker.example").last_name == "Müller"


def test_it_refuses_an_encoding_not_among_the_choices(client):
    url = upload(client, WESTERN.encode("cp1252"))
    response = client.post(url, {"encoding": "rot13", "apply_encoding": "1"})
    assert response.status_code == 400
    assert "encoding: unknown encoding &#x27;rot13&#x27;" in response.content.decode()
