"""Enrichment: each built-in provider, the recording of who set which fact and
when, failures that stop nothing, the hook after intake, and the lead page."""

import importlib
import sys
import types
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadgate.enrich.models import Enrichment
from leadgate.enrich.pipeline import enrich_lead, enrich_leads, lead_facts
from leadgate.enrich.providers import REGISTRY, Provider
from leadgate.enrich.providers.company import CompanyProvider
from leadgate.enrich.providers.email import EmailProvider
from leadgate.enrich.providers.phone import PhoneProvider
from leadgate.enrich.providers.title import TitleProvider
from leadgate.enrich.tasks import retry_failed_providers
from leadgate.leads.models import Account, Lead
from leadgate.orchestration.tasks import after_intake
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def analytical_account(**extra):
    fields = {
        "name": "Analytical Engines", "domain": "analytical.example", "industry": "Machinery",
        "employees": 120, "annual_revenue": "2500000.00", "country": "GB", "state": "London",
    }
    return Account.objects.create(**{**fields, **extra})


@pytest.fixture
def fake_titles(monkeypatch):
    """A stand-in for leadgate.lib.titles, so the title provider's wiring is
    tested whether or not the real parser has landed."""
    module = types.ModuleType("leadgate.lib.titles")

    def parse_title(title):
        senior = "vp" if "VP" in title else "individual contributor"
        return types.SimpleNamespace(seniority=senior, department="sales", matched=True)

    module.parse_title = parse_title
    monkeypatch.setitem(sys.modules, "leadgate.lib.titles", module)
    return module


@pytest.fixture
def broken_provider(monkeypatch):
    class Broken(Provider):
        kind = "broken"
        fills = ("nothing",)

        def enrich(self, lead):
            raise RuntimeError("provider exploded")

    monkeypatch.setitem(REGISTRY, "broken", Broken)
    return Broken


# -- company ----------------------------------------------------------------------


def test_it_takes_company_facts_from_the_account_of_the_email_domain():
    analytical_account()
    lead = make_lead(email="ada@analytical.example")
    facts = CompanyProvider().enrich(lead)
    assert facts["industry"] == "Machinery"
    assert (facts["employees"], facts["revenue"], facts["country"]) == (120, 2500000.0, "GB")


def test_it_sets_the_missing_account_of_the_lead():
    account = analytical_account()
    lead = make_lead(email="ada@analytical.example")
    enrich_lead(lead)
    assert Lead.objects.get(pk=lead.pk).account == account
    assert lead_facts(lead)["account_id"]["provider"] == "company"


def test_it_finds_the_account_of_a_subdomain():
    analytical_account()
    lead = make_lead(email="ada@eu.analytical.example")
    assert CompanyProvider().enrich(lead)["account"] == "Analytical Engines"


def test_it_never_matches_an_account_by_a_free_mail_domain():
    Account.objects.create(name="Google", domain="gmail.com", industry="Internet")
    lead = make_lead(email="ada@gmail.com")
    assert CompanyProvider().enrich(lead) == {}


# -- email ------------------------------------------------------------------------


def test_it_flags_a_disposable_address():
    facts = EmailProvider().enrich(make_lead(email="ada@mailinator.com"))
    assert facts == {
        "email_valid": True, "email_free": False, "email_role": False, "email_disposable": True,
    }


def test_it_flags_free_mail_and_shared_mailboxes():
    assert EmailProvider().enrich(make_lead(email="ada@gmail.com"))["email_free"] is True
    assert EmailProvider().enrich(make_lead(email="info@acme.example"))["email_role"] is True


# -- phone ------------------------------------------------------------------------


def test_it_finds_the_country_region_and_time_zone_of_a_phone():
    facts = PhoneProvider().enrich(make_lead(phone="+33 1 42 68 53 00"))
    assert facts == {
        "phone_country": "FR", "phone_region": "Paris", "time_zone": "Europe/Paris",
        "time_zone_ambiguous": False,
    }


def test_it_reads_a_national_number_in_the_default_region(settings):
    settings.LEADGATE_DEFAULT_PHONE_REGION = "US"
    facts = PhoneProvider().enrich(make_lead(phone="(312) 555-0123"))
    assert (facts["phone_region"], facts["time_zone"]) == ("Chicago, IL", "America/Chicago")


def test_it_reads_a_national_number_in_the_leads_country(settings):
    settings.LEADGATE_DEFAULT_PHONE_REGION = "US"
    facts = PhoneProvider().enrich(make_lead(phone="030 1234567", country="DE"))
    assert (facts["phone_country"], facts["time_zone"]) == ("DE", "Europe/Berlin")


def test_it_fills_the_empty_time_zone_and_country_of_the_lead():
    lead = make_lead(phone="+12125550123")
    enrich_lead(lead, ["phone"])
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.time_zone, stored.country) == ("America/New_York", "US")


def test_it_keeps_a_time_zone_the_lead_already_has():
    lead = make_lead(phone="+12125550123", time_zone="Europe/London", country="GB")
    enrich_lead(lead, ["phone"])
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.time_zone, stored.country) == ("Europe/London", "GB")


def test_it_marks_a_guessed_zone_of_a_mobile_as_ambiguous_and_leaves_the_lead_alone():
    lead = make_lead(phone="+79161234567")
    facts = enrich_lead(lead, ["phone"])
    assert (facts["time_zone"], facts["time_zone_ambiguous"]) == ("Europe/Moscow", True)
    assert Lead.objects.get(pk=lead.pk).time_zone == ""


def test_it_finds_nothing_for_an_invalid_phone():
    assert PhoneProvider().enrich(make_lead(phone="12")) == {}


# -- title ------------------------------------------------------------------------


def test_it_takes_seniority_and_department_from_the_title_parser(fake_titles):
    facts = TitleProvider().enrich(make_lead(title="VP Sales"))
    assert facts == {"seniority": "vp", "department": "sales"}


def test_it_parses_a_real_title_when_the_parser_is_installed():
    try:
        importlib.import_module("leadgate.lib.titles")
    except ImportError:
        pytest.skip("leadgate.lib.titles has not landed yet")
    facts = TitleProvider().enrich(make_lead(title="SVP, Marketing"))
    assert facts["department"] == "marketing"


def test_it_declares_every_fact_each_offline_provider_fills(fake_titles):
    analytical_account()
    lead = make_lead(
        email="ada@analytical.example", phone="+33142685300", title="VP Sales"
    )
    for kind in ("company", "email", "phone", "title"):
        provider = REGISTRY[kind]()
        assert set(provider.enrich(lead)) <= set(provider.fills), kind


# -- recording --------------------------------------------------------------------


def test_it_records_which_provider_set_each_fact_and_when(fake_titles):
    lead = make_lead(email="ada@mailinator.com", phone="+33142685300", title="VP Sales")
    with time_machine.travel(T0, tick=False):
        enrich_lead(lead)
    facts = lead_facts(lead)
    assert (facts["email_disposable"]["provider"], facts["email_disposable"]["at"]) == (
        "email", T0,
    )
    assert (facts["time_zone"]["value"], facts["time_zone"]["provider"]) == (
        "Europe/Paris", "phone",
    )
    assert facts["seniority"] == {"value": "vp", "provider": "title", "at": T0}


def test_it_updates_a_changed_fact_and_keeps_the_time_of_unchanged_ones(fake_titles):
    lead = make_lead(email="ada@mailinator.com", title="VP Sales")
    with time_machine.travel(T0, tick=False):
        enrich_lead(lead)
    Lead.objects.filter(pk=lead.pk).update(title="Sales rep")
    later = T0 + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        enrich_lead(Lead.objects.get(pk=lead.pk))
    facts = lead_facts(lead)
    assert facts["seniority"] == {
        "value": "individual contributor", "provider": "title", "at": later,
    }
    assert facts["email_disposable"]["at"] == T0
    assert Enrichment.objects.filter(lead=lead, field="seniority").count() == 1


def test_it_keeps_running_the_other_providers_when_one_fails(broken_provider):
    lead = make_lead(email="ada@mailinator.com", phone="+33142685300")
    facts = enrich_lead(lead)
    assert facts["email_disposable"] is True
    assert facts["time_zone"] == "Europe/Paris"
    assert lead_facts(lead)["error.broken"]["value"] == "provider exploded"


def test_it_clears_the_error_of_a_provider_that_later_succeeds(broken_provider, monkeypatch):
    lead = make_lead()
    enrich_lead(lead, ["broken"])
    monkeypatch.setattr(broken_provider, "enrich", lambda self, lead: {"nothing": 1})
    enrich_lead(lead, ["broken"])
    assert "error.broken" not in lead_facts(lead)
    assert lead_facts(lead)["nothing"]["value"] == 1


def test_it_records_a_missing_title_parser_as_an_error_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "leadgate.lib.titles", None)  # import fails
    lead = make_lead(title="VP Sales", email="ada@mailinator.com")
    facts = enrich_lead(lead)
    assert "error.title" in facts
    assert facts["email_disposable"] is True


def test_it_refuses_an_unknown_provider_kind():
    with pytest.raises(ValueError, match="nope"):
        enrich_lead(make_lead(), ["nope"])


def test_it_retries_a_failed_provider_in_the_sweep(broken_provider, monkeypatch):
    lead = make_lead()
    with time_machine.travel(T0, tick=False):
        enrich_lead(lead, ["broken"])
    monkeypatch.setattr(broken_provider, "enrich", lambda self, lead: {"nothing": 2})
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert retry_failed_providers.call() == 1
    assert set(lead_facts(lead)) == {"nothing"}


# -- a batch of leads ----------------------------------------------------------------


def varied_leads(tag):
    """Leads that take each path: an account found and filled, a time zone and
    country filled, an ambiguous zone left alone, a time zone already set."""
    analytical_account(domain=f"analytical-{tag}.example")
    return [
        make_lead(email=f"ada@analytical-{tag}.example", title="VP Sales"),
        make_lead(email="ada@mailinator.com", phone="+12125550123"),
        make_lead(email="ada@gmail.com", phone="+79161234567"),
        make_lead(phone="+33142685300", time_zone="Europe/London"),
    ]


def stored(leads):
    """What enrichment left, without ids: each lead's filled fields and facts."""
    rows = []
    for lead in leads:
        lead = Lead.objects.get(pk=lead.pk)
        facts = {field: (fact["value"], fact["provider"], fact["at"])
                 for field, fact in lead_facts(lead).items() if field != "account_id"}
        rows.append((lead.account.name if lead.account else None,
                     lead.time_zone, lead.country, facts))
    return rows


def test_it_enriches_a_batch_of_leads_as_it_does_one_by_one(fake_titles, broken_provider):
    one_by_one, batch = varied_leads("one"), varied_leads("batch")
    with time_machine.travel(T0, tick=False):
        found_alone = [enrich_lead(lead) for lead in one_by_one]
        found = enrich_leads(batch)

    def without_account_id(facts):  # the two accounts' ids differ
        return {field: value for field, value in facts.items() if field != "account_id"}

    assert [without_account_id(found[lead.pk]) for lead in batch] == [
        without_account_id(facts) for facts in found_alone]
    assert stored(batch) == stored(one_by_one)
    assert [row[:3] for row in stored(batch)] == [
        ("Analytical Engines", "", "GB"), (None, "America/New_York", "US"),
        (None, "", "RU"), (None, "Europe/London", "FR")]


def test_it_enriches_a_batch_in_as_many_queries_for_ten_leads_as_for_two(fake_titles):
    def queries(count):
        leads = []
        for n in range(count):
            domain = f"firm{count}-{n}.example"
            Account.objects.create(name=f"Firm {n}", domain=domain, country="DE")
            leads.append(make_lead(email=f"ada@eu.{domain}", phone=f"+1212555{n:04d}",
                                   title="VP Sales"))
        with CaptureQueriesContext(connection) as run:
            enrich_leads(leads, ["company", "email", "phone", "title"])
        assert all(Lead.objects.get(pk=lead.pk).account_id for lead in leads)
        return len(run.captured_queries)

    assert queries(10) == queries(2) <= 8


def test_it_keeps_a_field_written_since_the_lead_was_read_in_a_batch():
    lead, other = make_lead(phone="+12125550123"), make_lead(phone="+33142685300")
    Lead.objects.filter(pk=lead.pk).update(time_zone="America/Chicago")  # behind its back
    enrich_leads([lead, other], ["phone"])
    assert Lead.objects.get(pk=lead.pk).time_zone == "America/Chicago"
    assert lead.time_zone == "America/Chicago"
    assert (lead.country, Lead.objects.get(pk=other.pk).time_zone) == ("US", "Europe/Paris")


def test_it_clears_the_errors_of_each_lead_whose_provider_now_succeeds(
        broken_provider, monkeypatch):
    leads = [make_lead(), make_lead()]
    enrich_leads(leads, ["broken"])
    monkeypatch.setattr(broken_provider, "enrich", lambda self, lead: {"nothing": lead.pk})
    enrich_leads(leads, ["broken"])
    assert [set(lead_facts(lead)) for lead in leads] == [{"nothing"}] * 2


def test_it_keeps_the_time_of_facts_a_second_batch_finds_unchanged():
    leads = [make_lead(email="ada@mailinator.com"), make_lead(email="bob@gmail.com")]
    with time_machine.travel(T0, tick=False):
        enrich_leads(leads, ["email"])
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        enrich_leads(leads, ["email"])
    assert {fact["at"] for lead in leads for fact in lead_facts(lead).values()} == {T0}
    assert Enrichment.objects.filter(lead__in=leads).count() == 8


# -- after intake and the lead page -------------------------------------------------


def test_it_enriches_the_lead_after_intake():
    lead = make_lead(email="ada@yopmail.com", phone="+33142685300")
    after_intake.call(lead.pk)
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.time_zone == "Europe/Paris"
    assert stored.processed_at is not None
    assert lead_facts(lead)["email_disposable"]["value"] is True


def test_it_shows_the_local_time_and_the_facts_escaped_on_the_lead_page(client, alice):
    lead = make_lead(owner=alice, time_zone="Europe/Paris")
    Enrichment.objects.create(lead=lead, field="seniority", value="<b>vp</b>", provider="title")
    Enrichment.objects.create(
        lead=lead, field="department", value="sales", provider="<i>http</i>"
    )
    Enrichment.objects.create(lead=lead, field="phone_region", value="Paris", provider="phone")
    client.force_login(alice)
    with time_machine.travel(datetime(2026, 1, 15, 13, 5, tzinfo=UTC), tick=False):
        page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert "local time 14:05 Thu (CET)" in page
    assert "&lt;b&gt;vp&lt;/b&gt;" in page and "<b>vp</b>" not in page
    assert "&lt;i&gt;http&lt;/i&gt;" in page
    assert "Paris" in page and "· phone" in page
