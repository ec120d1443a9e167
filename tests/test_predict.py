"""The lead model on leads in the database: stored probabilities, refreshed
when a version is activated, explained on the lead page and in the API."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from leadgate.leads.models import Lead
from leadgate.scoring.models import LeadScore, ModelVersion
from leadgate.scoring.predict import explain, lead_model, score_with_model
from leadgate.scoring.rules import score_leads
from leadgate.scoring.tasks import score_open_leads_with_model
from tests.api_helpers import api_get, make_key
from tests.factories import make_outcome_history
from tests.test_model import generate_leads, write_csv

pytestmark = pytest.mark.django_db


def train(*args: str) -> None:
    call_command("model", "train", *args, stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def history():
    return make_outcome_history()


def open_leads():
    return Lead.objects.filter(stage="working")


def test_it_queues_a_refresh_of_open_leads_when_the_lead_model_is_trained(history):
    train("--name", "leads")
    queued = DBTaskResult.objects.filter(task_path=score_open_leads_with_model.module_path)
    assert queued.count() == 1


def test_it_stores_a_probability_for_every_open_lead(history):
    train("--name", "leads")
    open_count = Lead.objects.open().count()  # working, and accepted (with sales)
    assert score_open_leads_with_model.call() == open_count == 130
    scores = LeadScore.objects.all()
    version = ModelVersion.objects.get(name="leads")
    assert scores.count() == open_count
    assert all(0 < s.probability < 1 and s.model_version_id == version.pk for s in scores)
    assert not scores.filter(lead__stage="disqualified").exists()


def test_it_scores_the_likelier_segment_higher(history):
    train("--name", "leads")
    score_with_model()
    by_source = {lead.source.name: lead.score.probability
                 for lead in open_leads().select_related("source", "score")
                 if lead.title == "Head of Sales"}
    assert by_source["Webinar"] > by_source["Purchased list"]


def test_it_keeps_the_rule_score_when_the_model_scores(history):
    score_leads(open_leads())
    grades = dict(LeadScore.objects.values_list("lead_id", "grade"))
    train("--name", "leads")
    score_with_model()
    after = LeadScore.objects.filter(lead__in=open_leads())
    assert dict(after.values_list("lead_id", "grade")) == grades
    assert after.filter(probability__isnull=False).count() == len(grades)


def test_it_rescores_open_leads_with_the_version_activated(history):
    train("--name", "leads")
    train("--name", "leads")
    first = ModelVersion.objects.get(name="leads", version=1)
    first.activate()
    score_open_leads_with_model.call()
    assert set(LeadScore.objects.values_list("model_version", flat=True)) == {first.pk}


def test_it_does_not_score_leads_with_a_model_trained_on_a_csv(tmp_path):
    path = write_csv(tmp_path / "crm.csv", generate_leads(), ";")
    train("--csv", str(path), "--target", "outcome", "--name", "leads")
    assert lead_model() is None
    assert score_with_model() == 0


def test_it_explains_a_lead_score_by_its_features(history):
    train("--name", "leads")
    lead = open_leads().first()
    reasons = explain(lead)
    assert 1 <= len(reasons) <= 3
    assert {"feature", "value", "direction"} <= set(reasons[0])


def test_it_shows_the_scores_and_reasons_on_the_lead_page(history, client, mia):
    train("--name", "leads")
    lead = open_leads().first()
    score_leads([lead.pk])
    score_with_model([lead.pk])
    client.force_login(mia)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    score = LeadScore.objects.get(lead=lead)
    assert 'id="grade"' in page and f">{score.grade}</span>" in page
    assert "leads v1" in page and 'id="probability"' in page
    assert explain(lead)[0]["feature"] in page


def test_it_gives_scores_and_reasons_in_the_api(history):
    train("--name", "leads")
    lead = open_leads().first()
    score_leads([lead.pk])
    score_with_model([lead.pk])
    body = api_get(make_key(), f"/leads/{lead.pk}").json()
    assert body["score"]["grade"] == LeadScore.objects.get(lead=lead).grade
    assert body["score"]["model"] == "leads v1 (active)"
    assert 0 < body["score"]["probability"] < 1 and body["score"]["model_reasons"]
    assert all({"rule", "kind", "points"} <= set(r) for r in body["score"]["reasons"])


def test_it_reads_a_leads_model_features_from_the_database():
    from datetime import UTC, datetime

    from leadgate.enrich.models import Enrichment
    from leadgate.scoring.database import lead_rows
    from tests.factories import make_account, make_campaign, make_lead

    account = make_account("Initech")
    account.industry, account.employees = "Software", 250
    account.save()
    campaign = make_campaign(name="Spring webinar")
    lead = make_lead(title="  VP Finance ", country="FR", email_free=True, account=account,
                     source=campaign.source, campaign=campaign)
    Lead.objects.filter(pk=lead.pk).update(created_at=datetime(2031, 3, 31, 23, 30, tzinfo=UTC))
    Enrichment.objects.create(lead=lead, field="seniority", value="vp", provider="title")
    Enrichment.objects.create(lead=lead, field="department", value="finance", provider="title")
    table, current = lead_rows([lead.pk])
    assert {name: values[0] for name, values in table.columns.items()} == {
        "lead_id": str(lead.pk), "source": campaign.source.name, "campaign": "Spring webinar",
        "country": "FR", "title": "VP Finance", "seniority": "vp", "department": "finance",
        "email_free": "yes", "email_role": "no", "industry": "Software", "employees": "250",
        "created": "2031-03-31",
    }
    assert current == {lead.pk: (lead.score_rank, None)}


def test_it_labels_training_rows_by_outcome_oldest_first(history):
    from leadgate.scoring.database import lead_table

    table = lead_table("accepted")
    created = table.columns["created"]
    assert created == sorted(created)
    by_stage = dict(zip(table.columns["lead_id"], table.columns["outcome"], strict=True))
    stages = dict(Lead.objects.values_list("pk", "stage"))
    for lead_id, label in by_stage.items():
        stage = stages[int(lead_id)]
        expected = ("yes" if stage in ("accepted", "opportunity", "won")
                    else "" if stage == "working" else None)
        if expected is not None:
            assert label == expected, (stage, label)
    assert {"yes", "no", ""} <= set(by_stage.values())
