"""Marketing activities: recorded by API, scored by engagement rules at once."""

from datetime import UTC, datetime, timedelta

import pytest

from leadgate.intake.models import Activity
from leadgate.scoring.models import LeadScore, RuleSet
from leadgate.scoring.rules import score_lead
from tests.api_helpers import api_post, make_key
from tests.factories import make_lead
from tests.test_rules import engagement, make_rules

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(db, time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def pricing_rules(now):
    return make_rules(engagement("Pricing page", "activity:page_visit:/pricing", 25),
                      engagement("Any page", "activity:page_visit", 1),
                      engagement("Event", "activity:event_attended", 30))


@pytest.fixture
def key(db):
    return make_key(scopes=("intake",))


def post_activity(key, **body):
    return api_post(key, "/activities", body)


def test_it_stores_an_activity_and_answers_with_the_new_grade(pricing_rules, key):
    lead = make_lead(email="ada@example.com")
    response = post_activity(key, email="ADA@example.com", kind="page_visit",
                             detail="https://example.com/pricing?plan=pro")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lead_id"], body["kind"], body["created"]) == (lead.pk, "page_visit", True)
    assert body["engagement"] == 26 and body["grade"] == "D2"
    assert LeadScore.objects.get(lead=lead).grade == "D2"


def test_it_gives_detail_rules_points_only_when_the_detail_matches(pricing_rules):
    lead = make_lead()
    Activity.objects.create(lead=lead, kind="page_visit", detail="/blog/why-us")
    assert score_lead(lead).engagement == 1


def test_it_decays_activity_points_with_their_age(now, time_machine):
    make_rules(engagement("Event", "activity:event_attended", 40, half_life_days=10))
    lead = make_lead()
    Activity.objects.create(lead=lead, kind="event_attended", at=now)
    time_machine.move_to(now + timedelta(days=10), tick=False)
    assert score_lead(lead).engagement == pytest.approx(20)


def test_it_stores_a_redelivered_activity_once(pricing_rules, key):
    lead = make_lead()
    first = post_activity(key, lead_id=lead.pk, kind="email_open", external_id="esp-1")
    again = post_activity(key, lead_id=lead.pk, kind="email_open", external_id="esp-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert Activity.objects.count() == 1


def test_it_names_the_field_of_an_unknown_lead(key):
    response = post_activity(key, email="nobody@example.com", kind="email_open")
    assert response.status_code == 404
    assert response.json()["field"] == "email"


def test_it_refuses_an_activity_without_a_lead(key):
    response = post_activity(key, kind="email_open")
    assert response.status_code == 422
    assert "lead_id or email" in response.json()["detail"]


def test_it_refuses_an_unknown_kind_naming_the_field(key):
    lead = make_lead()
    response = post_activity(key, lead_id=lead.pk, kind="tweet")
    assert response.status_code == 422
    assert response.json()["field"] == "kind"


def test_it_refuses_an_activity_in_the_future(now, key):
    lead = make_lead()
    response = post_activity(key, lead_id=lead.pk, kind="email_open",
                             at=(now + timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert response.json()["field"] == "at"
    assert not Activity.objects.exists()


def test_it_needs_the_intake_scope(db):
    lead = make_lead()
    response = post_activity(make_key(scopes=("read",)), lead_id=lead.pk, kind="email_open")
    assert response.status_code == 403


def test_it_hides_leads_the_keys_user_may_not_see(alice, charlie):
    lead = make_lead(owner=alice)
    response = post_activity(make_key(user=charlie, scopes=("intake",)), lead_id=lead.pk,
                             kind="email_open")
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_it_ships_default_rules_that_score_activities(db):
    ruleset = RuleSet.active_one()
    events = set(ruleset.rules.values_list("field", flat=True))
    assert ruleset.version == 2 and ruleset.activated_at is not None
    assert {"activity:page_visit:/pricing", "activity:event_attended"} <= events
    assert RuleSet.objects.get(version=1).rules.count() == ruleset.rules.count() - 8


def test_it_keeps_another_senders_external_id_apart(alice, charlie):
    theirs, mine = make_lead(owner=charlie), make_lead(owner=alice)
    post_activity(make_key(charlie, ("intake",)), lead_id=theirs.pk, kind="page_visit",
                  external_id="evt-1")
    response = post_activity(make_key(alice, ("intake",)), lead_id=mine.pk, kind="page_visit",
                             external_id="evt-1")
    assert response.status_code == 201, response.json()
    assert response.json()["lead_id"] == mine.pk  # never the lead the key cannot see
    assert Activity.objects.filter(lead=mine, external_id="evt-1").count() == 1


def test_it_keeps_one_senders_same_id_on_two_leads_apart(alice):
    key = make_key(alice, ("intake",))
    first, second = make_lead(owner=alice), make_lead(owner=alice)
    post_activity(key, lead_id=first.pk, kind="page_visit", external_id="evt-9")
    response = post_activity(key, lead_id=second.pk, kind="page_visit", external_id="evt-9")
    assert (response.status_code, response.json()["lead_id"]) == (201, second.pk)
