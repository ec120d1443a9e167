"""Where a company is: countries by any usual name, and its registrable domain,
alike for an account imported and a lead's email."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from leadgate.intake.importers.presets import build_mapping
from leadgate.intake.imports import ImportOptions, run_import
from leadgate.intake.pipeline import receive
from leadgate.leads.models import Account
from leadgate.lib import countries
from leadgate.lib.countries import country_code
from leadgate.lib.normalize import SUFFIXES, company_domain, normalize_email, registrable_domain

ROOT = Path(__file__).resolve().parents[1]

# The header and the first rows of a public list of the 1,000 largest US
# companies (Fortune 1000, 2022), as published.
FORTUNE = (
    "Rank,Company,Ticker,Sector,Industry,Number_of_employees,Revenues_M,Profits_M,CEO,"
    "Country,HeadquartersCity,HeadquartersState,Website\n"
    "1,Walmart,WMT,Retailing,General Merchandisers,\"2,300,000\",\"559,151\",\"13,510\","
    "C. Douglas McMillon,U.S.,Bentonville,AR,https://www.stock.walmart.com\n"
    "2,Amazon,AMZN,Retailing,Internet Services and Retailing,\"1,298,000\",\"386,064\","
    "\"21,331\",Andrew R. Jassy,U.S.,Seattle,WA,https://www.amazon.com\n"
)


@pytest.mark.parametrize(("raw", "code"), [
    ("U.S.", "US"), ("USA", "US"), ("U.S.A.", "US"), ("United States of America", "US"),
    ("US", "US"), ("us", "US"), ("United States", "US"), ("Estados Unidos", "US"),
    ("U.K.", "GB"), ("UK", "GB"), ("Great Britain", "GB"), ("England", "GB"),
    ("United Kingdom", "GB"), ("GBR", "GB"), ("UAE", "AE"), ("United Arab Emirates", "AE"),
    ("Deutschland", "DE"), ("Germany", "DE"), ("DEU", "DE"), ("Allemagne", "DE"),
    ("España", "ES"), ("ESPANA", "ES"), ("Spain", "ES"), ("Holland", "NL"),
    ("The Netherlands", "NL"), ("Nederland", "NL"), ("Pays-Bas", "NL"), ("Czechia", "CZ"),
    ("Czech Republic", "CZ"), ("South Korea", "KR"), ("Republic of Korea", "KR"),
    ("Korea, Republic of", "KR"), ("North Korea", "KP"), ("Russia", "RU"),
    ("Russian Federation", "RU"), ("Türkiye", "TR"), ("Turkey", "TR"), ("Turkiye", "TR"),
    ("Côte d'Ivoire", "CI"), ("Ivory Coast", "CI"), ("Viet Nam", "VN"), ("Vietnam", "VN"),
    ("Bosnia & Herzegovina", "BA"), ("St. Lucia", "LC"), ("Trinidad and Tobago", "TT"),
    ("Schweiz", "CH"), ("Suisse", "CH"), ("Österreich", "AT"), ("Polska", "PL"),
    ("Brasil", "BR"), ("México", "MX"), ("Iran", "IR"), ("Taiwan", "TW"), ("JPN", "JP"),
    ("fra", "FR"), ("Kosovo", "XK"),
])
def test_it_knows_the_usual_names_and_codes_of_countries(raw, code):
    assert country_code(raw) == code


@pytest.mark.parametrize("raw", ["", "ZZ", "XYZ", "Atlantis", "Europe"])
def test_it_knows_no_country_by_a_name_that_names_none(raw):
    assert country_code(raw) == ""


def test_it_has_every_country_of_iso_3166():
    codes = {code for code in countries.COUNTRIES.values()}
    assert len(codes) == 250  # the 249 of ISO 3166-1, and Kosovo


def test_it_adds_no_alias_that_contradicts_the_iso_names(monkeypatch):
    monkeypatch.setattr(countries, "ALIASES", {})
    iso = countries._table()
    contradicting = {alias: (iso[key], code) for alias, code in countries.ALIASES.items()
                     if (key := countries.country_key(alias)) in iso and iso[key] != code}
    assert contradicting == {}


@pytest.mark.parametrize(("raw", "domain"), [
    ("www.stock.walmart.com", "walmart.com"), ("https://www.stock.walmart.com/", "walmart.com"),
    ("shop.example.co.uk", "example.co.uk"), ("ada@mail.walmart.com", "walmart.com"),
    ("mailto:ada@Walmart.COM", "walmart.com"), ("https://WWW.Acme.com:8080/about?x=1", "acme.com"),
    ("eu.acme.example", "acme.example"), ("co.uk", ""), ("192.168.1.10", ""),
    ("localhost", ""), ("not a site", ""), ("", ""),
])
def test_it_takes_the_registrable_domain(raw, domain):
    assert registrable_domain(raw) == domain


def test_it_takes_the_registrable_domain_of_a_lead_email():
    assert company_domain(normalize_email("ada@mail.walmart.com")) == "walmart.com"


def test_it_still_takes_no_company_domain_from_free_mail():
    assert company_domain(normalize_email("ada@mail.yahoo.co.uk")) == ""
    assert normalize_email("ada@mail.yahoo.co.uk").free


def test_it_uses_the_bundled_public_suffix_list_only():
    assert SUFFIXES.suffix_list_urls == ()
    assert SUFFIXES.fallback_to_snapshot
    assert not SUFFIXES._cache.enabled  # writes no cache file anywhere


CHECK_OFFLINE = """
import json, os, socket, sys

def refuse(*args, **kwargs):
    raise OSError("no network in this test")

socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from leadgate.lib.normalize import registrable_domain
print(json.dumps([registrable_domain("www.stock.walmart.com"),
                  registrable_domain("shop.example.co.uk")]))
"""


def test_it_finds_the_registrable_domain_with_no_network_and_writes_nothing(tmp_path):
    # A fresh process: nothing loaded yet, the network refused, a suffix list
    # URL in the environment (ignored), and an empty home and cache to write to.
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "https://suffixes.invalid/list.dat"}
    result = subprocess.run([sys.executable, "-c", CHECK_OFFLINE], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout) == ["walmart.com", "example.co.uk"]
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def fortune(tmp_path, settings) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    path = tmp_path / "fortune1000.csv"
    path.write_text(FORTUNE, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_it_maps_the_columns_of_the_fortune_1000_list():
    headers = FORTUNE.splitlines()[0].split(",")
    mapping = build_mapping(headers, "accounts")
    assert {header: field for header, field in mapping.items() if field} == {
        "Company": "name", "Sector": "industry", "Industry": "industry",
        "Number_of_employees": "employees", "Revenues_M": "revenue", "Country": "country",
        "HeadquartersCity": "city", "HeadquartersState": "state", "Website": "website"}


@pytest.mark.django_db
def test_it_imports_the_fortune_1000_list_with_countries_places_and_figures(fortune):
    run = run_import(fortune, ImportOptions(target="accounts"))
    assert (run.created, run.rejected, run.mapping["warnings"]) == (2, 0, {})
    walmart = Account.objects.get(name="Walmart")
    assert (walmart.domain, walmart.country, walmart.city, walmart.state) == (
        "walmart.com", "US", "Bentonville", "AR")
    assert (walmart.employees, walmart.annual_revenue) == (2_300_000, Decimal("559151000000"))


@pytest.mark.django_db
def test_it_matches_a_lead_from_the_company_email_domain_to_its_imported_account(fortune):
    run_import(fortune, ImportOptions(target="accounts"))
    result = receive({"email": "ada@walmart.com"}, channel="api")  # by domain alone
    assert result.lead.account == Account.objects.get(name="Walmart")
    assert result.lead.domain == "walmart.com"
