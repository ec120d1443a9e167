"""Normalization: one place for every channel."""

import pytest

from leadgate.lib.normalize import (
    clean_text,
    company_domain,
    company_key,
    normalize_email,
    normalize_name,
    normalize_phone,
    registrable_domain,
    split_full_name,
)


def test_it_lowercases_and_trims_an_email():
    email = normalize_email("  Ada.Lovelace@Analytical.EXAMPLE ")
    assert (email.value, email.valid, email.domain) == (
        "ada.lovelace@analytical.example", True, "analytical.example",
    )


def test_it_reads_an_email_written_as_name_and_brackets():
    assert normalize_email("Ada <ADA@acme.com>").value == "ada@acme.com"


def test_it_flags_free_mail():
    assert normalize_email("someone@gmail.com").free
    assert not normalize_email("someone@acme.com").free


def test_it_flags_role_addresses():
    assert normalize_email("info@acme.com").role
    assert normalize_email("Sales+eu@acme.com").role
    assert not normalize_email("ada@acme.com").role


def test_it_keeps_an_invalid_email_with_the_reason():
    email = normalize_email("ada@@acme")
    assert not email.valid
    assert email.value == "ada@@acme"
    assert email.error


def test_it_checks_email_syntax_without_the_network():
    # A domain that does not exist is fine: deliverability is not checked.
    assert normalize_email("x@no-such-domain-leadgate.example").valid


def test_it_formats_a_phone_in_e164():
    phone = normalize_phone("+33 1 42 68 53 00")
    assert (phone.value, phone.valid, phone.country) == ("+33142685300", True, "FR")


def test_it_reads_a_national_phone_in_the_default_region():
    assert normalize_phone("(202) 456-1111", "US").value == "+12024561111"
    assert normalize_phone("030 901820", "DE").value == "+4930901820"


def test_it_keeps_an_invalid_phone_as_given_and_flags_it():
    phone = normalize_phone(" 12-34 ")
    assert (phone.value, phone.valid) == ("12-34", False)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  ada   LOVELACE ", "ada LOVELACE"),  # mixed case: kept as typed
        ("JEAN-LUC VAN DER BERG", "Jean-Luc van der Berg"),
        ("o'neil", "O'Neil"),
        ("mcdonald", "McDonald"),
        ("McDonald", "McDonald"),
        ("DeShawn", "DeShawn"),
    ],
)
def test_it_cases_names_sensibly(typed, expected):
    assert normalize_name(typed) == expected


def test_it_splits_full_names_both_ways():
    assert split_full_name("ada lovelace") == ("Ada", "Lovelace")
    assert split_full_name("Lovelace, Ada") == ("Ada", "Lovelace")


def test_it_takes_the_domain_of_a_website():
    assert registrable_domain("https://WWW.Acme.com/about?x=1") == "acme.com"
    assert registrable_domain("acme.co.uk") == "acme.co.uk"
    assert registrable_domain("not a site") == ""


def test_it_prefers_the_website_then_a_business_email_for_the_company_domain():
    assert company_domain(normalize_email("a@acme.com"), "https://acme-group.com") == (
        "acme-group.com"
    )
    assert company_domain(normalize_email("a@acme.com")) == "acme.com"
    assert company_domain(normalize_email("a@gmail.com")) == ""


def test_it_reduces_company_names_to_a_matching_key():
    assert company_key("ACME, Inc.") == company_key("Acme Inc") == "acme"
    assert company_key("Société Générale S.A.") == "societe generale"
    assert company_key("Procter & Gamble Co.") == "procter and gamble"


def test_it_drops_control_characters():
    assert clean_text("Ada\x00 \u200bLove\nlace") == "Ada Love lace"


def test_it_never_takes_a_social_network_for_the_company_domain():
    assert company_domain(normalize_email("a@acme.com"), "https://facebook.com/acme") == (
        "acme.com"
    )
    assert company_domain(normalize_email("a@gmail.com"), "linkedin.com/company/acme") == ""
