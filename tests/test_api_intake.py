"""API intake: POST /api/v1/leads and /leads/bulk create or merge through
`receive()`, keep unknown fields, replay idempotent retries, and answer every
bad input with a 4xx naming what is wrong."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from leadgate.api import intake as intake_api
from leadgate.api.models import ApiKey, IdempotentResponse
from leadgate.intake.models import Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.models import Lead, StageChange
from tests.api_helpers import api_post, make_key
from tests.factories import make_campaign, make_source

ADA = {"email": "ada@analytical.example", "first_name": "Ada", "last_name": "Lovelace",
       "company": "Analytical Engines"}


def post(key: str, path: str, body: Any, *, content_type: str = "application/json",
         idempotency_key: str | None = None):
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(f"/api/v1{path}", data, content_type=content_type, headers=headers)


def refused(response, status: int, field: str | None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["field"] == field, body
    assert body["detail"]
    return body


@pytest.fixture
def key(db) -> str:
    return make_key(None, scopes=("intake",))


# --- one lead ------------------------------------------------------------------


def test_it_creates_a_lead_and_answers_201(key):
    response = api_post(key, "/leads", ADA)
    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["lead"])
    inquiry = Inquiry.objects.get(pk=body["inquiry"])
    assert body["created"] is True and body["warnings"] == {}
    assert (lead.email, lead.first_name, lead.company_name) == (
        "ada@analytical.example", "Ada", "Analytical Engines")
    assert inquiry.lead_id == lead.pk and inquiry.channel == "api"


def test_it_merges_a_known_person_and_answers_200_with_the_lead(key):
    first = api_post(key, "/leads", ADA).json()
    response = api_post(key, "/leads", {"email": "ADA@analytical.example", "message": "again"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lead"] == first["lead"] and body["created"] is False
    assert body["inquiry"] != first["inquiry"]
    assert Lead.objects.count() == 1 and Inquiry.objects.count() == 2


def test_it_keeps_unknown_fields_in_the_inquiry_payload(key):
    body = api_post(key, "/leads", {**ADA, "utm_source": "newsletter",
                                    "answers": {"seats": 40}}).json()
    payload = Inquiry.objects.get(pk=body["inquiry"]).payload
    assert payload["utm_source"] == "newsletter" and payload["answers"] == {"seats": 40}
    assert payload["email"] == "ada@analytical.example"


def test_it_resolves_field_aliases(key):
    body = api_post(key, "/leads", {"E-mail": "grace@navy.example", "Company name": "Navy",
                                    "Job title": "Rear Admiral"}).json()
    lead = Lead.objects.get(pk=body["lead"])
    assert (lead.email, lead.company_name, lead.title) == (
        "grace@navy.example", "Navy", "Rear Admiral")


def test_it_sets_the_source_and_campaign_by_name(key):
    source = make_source("Webinars")
    campaign = make_campaign(source, "Spring webinar")
    body = api_post(key, "/leads", {**ADA, "source": "Webinars",
                                    "campaign": "Spring webinar"}).json()
    inquiry = Inquiry.objects.get(pk=body["inquiry"])
    assert inquiry.source == source and inquiry.campaign == campaign
    lead = Lead.objects.get(pk=body["lead"])
    assert lead.source == source and lead.campaign == campaign
    assert "source" not in inquiry.payload


def test_it_takes_the_source_from_the_campaign(key):
    campaign = make_campaign(make_source("Events"), "Trade fair")
    body = api_post(key, "/leads", {**ADA, "campaign": "Trade fair"}).json()
    assert Inquiry.objects.get(pk=body["inquiry"]).source == campaign.source


def test_it_refuses_an_unknown_source_naming_it(key):
    refused(api_post(key, "/leads", {**ADA, "source": "Nowhere"}), 422, "source")
    assert not Lead.objects.exists()


def test_it_refuses_an_unknown_campaign_naming_it(key):
    refused(api_post(key, "/leads", {**ADA, "campaign": "Nothing"}), 422, "campaign")


def test_it_records_a_hot_request(key):
    body = api_post(key, "/leads", {**ADA, "hot": True}).json()
    assert Inquiry.objects.get(pk=body["inquiry"]).is_hot


def test_it_refuses_a_hot_flag_that_is_not_a_boolean(key):
    refused(api_post(key, "/leads", {**ADA, "hot": "yes please"}), 422, "hot")


def test_it_answers_the_warnings_of_normalization(key):
    body = api_post(key, "/leads", {**ADA, "phone": "12"}).json()
    assert "phone" in body["warnings"]


def test_it_records_the_keys_user_as_the_actor(alice):
    body = api_post(make_key(alice, scopes=("intake",)), "/leads", ADA).json()
    assert StageChange.objects.get(lead_id=body["lead"]).by == alice


# --- idempotency ---------------------------------------------------------------


def test_it_replays_an_idempotent_retry_without_a_second_inquiry(key):
    first = post(key, "/leads", ADA, idempotency_key="order-1")
    again = post(key, "/leads", ADA, idempotency_key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Inquiry.objects.count() == 1


def test_it_matches_a_retry_whatever_the_json_formatting(key):
    post(key, "/leads", json.dumps(ADA), idempotency_key="order-1")
    again = post(key, "/leads", json.dumps(dict(reversed(ADA.items())), indent=2),
                 idempotency_key="order-1")
    assert again["Idempotent-Replayed"] == "true"
    assert Inquiry.objects.count() == 1


def test_it_refuses_the_same_idempotency_key_with_another_body(key):
    post(key, "/leads", ADA, idempotency_key="order-1")
    response = post(key, "/leads", {**ADA, "message": "changed"}, idempotency_key="order-1")
    body = refused(response, 422, "Idempotency-Key")
    assert "another request" in body["detail"]
    assert Inquiry.objects.count() == 1


def test_it_keeps_idempotency_keys_apart_per_api_key(key):
    other = make_key(None, scopes=("intake",), name="other")
    post(key, "/leads", ADA, idempotency_key="order-1")
    response = post(other, "/leads", ADA, idempotency_key="order-1")
    assert response.status_code == 200 and not response.has_header("Idempotent-Replayed")
    assert Inquiry.objects.count() == 2


def test_it_does_not_store_a_refusal_under_the_idempotency_key(key):
    refused(post(key, "/leads", {**ADA, "source": "Webinars"}, idempotency_key="k"),
            422, "source")
    make_source("Webinars")
    response = post(key, "/leads", {**ADA, "source": "Webinars"}, idempotency_key="k")
    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")


def test_it_answers_409_while_the_same_idempotent_request_runs(key, monkeypatch):
    seen = []

    def receive_with_a_retry_meanwhile(*args, **kwargs):
        seen.append(post(key, "/leads", ADA, idempotency_key="order-1"))
        return receive(*args, **kwargs)

    monkeypatch.setattr(intake_api, "receive", receive_with_a_retry_meanwhile)
    first = post(key, "/leads", ADA, idempotency_key="order-1")
    assert first.status_code == 201
    refused(seen[0], 409, "Idempotency-Key")
    assert Inquiry.objects.count() == 1


def test_it_takes_over_a_stale_idempotency_claim(key):
    api_key = ApiKey.objects.get()
    IdempotentResponse.objects.create(
        api_key=api_key, key="order-1", status=0, body={},
        request_hash=_hash_of("/api/v1/leads", ADA),
        created_at=timezone.now() - timedelta(hours=1),
    )
    response = post(key, "/leads", ADA, idempotency_key="order-1")
    assert response.status_code == 201
    assert IdempotentResponse.objects.get().status == 201


def _hash_of(path: str, data: dict) -> str:
    from django.test import RequestFactory

    from leadgate.api.idempotency import request_hash

    return request_hash(RequestFactory().post(path), data)


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_inquiry_of_two_identical_requests_at_once():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database does not run writers in parallel")
    key = make_key(None, scopes=("intake",))
    barrier = threading.Barrier(4)
    responses = []

    def send() -> None:
        barrier.wait()
        try:
            responses.append(post(key, "/leads", ADA, idempotency_key="order-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Inquiry.objects.count() == 1
    assert sorted(r.status_code for r in responses).count(201) >= 1
    assert {r.status_code for r in responses} <= {201, 409}


def test_it_refuses_an_idempotency_key_over_255_characters(key):
    refused(post(key, "/leads", ADA, idempotency_key="k" * 256), 422, "Idempotency-Key")
    assert not Inquiry.objects.exists()


# --- bulk ----------------------------------------------------------------------


def test_it_takes_the_valid_leads_of_a_bulk_request_and_reports_the_others(key):
    response = api_post(key, "/leads/bulk", {"leads": [
        ADA,
        {"first_name": "No", "last_name": "Contact"},
        {"email": "grace@navy.example", "title": "x" * 201},
        {"email": "ada@analytical.example", "message": "again"},
        "not an object",
        {"email": "linus@kernel.example"},
    ]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["merged"], body["errors"]) == (2, 1, 3)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4, 5]
    assert [r["status"] for r in results] == [
        "created", "error", "error", "merged", "error", "created"]
    assert [r.get("field") for r in results if r["status"] == "error"] == [
        "email", "title", "body"]
    assert results[3]["lead"] == results[0]["lead"]
    assert Lead.objects.count() == 2 and Inquiry.objects.count() == 3


def test_it_refuses_a_bulk_request_of_more_than_1000_leads(key):
    leads = [{"email": f"p{i}@example.org"} for i in range(1001)]
    refused(api_post(key, "/leads/bulk", {"leads": leads}), 422, "leads")
    assert not Lead.objects.exists()


def test_it_refuses_a_bulk_request_without_a_list_of_leads(key):
    refused(api_post(key, "/leads/bulk", {"leads": {"email": "a@b.example"}}), 422, "leads")


def test_it_applies_bulk_defaults_that_a_lead_may_override(key):
    webinars, events = make_source("Webinars"), make_source("Events")
    body = api_post(key, "/leads/bulk", {"source": "Webinars", "hot": True, "leads": [
        ADA, {"email": "grace@navy.example", "source": "Events", "hot": False},
    ]}).json()
    first, second = (Inquiry.objects.get(pk=r["inquiry"]) for r in body["results"])
    assert (first.source, first.is_hot) == (webinars, True)
    assert (second.source, second.is_hot) == (events, False)


def test_it_refuses_a_bulk_request_with_an_unknown_default_source(key):
    refused(api_post(key, "/leads/bulk", {"source": "Nowhere", "leads": [ADA]}), 422, "source")
    assert not Lead.objects.exists()


def test_it_replays_an_idempotent_bulk_retry(key):
    payload = {"leads": [ADA, {"email": "grace@navy.example"}]}
    first = post(key, "/leads/bulk", payload, idempotency_key="batch-7")
    again = post(key, "/leads/bulk", payload, idempotency_key="batch-7")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Inquiry.objects.count() == 2


def test_it_accepts_a_bulk_body_over_64_kb(key):
    leads = [{"email": f"p{i}@example.org", "message": "m" * 100} for i in range(600)]
    response = api_post(key, "/leads/bulk", {"leads": leads})
    assert response.status_code == 200 and response.json()["created"] == 600


# --- bad input -----------------------------------------------------------------


def test_it_answers_422_naming_the_body_to_malformed_json(key):
    refused(api_post(key, "/leads", '{"email": "ada@analytical.example",'), 422, "body")


def test_it_answers_422_naming_the_body_to_json_that_is_not_an_object(key):
    refused(api_post(key, "/leads", [ADA]), 422, "body")


def test_it_answers_422_naming_the_body_to_nan(key):
    refused(api_post(key, "/leads", '{"email": "a@b.example", "score": NaN}'), 422, "body")


def test_it_answers_422_naming_the_body_to_runaway_nesting(key):
    refused(api_post(key, "/leads", '{"email": "a@b.example", "x": ' + "[" * 5000
                     + "]" * 5000 + "}"), 422, "body")


def test_it_answers_415_naming_the_content_type(key):
    response = post(key, "/leads", "email=ada@analytical.example",
                    content_type="application/x-www-form-urlencoded")
    refused(response, 415, "Content-Type")


def test_it_answers_413_to_a_body_over_64_kb(key):
    refused(api_post(key, "/leads", {**ADA, "notes_extra": "x" * 70_000}), 413, "body")
    assert not Lead.objects.exists()


def test_it_answers_422_naming_a_field_over_its_length(key):
    refused(api_post(key, "/leads", {**ADA, "company": "C" * 201}), 422, "company")


def test_it_answers_422_naming_email_when_email_and_phone_are_missing(key):
    refused(api_post(key, "/leads", {"first_name": "Ada", "company": "Engines"}), 422, "email")


def test_it_answers_422_naming_a_field_that_is_a_list(key):
    refused(api_post(key, "/leads", {**ADA, "phone": ["1", "2"]}), 422, "phone")


def test_it_answers_422_naming_an_unknown_field_with_a_nul_character(key):
    refused(api_post(key, "/leads", {**ADA, "utm": "a\x00b"}), 422, "utm")


def test_it_answers_422_to_a_lone_surrogate(key):
    raw = '{"email": "ada@analytical.example", "note": "\\ud800"}'
    refused(api_post(key, "/leads", raw), 422, "note")


def test_it_answers_403_to_a_key_without_the_intake_scope(db):
    response = api_post(make_key(None, scopes=("read", "write")), "/leads", ADA)
    body = refused(response, 403, None)
    assert "intake" in body["detail"]
    assert not Lead.objects.exists()


def test_it_answers_403_to_a_bulk_call_without_the_intake_scope(db):
    refused(api_post(make_key(None, scopes=("read",)), "/leads/bulk", {"leads": [ADA]}),
            403, None)


def test_it_answers_401_without_a_key(db):
    assert api_post(None, "/leads", ADA).status_code == 401


def test_it_still_lists_leads_on_the_path_it_shares_with_intake(key, alice):
    api_post(key, "/leads", ADA)
    response = Client().get("/api/v1/leads", headers={
        "Authorization": f"Bearer {make_key(None, scopes=('read',))}"})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_it_documents_the_intake_endpoints_in_the_openapi_spec(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    single = spec["paths"]["/api/v1/leads"]["post"]
    assert "email" in single["requestBody"]["content"]["application/json"]["schema"][
        "properties"]
    assert {"201", "200", "413", "415", "422"} <= set(single["responses"])
    assert "Idempotency-Key" in {p["name"] for p in single["parameters"]}
    assert "post" in spec["paths"]["/api/v1/leads/bulk"]


def outsiders_lead(charlie):
    from tests.factories import make_lead

    return make_lead(owner=charlie, email="grace@hopper.example", website="")


def test_it_names_no_lead_the_posting_key_may_not_see(alice, charlie):
    theirs = outsiders_lead(charlie)
    response = api_post(make_key(alice, ("intake",)), "/leads",
                        {"email": "grace@hopper.example", "website": "https://evil.example"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["lead"], body["created"]) == (None, False)
    assert Inquiry.objects.get(pk=body["inquiry"]).lead_id == theirs.pk  # nothing lost


def test_it_writes_nothing_onto_a_lead_the_posting_key_may_not_see(alice, charlie):
    theirs = outsiders_lead(charlie)
    api_post(make_key(alice, ("intake",)), "/leads",
             {"email": "grace@hopper.example", "website": "https://evil.example"})
    theirs.refresh_from_db()
    assert theirs.website == ""


def test_it_names_the_matched_lead_to_a_key_that_sees_it(alice, charlie):
    theirs = outsiders_lead(charlie)
    response = api_post(make_key(None, ("intake",)), "/leads",
                        {"email": "grace@hopper.example", "website": "https://hopper.example"})
    assert response.json()["lead"] == theirs.pk
    theirs.refresh_from_db()
    assert theirs.website == "https://hopper.example"
