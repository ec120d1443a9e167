"""Rule scoring: fit operators, engagement decay, grades, reasons, the MQL move,
rule set versions, preview, batched scoring and the decay task."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError
from django.db.models import Max

from leadgate.enrich.models import Enrichment
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead, Touch
from leadgate.leads.periodic import JOBS
from leadgate.leads.transitions import advance
from leadgate.scoring.models import LeadScore, Rule, RuleSet
from leadgate.scoring.rules import preview, score_lead, score_leads
from leadgate.scoring.tasks import rescore_decay, score_lead_task
from tests.factories import make_account, make_lead

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fit(name, field, operator, value, points):
    return {"kind": "fit", "name": name, "field": field, "operator": operator,
            "value": value, "points": points}


def engagement(name, event, points, half_life_days=None):
    return {"kind": "engagement", "name": name, "field": event, "operator": "exists",
            "value": True, "points": points, "half_life_days": half_life_days}


def make_rules(*rules, activate=True, **fields) -> RuleSet:
    """A rule set of just these rules (default cut-offs: fit A 50, B 30, C 15;
    engagement 1: 40, 2: 20, 3: 5; MQL fit >= B and engagement >= 2, or hot)."""
    last = RuleSet.objects.aggregate(last=Max("version"))["last"] or 0
    ruleset = RuleSet.objects.create(version=last + 1, **fields)
    Rule.objects.bulk_create([Rule(ruleset=ruleset, **rule) for rule in rules])
    if activate:
        ruleset.activate()
    return ruleset


@pytest.fixture
def now(db, time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def rich_lead(now):
    """A German VP on a free-mail address at a 250-person account."""
    account = make_account("Globex")
    account.employees = 250
    account.save()
    lead = make_lead(country="DE", email_free=True, title="VP Sales", account=account)
    Enrichment.objects.create(lead=lead, field="seniority", value="vp", provider="title", at=now)
    return lead


@pytest.mark.parametrize(("field", "operator", "value", "matches"), [
    ("lead.country", "eq", "de", True),
    ("lead.country", "eq", "FR", False),
    ("lead.country", "ne", "FR", True),
    ("lead.country", "in", ["US", "DE"], True),
    ("lead.country", "in", ["US", "GB"], False),
    ("lead.title", "contains", "sales", True),
    ("lead.title", "contains", "finance", False),
    ("account.employees", "gte", 200, True),
    ("account.employees", "gte", 251, False),
    ("account.employees", "lte", 250, True),
    ("account.employees", "lte", 100, False),
    ("lead.email_free", "eq", True, True),
    ("lead.phone", "exists", True, False),
    ("lead.phone", "exists", False, True),
    ("fact.seniority", "eq", "vp", True),
    ("fact.seniority", "in", ["c-level", "director"], False),
    ("fact.department", "exists", True, False),
    ("account.industry", "exists", True, False),
])
def test_it_applies_each_fit_operator(rich_lead, field, operator, value, matches):
    make_rules(fit("rule", field, operator, value, 10))
    score = score_lead(rich_lead)
    assert score is not None
    assert score.fit == (10 if matches else 0)


def test_it_halves_engagement_points_after_one_half_life(time_machine, now):
    make_rules(engagement("Form fill", "form:any", 10), half_life_days=30)
    lead = make_lead()  # with a form inquiry received now
    assert score_lead(lead).engagement == pytest.approx(10)
    time_machine.move_to(T0 + timedelta(days=30), tick=False)
    assert score_lead(lead).engagement == pytest.approx(5)
    time_machine.move_to(T0 + timedelta(days=60), tick=False)
    assert score_lead(lead).engagement == pytest.approx(2.5)


def test_it_decays_with_the_rules_own_half_life_when_set(time_machine, now):
    make_rules(engagement("Call connected", "touch:call:connected", 16, half_life_days=10))
    lead = make_lead()
    Touch.objects.create(lead=lead, channel="call", disposition="connected", at=now)
    Touch.objects.create(lead=lead, channel="call", disposition="no_answer", at=now)
    time_machine.move_to(T0 + timedelta(days=20), tick=False)
    assert score_lead(lead).engagement == pytest.approx(4)


@pytest.mark.parametrize(("fit_points", "engagement_points", "grade"), [
    (50, 40, "A1"), (49, 39.9, "B2"), (30, 20, "B2"), (29, 19.9, "C3"),
    (15, 5, "C3"), (14, 4.9, "D4"), (-20, 0, "D4"), (80, 0, "A4"), (0, 100, "D1"),
])
def test_it_grades_on_the_fit_by_engagement_matrix(db, fit_points, engagement_points, grade):
    assert make_rules(activate=False).grade(fit_points, engagement_points) == grade


def test_it_records_the_reasons_of_a_score(time_machine, rich_lead, now):
    make_rules(fit("Target country", "lead.country", "in", ["DE"], 10),
               fit("Free mail", "lead.email_free", "eq", True, -20),
               fit("C-level", "fact.seniority", "eq", "c-level", 30),
               engagement("Hot inquiry", "inquiry:hot", 30))
    Inquiry.objects.create(lead=rich_lead, channel="api", is_hot=True, received_at=now)
    time_machine.move_to(T0 + timedelta(days=30), tick=False)
    score = score_lead(rich_lead)
    assert score.reasons == [
        {"rule": "Target country", "kind": "fit", "points": 10, "at": None},
        {"rule": "Free mail", "kind": "fit", "points": -20, "at": None},
        {"rule": "Hot inquiry", "kind": "engagement", "points": 15.0, "base": 30,
         "at": now.isoformat()},
    ]
    assert (score.fit, score.grade) == (-10, "D3")
    assert score.computed_at == T0 + timedelta(days=30)


def test_it_moves_a_qualifying_inquiry_to_mql_with_the_reason(rich_lead):
    ruleset = make_rules(fit("Target country", "lead.country", "eq", "DE", 30),
                         engagement("Form fill", "form:any", 20), mql_hot=False)
    score = score_lead(rich_lead)
    assert score.grade == "B2"
    assert rich_lead.stage == "mql"
    change = rich_lead.history().last()
    assert (change.from_stage, change.to_stage, change.by) == ("inquiry", "mql", None)
    assert change.reason.startswith(f"MQL rule v{ruleset.version}: fit B, engagement 2")


def test_it_moves_an_inquiry_with_a_hot_request_to_mql(now):
    make_rules(engagement("Hot", "inquiry:hot", 1))
    lead = make_lead()
    Inquiry.objects.create(lead=lead, channel="form", is_hot=True)
    score_lead(lead)
    assert Lead.objects.get(pk=lead.pk).stage == "mql"
    assert "hot inquiry" in lead.history().last().reason


def test_it_leaves_a_lead_below_the_mql_rule_at_inquiry(rich_lead):
    make_rules(fit("Target country", "lead.country", "eq", "DE", 30), mql_hot=False)
    assert score_lead(rich_lead).grade == "B4"
    assert Lead.objects.get(pk=rich_lead.pk).stage == "inquiry"


def test_it_never_moves_a_lead_in_working_to_mql(rich_lead):
    make_rules(fit("Target country", "lead.country", "eq", "DE", 60),
               engagement("Form fill", "form:any", 50))
    advance(rich_lead, "working", by=None)
    assert score_lead(rich_lead).grade == "A1"
    assert Lead.objects.get(pk=rich_lead.pk).stage == "working"
    assert not rich_lead.stage_changes.filter(to_stage="mql").exists()


def test_it_copies_the_rules_into_a_new_inactive_version(db):
    current = RuleSet.active_one()  # the default rules, from the data migration
    copy = RuleSet.new_version(note="more points for VPs")
    assert copy.version == current.version + 1
    assert not copy.active and RuleSet.active_one() == current
    assert copy.rules.count() == current.rules.count() > 0
    assert list(copy.rules.values_list("name", "field", "operator", "value", "points")) == list(
        current.rules.values_list("name", "field", "operator", "value", "points"))
    assert (copy.fit_b, copy.mql_min_fit) == (current.fit_b, current.mql_min_fit)


def test_it_keeps_one_active_version_and_the_old_ones(db):
    old = RuleSet.active_one()
    copy = RuleSet.new_version()
    copy.activate()
    assert list(RuleSet.objects.filter(active=True)) == [copy]
    assert RuleSet.objects.filter(pk=old.pk).exists()
    with pytest.raises(IntegrityError):
        RuleSet.objects.filter(pk=old.pk).update(active=True)


def test_it_previews_grade_changes_without_writing(now):
    make_rules()  # no rules: everyone is D4
    leads = [make_lead(country=country) for country in ("DE", "DE", "FR")]
    score_leads(Lead.objects.all())
    candidate = RuleSet.new_version()
    Rule.objects.create(ruleset=candidate, **fit("Germany", "lead.country", "eq", "DE", 50))
    before = list(LeadScore.objects.order_by("pk").values())
    result = preview(candidate)
    assert result == {"ruleset": candidate.version, "against": candidate.version - 1,
                      "leads": 3, "changed": 2, "changes": {"D4": {"A4": 2}},
                      "sampled_from": None}
    assert list(LeadScore.objects.order_by("pk").values()) == before
    assert not RuleSet.objects.get(pk=candidate.pk).active
    assert {lead.stage for lead in Lead.objects.filter(pk__in=[x.pk for x in leads])} == {
        "inquiry"}


def test_it_previews_an_even_sample_of_a_large_database(now):
    make_rules()
    for _ in range(12):
        make_lead(country="DE")
    candidate = RuleSet.new_version()
    Rule.objects.create(ruleset=candidate, **fit("Germany", "lead.country", "eq", "DE", 50))
    result = preview(candidate, sample=4)
    assert result["sampled_from"] == 12
    assert result["leads"] == result["changed"] == 4  # every third lead by id


def _varied_leads(now):
    account = make_account("Initech")
    account.employees = 1200
    account.save()
    leads = []
    for n in range(12):
        lead = make_lead(country=("US", "DE", "BR")[n % 3], email_free=n % 4 == 0,
                         account=account if n % 2 else None)
        Enrichment.objects.create(lead=lead, field="seniority", provider="title", at=now,
                                  value=("c-level", "vp", "director", "individual")[n % 4])
        if n % 3 == 0:
            Inquiry.objects.create(lead=lead, channel="api", is_hot=True,
                                   received_at=now - timedelta(days=n * 5))
        if n % 5 == 0:
            Touch.objects.create(lead=lead, channel="call", disposition="connected",
                                 at=now - timedelta(days=n))
            Touch.objects.create(lead=lead, channel="email", disposition="replied",
                                 at=now - timedelta(days=2 * n))
        leads.append(lead)
    return leads


def _snapshot():
    return {row["lead_id"]: row for row in LeadScore.objects.values(
        "lead_id", "fit", "engagement", "grade", "reasons", "ruleset_version", "computed_at")}


def test_it_scores_in_batches_exactly_as_one_by_one(now):
    leads = _varied_leads(now)  # scored by the default rules from the data migration
    assert score_leads([lead.pk for lead in leads]) == len(leads)
    batched = _snapshot()
    LeadScore.objects.all().delete()
    for lead in leads:
        score_lead(lead)
    assert _snapshot() == batched
    assert len({row["grade"] for row in batched.values()}) > 2


def test_it_scores_many_leads_in_a_few_queries(now, django_assert_max_num_queries):
    for lead in _varied_leads(now):
        advance(lead, "working", by=None)  # no MQL moves: scoring queries only
    # Rule set, two pages of ids (the second empty), five reads, the score upsert,
    # the changed ranks on leads and tasks and the grades' events (in a
    # savepoint here: two more).
    with django_assert_max_num_queries(15):
        assert score_leads(Lead.objects.all()) == 12


def test_it_registers_the_hourly_decay_rescore(db):
    assert JOBS[rescore_decay.module_path][0] == 3600


def test_it_rescores_leads_with_engagement_in_the_decay_task(time_machine, now):
    make_rules(engagement("Form fill", "form:any", 10), half_life_days=30)
    engaged, idle = make_lead(), make_lead()
    Inquiry.objects.filter(lead=idle).delete()
    score_leads([engaged.pk, idle.pk])
    time_machine.move_to(T0 + timedelta(days=30), tick=False)
    assert rescore_decay.call() == 1
    assert LeadScore.objects.get(lead=engaged).engagement == pytest.approx(5)
    assert LeadScore.objects.get(lead=idle).computed_at == T0


def test_it_scores_one_lead_in_the_task(now):
    make_rules(engagement("Form fill", "form:any", 10))
    lead = make_lead()
    assert score_lead_task.call(lead.pk) == "D3"
    assert score_lead_task.call(10**9) == ""
