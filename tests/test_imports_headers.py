"""Import headers: the common European languages, compound headers and units."""

import pytest

from leadgate.intake.fields import guess_field
from leadgate.intake.headers import alias_table, header_key, unit_multiplier
from leadgate.intake.importers.accounts import parse_amount
from leadgate.intake.importers.presets import guess


@pytest.mark.parametrize(("header", "field"), [
    ("Prénom", "first_name"), ("Nom", "last_name"), ("Société", "company"),
    ("Téléphone", "phone"), ("Courriel", "email"), ("Fonction", "title"), ("Pays", "country"),
    ("Site web", "website"),
    ("Vorname", "first_name"), ("Nachname", "last_name"), ("Firma", "company"),
    ("Telefon", "phone"), ("E-Mail-Adresse", "email"), ("Berufsbezeichnung", "title"),
    ("Land", "country"), ("Webseite", "website"),
    ("Nombre", "first_name"), ("Apellidos", "last_name"), ("Empresa", "company"),
    ("Teléfono", "phone"), ("Correo electrónico", "email"), ("Cargo", "title"),
    ("País", "country"), ("Sitio web", "website"),
    ("Nome", "first_name"), ("Cognome", "last_name"), ("Azienda", "company"),
    ("Cellulare", "phone"), ("Ruolo", "title"), ("Paese", "country"), ("Sito web", "website"),
    ("Voornaam", "first_name"), ("Achternaam", "last_name"), ("Bedrijf", "company"),
    ("Telefoonnummer", "phone"), ("Functie", "title"),
    ("Sobrenome", "last_name"), ("Telemóvel", "phone"), ("Função", "title"),
])
def test_it_maps_lead_headers_in_the_common_european_languages(header, field):
    assert guess_field(header) == field


@pytest.mark.parametrize("header", ["PRÉNOM", "prenom", "Prenom", "  prénom "])
def test_it_ignores_case_and_accents_in_headers(header):
    assert guess_field(header) == "first_name"


@pytest.mark.parametrize(("header", "field"), [
    ("firstName", "first_name"), ("LastName", "last_name"), ("FIRST_NAME", "first_name"),
    ("Contact Email", "email"), ("Phone 2", "phone"), ("Organization Name", "company"),
])
def test_it_reads_camel_case_and_compound_lead_headers(header, field):
    assert guess_field(header) == field


@pytest.mark.parametrize(("header", "field"), [
    ("HeadquartersCity", "city"), ("Headquarters City", "city"), ("HQ State", "state"),
    ("HeadquartersState", "state"), ("Company Country", "country"),
    ("Annual Revenue (USD)", "revenue"), ("Revenue ($M)", "revenue"), ("Revenues_M", "revenue"),
    ("Number of Employees", "employees"), ("Number_of_employees", "employees"),
    ("Employees (Total)", "employees"), ("Ville", "city"), ("Bundesland", "state"),
    ("Chiffre d’affaires", "revenue"), ("Mitarbeiter", "employees"), ("Branche", "industry"),
    ("Raison sociale", "name"),
])
def test_it_reads_compound_and_european_account_headers(header, field):
    assert guess(header, "accounts") == field


@pytest.mark.parametrize("header", [
    "Profits_M", "MarketCap_March28_M", "Contact Name", "Head of Sales", "Ticker", "Rank",
])
def test_it_leaves_headers_of_other_facts_unmapped(header):
    assert guess(header, "accounts") is None


@pytest.mark.parametrize(("header", "unit"), [
    ("Revenue ($M)", 10**6), ("Revenues_M", 10**6), ("Revenue (in millions)", 10**6),
    ("Umsatz (Mio. €)", 10**6), ("Revenue ($000)", 10**3), ("Revenue (bn)", 10**9),
    ("Annual Revenue (USD)", 1), ("Revenue", 1),
])
def test_it_reads_the_unit_a_header_gives(header, unit):
    assert unit_multiplier(header) == unit


def test_it_counts_a_bare_figure_in_the_columns_unit_and_a_suffixed_one_as_written():
    assert parse_amount("559,151", "revenue", 10**6) == 559_151_000_000
    assert parse_amount("36.9 Million", "revenue", 10**6) == 36_900_000


def test_it_splits_camel_case_and_folds_accents_in_a_header_key():
    assert header_key("HeadquartersCity") == header_key("headquarters-city") == (
        "headquarters city")
    assert header_key("Straße / Größe") == "strasse grosse"


def test_it_refuses_a_header_given_to_two_fields():
    with pytest.raises(ValueError, match="'Nom' is an alias of both last_name and name"):
        alias_table({"last_name": ("nom",), "name": ("Nom",)})
