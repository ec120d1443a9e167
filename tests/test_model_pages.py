"""The Scoring → Models pages: a manager reads a trained version (training
data, metrics, columns), activates or deactivates it, and trains a new
version from the database as a background job."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from leadgate.scoring.models import ModelTraining, ModelVersion
from leadgate.scoring.tasks import train_lead_model
from tests.factories import make_outcome_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(db):
    make_outcome_history()
    call_command("model", "train", "--name", "leads", stdout=StringIO())
    return ModelVersion.objects.get(name="leads", version=1)


def logged_in(client, user):
    client.force_login(user)
    return client


def test_it_lists_the_versions_with_rows_and_validation_auc(client, mia, trained):
    page = logged_in(client, mia).get(reverse("models")).content.decode()
    assert reverse("model", args=[trained.pk]) in page
    assert f"{trained.metrics['auc']:.3f}" in page
    assert "in force" in page and ">200<" in page


def test_it_shows_a_versions_columns_metrics_and_chart_data(client, mia, trained):
    page = logged_in(client, mia).get(reverse("model", args=[trained.pk])).content.decode()
    for became in trained.features["became"]:
        assert f"<td>{became['column']}</td>" in page
    assert f"{trained.metrics['auc']:.3f}" in page
    assert 'id="calibration-data"' in page and 'id="gains-data"' in page
    assert len(trained.metrics["curves"]["calibration"]) == 10


def test_it_deactivates_then_activates_a_version_for_a_manager(client, mia, trained):
    logged_in(client, mia).post(reverse("model-deactivate", args=[trained.pk]))
    assert ModelVersion.active_for("leads") is None
    client.post(reverse("model-activate", args=[trained.pk]))
    assert ModelVersion.active_for("leads") == trained


def test_it_refuses_the_pages_to_a_qualifier(client, alice, trained):
    logged_in(client, alice)
    assert client.get(reverse("models")).status_code == 403
    assert client.get(reverse("model", args=[trained.pk])).status_code == 403
    assert client.post(reverse("model-deactivate", args=[trained.pk])).status_code == 403
    assert client.post(reverse("model-train")).status_code == 403


def test_it_queues_a_training_that_makes_a_new_version_shown_on_the_page(client, mia):
    make_outcome_history()
    logged_in(client, mia).post(reverse("model-train"), {"outcome": "accepted"})
    training = ModelTraining.objects.get()
    assert training.state == "queued"
    assert DBTaskResult.objects.filter(task_path__endswith="train_lead_model").count() == 1
    assert train_lead_model.call(training.pk) == "done"
    version = ModelVersion.objects.get(name="leads")
    page = client.get(reverse("models")).content.decode()
    assert reverse("model", args=[version.pk]) in page and "Trained leads v1." in page


def test_it_marks_a_training_failed_with_the_reason_when_no_lead_has_an_outcome(client, mia):
    logged_in(client, mia).post(reverse("model-train"))
    training = ModelTraining.objects.get()
    assert train_lead_model.call(training.pk) == "failed"
    page = client.get(reverse("model-trainings")).content.decode()
    assert "Too few outcomes to train a model" in page
    assert "hx-trigger" not in page  # nothing running: the list stops polling
