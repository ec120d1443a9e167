"""Is this person already a lead? Exact matches by email then phone; fuzzy
name + company matches go to the review list, once per pair."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from leadgate.intake.dedup import (
    exact_match,
    fuzzy_candidates,
    record_candidates,
    similarity,
)
from leadgate.intake.fields import LeadData
from leadgate.intake.models import DuplicateCandidate
from leadgate.intake.pipeline import receive
from leadgate.leads.models import Lead
from leadgate.orchestration.tasks import after_intake
from tests.factories import make_account, make_lead

pytestmark = pytest.mark.django_db


def person(first, last, company="Acme Corp", **fields):
    """An unsaved lead: similarity() needs no database."""
    return Lead(first_name=first, last_name=last, company_name=company, **fields)


def test_it_matches_the_same_email_first():
    by_email = make_lead(email="ada@acme.example", phone="+14155550100")
    make_lead(email="other@acme.example", phone="+14155550199")
    lead, how = exact_match(LeadData(email="ada@acme.example", phone="+14155550199"))
    assert (lead, how) == (by_email, "email")


def test_it_matches_the_same_phone_when_the_submission_has_no_email():
    by_phone = make_lead(email="ada@acme.example", phone="+14155550100")
    lead, how = exact_match(LeadData(phone="+14155550100"))
    assert (lead, how) == (by_phone, "phone")


def test_it_matches_the_same_phone_of_a_lead_without_email():
    by_phone = make_lead(email="", phone="+14155550100")
    lead, how = exact_match(LeadData(email="new@acme.example", phone="+14155550100"))
    assert (lead, how) == (by_phone, "phone")


def test_it_matches_nothing_for_a_new_person():
    make_lead(email="ada@acme.example", phone="+14155550100")
    assert exact_match(LeadData(email="bob@acme.example")) == (None, "new")


def test_it_never_matches_an_invalid_email():
    make_lead(email="not-an-email")
    assert exact_match(LeadData(email="not-an-email", email_invalid=True)) == (None, "new")


def test_it_never_matches_an_invalid_phone():
    make_lead(phone="12")
    assert exact_match(LeadData(phone="12", phone_invalid=True)) == (None, "new")


def test_it_scores_a_typo_in_the_name_at_the_same_company_above_the_threshold(settings):
    score = similarity(person("Jonathan", "Smith"), person("Jonathon", "Smith", "ACME Corp."))
    assert score.score >= settings.LEADGATE_DUPLICATE_THRESHOLD
    assert "name 93% alike" in score.reasons


def test_it_scores_a_different_person_at_the_same_company_below_the_threshold(settings):
    score = similarity(person("Jonathan", "Smith"), person("Mary", "Smith"))
    assert score.score < settings.LEADGATE_DUPLICATE_THRESHOLD


def test_it_scores_the_same_name_at_another_company_below_the_threshold(settings):
    score = similarity(person("Jonathan", "Smith"), person("Jonathan", "Smith", "Globex"))
    assert score.score < settings.LEADGATE_DUPLICATE_THRESHOLD


def test_it_does_not_count_two_blank_names_as_alike():
    account = make_account()
    a = Lead(email="x@acme.example", account=account)
    b = Lead(email="y@acme.example", account=account)
    assert similarity(a, b).reasons[0] == "name 0% alike"


def test_it_finds_a_candidate_with_the_same_last_name():
    other = make_lead(first_name="Jonathon", last_name="Smith", company_name="Acme Corp")
    lead = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    assert [found for found, _ in fuzzy_candidates(lead)] == [other]


def test_it_finds_a_candidate_of_the_same_account_with_another_last_name():
    account = make_account()
    other = make_lead(first_name="Jon", last_name="Smyth", account=account)
    lead = make_lead(first_name="Jon", last_name="Smith", account=account)
    assert [found for found, _ in fuzzy_candidates(lead)] == [other]


def test_it_looks_only_inside_the_block():
    # Alike, but neither the same last name nor the same account: not looked at.
    make_lead(first_name="Jon", last_name="Smyth", company_name="Acme Corp")
    lead = make_lead(first_name="Jon", last_name="Smith", company_name="Acme Corp")
    assert fuzzy_candidates(lead) == []


def test_it_never_finds_the_lead_itself():
    lead = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    assert fuzzy_candidates(lead) == []


def test_it_records_one_candidate_per_pair():
    older = make_lead(first_name="Jonathon", last_name="Smith", company_name="Acme Corp")
    newer = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    [pair] = record_candidates(newer)
    assert (pair.lead, pair.candidate, pair.status) == (newer, older, "open")
    assert pair.score >= 88 and pair.reasons
    assert record_candidates(newer) == []
    assert DuplicateCandidate.objects.count() == 1


def test_it_does_not_record_the_reverse_pair_again():
    older = make_lead(first_name="Jonathon", last_name="Smith", company_name="Acme Corp")
    newer = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    record_candidates(newer)
    assert record_candidates(older) == []
    assert DuplicateCandidate.objects.count() == 1


def test_it_stores_a_pair_found_from_the_older_lead_with_the_newer_as_lead():
    older = make_lead(first_name="Jonathon", last_name="Smith", company_name="Acme Corp")
    newer = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    [pair] = record_candidates(older)
    assert (pair.lead, pair.candidate) == (newer, older)


def test_it_does_not_ask_again_about_a_pair_kept_apart():
    older = make_lead(first_name="Jonathon", last_name="Smith", company_name="Acme Corp")
    newer = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    [pair] = record_candidates(newer)
    DuplicateCandidate.objects.filter(pk=pair.pk).update(status="kept_apart")
    assert record_candidates(older) == []
    assert record_candidates(newer) == []


def test_it_records_candidates_in_the_after_intake_task():
    make_lead(first_name="Jonathon", last_name="Smith", company_name="Acme Corp")
    lead = make_lead(first_name="Jonathan", last_name="Smith", company_name="Acme Corp")
    assert after_intake.call(lead.pk) == 1
    assert DuplicateCandidate.objects.filter(lead=lead).count() == 1


def test_it_skips_a_lead_gone_before_the_task_ran():
    lead = make_lead(first_name="Jonathan", last_name="Smith")
    lead_id = lead.pk
    lead.delete()
    assert after_intake.call(lead_id) == 0


def test_it_queues_the_fuzzy_search_when_intake_creates_a_lead():
    receive({"first_name": "Jonathon", "last_name": "Smith", "company": "Acme Corp",
             "email": "jsmith@acme.example"}, channel="api")
    second = receive({"first_name": "Jonathan", "last_name": "Smith",
                      "company": "Acme Corp", "email": "jon@gmail.com"}, channel="form")
    queued = DBTaskResult.objects.filter(task_path=after_intake.module_path)
    assert [task.args_kwargs["args"] for task in queued.order_by("enqueued_at")][-1] == [
        second.lead.pk
    ]
    assert after_intake.call(second.lead.pk) == 1  # what the worker will run
    pair = DuplicateCandidate.objects.get()
    assert pair.lead_id == second.lead.pk


def test_it_searches_with_one_query():
    account = make_account()
    for n in range(5):
        make_lead(first_name=f"Person{n}", last_name="Smith", account=account)
    lead = make_lead(first_name="Jonathan", last_name="Smith", account=account)
    with CaptureQueriesContext(connection) as queries:
        fuzzy_candidates(lead)
    assert len(queries) == 1
