"""receive(): every channel's way in. Saved once, clean, attached to the right
person and company, with the raw payload kept."""

import pytest
from django.db import connection, transaction
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from leadgate.intake.fields import IntakeError, guess_field, parse
from leadgate.intake.models import Inquiry
from leadgate.intake.pipeline import AlreadyReceived, receive
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Account, Lead
from leadgate.leads.transitions import advance
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db


def ada(**extra):
    return {"first_name": "ADA", "last_name": "lovelace", "email": "Ada@Analytical.example",
            "company": "Analytical Engines Ltd", **extra}


def test_it_creates_a_lead_with_normalized_fields():
    result = receive(ada(phone="(202) 456-1111", title="CTO"), channel="api")
    lead = Lead.objects.get(pk=result.lead.pk)
    assert result.created
    assert (lead.first_name, lead.last_name, lead.email, lead.phone) == (
        "Ada", "Lovelace", "ada@analytical.example", "+12024561111",
    )
    assert (lead.domain, lead.country, lead.stage) == ("analytical.example", "US", "inquiry")
    assert list(lead.history().values_list("from_stage", "to_stage")) == [("", "inquiry")]


def test_it_keeps_the_raw_payload_including_unknown_fields():
    result = receive(ada(utm_source="newsletter", budget="50k"), channel="form")
    payload = Inquiry.objects.get(pk=result.inquiry.pk).payload
    assert payload["utm_source"] == "newsletter"
    assert payload["email"] == "Ada@Analytical.example"  # as it came, not normalized


def test_it_merges_a_second_inquiry_with_the_same_email():
    first = receive(ada(), channel="form")
    second = receive({"email": "ada@analytical.EXAMPLE", "phone": "+1 202 456 1111"},
                     channel="api")
    assert not second.created
    assert second.lead.pk == first.lead.pk
    assert second.inquiry.matched_by == "email"
    assert Lead.objects.count() == 1
    assert Inquiry.objects.filter(lead=first.lead).count() == 2
    # The new inquiry filled what the lead lacked.
    assert Lead.objects.get(pk=first.lead.pk).phone == "+12024561111"


def test_it_merges_by_phone_when_the_email_differs(settings):
    settings.LEADGATE_DEFAULT_PHONE_REGION = "GB"  # the national number below is British
    first = receive({"phone": "+44 20 7946 0958", "last_name": "Babbage"}, channel="import")
    second = receive({"phone": "020 7946 0958", "email": "cb@diff.example"}, channel="api")
    assert second.lead.pk == first.lead.pk
    assert second.inquiry.matched_by == "phone"


def test_it_never_moves_an_active_lead_backwards_on_a_new_inquiry(alice):
    lead = receive(ada(), channel="form").lead
    advance(lead, Stage.WORKING, by=alice)
    receive(ada(), channel="api")
    lead.refresh_from_db()
    assert (lead.stage, lead.cycle) == ("working", 1)


def test_it_starts_a_new_cycle_for_a_returning_closed_lead(alice):
    lead = receive(ada(), channel="form").lead
    advance(lead, Stage.DISQUALIFIED, by=alice, reason="no project")
    again = receive(ada(), channel="form")
    lead.refresh_from_db()
    assert (lead.stage, lead.cycle) == ("inquiry", 2)
    assert again.inquiry.cycle == 2


def test_it_refuses_a_submission_without_email_or_phone():
    with pytest.raises(IntakeError) as refused:
        receive({"first_name": "Ada"}, channel="form")
    assert refused.value.field == "email"
    assert not Lead.objects.exists()


def test_it_refuses_an_invalid_email_when_there_is_no_phone():
    with pytest.raises(IntakeError, match="not a valid address") as refused:
        receive({"email": "ada@@x"}, channel="form")
    assert refused.value.field == "email"


def test_it_keeps_an_invalid_email_flagged_when_a_phone_reaches_the_person():
    result = receive({"email": "ada@@x", "phone": "+1 202 456 1111"}, channel="form")
    assert result.lead.email_invalid
    assert "email" in result.warnings


def test_it_keeps_an_invalid_phone_as_given_and_flags_it():
    result = receive({"email": "ada@acme.example", "phone": "12"}, channel="form")
    assert (result.lead.phone, result.lead.phone_invalid) == ("12", True)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"email": "jan@firma.de"}, "+49301234567"),
    ({"email": "jan@gmail.com", "country": "Germany"}, "+49301234567"),
    ({"email": "jan@gmail.com", "website": "https://www.firma.de/"}, "+49301234567"),
])
def test_it_reads_a_national_phone_in_the_leads_country(fields, expected, settings):
    settings.LEADGATE_DEFAULT_PHONE_REGION = "US"
    result = receive({**fields, "phone": "030 1234567"}, channel="form")
    assert (result.lead.phone, result.lead.phone_invalid, result.lead.country) == (
        expected, False, "DE")


def test_it_reads_a_national_phone_in_the_default_region_without_a_country_hint(settings):
    settings.LEADGATE_DEFAULT_PHONE_REGION = "US"
    result = receive({"email": "ada@acme.com", "phone": "(202) 456-1111"}, channel="form")
    assert result.lead.phone == "+12024561111"


def test_it_names_a_field_over_its_length():
    with pytest.raises(IntakeError, match="limit is 200") as refused:
        receive(ada(title="x" * 201), channel="api")
    assert refused.value.field == "title"


def test_it_refuses_a_list_where_text_is_expected():
    with pytest.raises(IntakeError) as refused:
        parse({"email": ["a@b.example"]})
    assert refused.value.field == "email"


def test_it_flags_free_mail_and_role_addresses():
    lead = receive({"email": "info@gmail.com"}, channel="form").lead
    assert (lead.email_free, lead.email_role, lead.domain) == (True, True, "")


def test_it_matches_the_account_by_domain():
    account = Account.objects.create(name="Analytical Engines", domain="analytical.example")
    lead = receive(ada(company="Something Else"), channel="form").lead
    assert lead.account == account


def test_it_matches_the_account_by_company_name_for_free_mail():
    account = Account.objects.create(name="Analytical Engines Ltd.", domain="ae.example")
    lead = receive({"email": "ada@gmail.com", "company": "ANALYTICAL ENGINES"}, channel="form").lead
    assert lead.account == account


def test_it_never_matches_a_like_name_of_a_company_with_another_domain():
    other = Account.objects.create(name="Firm 120", domain="firm120.example")
    lead = receive({"email": "p@firm12.example", "company": "Firm 12"}, channel="form").lead
    assert lead.account != other
    assert (lead.account.name, lead.account.domain) == ("Firm 12", "firm12.example")


def test_it_matches_a_like_name_of_a_company_without_a_domain_yet():
    account = Account.objects.create(name="Firm 120")
    lead = receive({"email": "p@firm12.example", "company": "Firm 12"}, channel="form").lead
    assert lead.account == account


def test_it_matches_a_slightly_misspelt_company_name():
    account = Account.objects.create(name="Babbage Difference Machines", domain="bdm.example")
    lead = receive({"email": "x@gmail.com", "company": "Babage Difference Machines"},
                   channel="form").lead
    assert lead.account == account


def test_it_creates_the_account_of_a_new_company_but_never_for_free_mail():
    lead = receive(ada(), channel="form").lead
    assert (lead.account.name, lead.account.domain) == (
        "Analytical Engines Ltd", "analytical.example",
    )
    loner = receive({"email": "someone@gmail.com"}, channel="form").lead
    assert loner.account is None
    assert not Account.objects.filter(domain="gmail.com").exists()


def test_it_gives_a_new_lead_the_owner_of_its_account(alice):
    Account.objects.create(name="Analytical", domain="analytical.example", owner=alice)
    lead = receive(ada(), channel="form").lead
    assert (lead.owner, lead.team) == (alice, alice.team)


def test_it_sets_source_and_campaign():
    campaign = make_campaign()
    result = receive(ada(), channel="form", campaign=campaign, is_hot=True)
    assert (result.inquiry.campaign, result.inquiry.source) == (campaign, campaign.source)
    assert result.inquiry.is_hot
    assert result.lead.source == campaign.source


def test_it_takes_a_fingerprinted_row_only_once():
    receive(ada(), channel="import", fingerprint="f" * 64)
    with pytest.raises(AlreadyReceived):
        receive(ada(), channel="import", fingerprint="f" * 64)
    assert Inquiry.objects.count() == 1


def test_it_queues_the_duplicate_search_with_the_lead():
    result = receive(ada(), channel="form")
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "leadgate.orchestration.tasks.after_intake"
    assert queued.args_kwargs["args"] == [result.lead.pk]


def test_it_rolls_back_the_queued_task_with_the_lead():
    with pytest.raises(RuntimeError), transaction.atomic():
        receive(ada(), channel="form")
        raise RuntimeError("a later step of the caller failed")
    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_it_sends_to_a_queue_elsewhere_only_after_the_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receive(ada(), channel="form")
        assert backend.results == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(backend.results) == 1


def test_it_queues_nothing_when_the_inquiry_joins_a_lead():
    receive(ada(), channel="form")
    receive(ada(), channel="api")
    assert DBTaskResult.objects.count() == 1


def test_it_guesses_fields_from_common_headers():
    assert [guess_field(h) for h in ["E-mail Address", "Surname", "Company Name", "Mobile",
                                     "Job Title", "Favourite colour"]] == [
        "email", "last_name", "company", "phone", "title", None,
    ]


def test_it_takes_an_identity_lock_on_postgresql():
    from leadgate.intake.locks import lock_identities

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    lock_identities("ada@analytical.example", "+12024561111")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone()[0] == 2


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_lead_of_two_simultaneous_inquiries_of_one_person():
    import threading

    from django.db import connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database does not run writers in parallel")
    start = threading.Barrier(4)
    errors = []

    def submit():
        try:
            start.wait()
            receive(ada(), channel="api")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Lead.objects.count() == 1
    assert Inquiry.objects.count() == 4


def test_it_keeps_two_people_apart_who_share_a_switchboard_number():
    first = receive({"email": "ada@acme.example", "phone": "+1 202 456 1111"}, channel="form")
    second = receive({"email": "bob@acme.example", "phone": "+1 202 456 1111"}, channel="form")
    assert second.created
    assert second.lead.pk != first.lead.pk


def test_it_enriches_and_scores_the_lead_after_intake():
    from leadgate.orchestration.tasks import after_intake
    from leadgate.scoring.models import LeadScore

    lead = receive(ada(title="VP Engineering"), channel="form", is_hot=True).lead
    after_intake.call(lead.pk)
    lead.refresh_from_db()
    score = LeadScore.objects.get(lead=lead)
    assert any("hot" in str(reason).lower() for reason in score.reasons)
    # A hot request meets the default MQL rule: the move is recorded with why.
    assert lead.stage == "mql"
    assert lead.history().last().reason.startswith("MQL rule")


def test_it_stores_a_payload_without_what_databases_refuse():
    result = receive(ada(note="a\x00b\ud800c"), channel="import")
    assert Inquiry.objects.get(pk=result.inquiry.pk).payload["note"] == "abc"
