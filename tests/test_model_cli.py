"""The `leadgate model` CLI contract: train, score, evaluate."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leadgate.scoring.models import ModelVersion
from tests.factories import make_outcome_history
from tests.test_model import generate_leads, write_csv

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("model", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def history(tmp_path):
    return write_csv(tmp_path / "history.csv", generate_leads(), ";")


@pytest.fixture
def trained(history):
    run("train", "--csv", str(history), "--target", "outcome", "--id", "lead_id",
        "--name", "leads")
    return history


def test_it_trains_version_1_then_2_from_the_cli(history):
    for _ in range(2):
        output = run("train", "--csv", str(history), "--target", "outcome", "--name", "leads")
    assert "Trained leads v2 (active)" in output
    assert ModelVersion.objects.filter(name="leads", active=True).get().version == 2


def test_it_validates_on_the_latest_rows_when_a_date_column_exists(trained):
    metrics = ModelVersion.objects.get(name="leads").metrics
    assert metrics["validation"] == "time-ordered"


def test_it_refuses_an_unknown_positive_value_listing_the_values(history):
    with pytest.raises(CommandError, match=r"'converted' not found.*'lost' \(\d+\), 'won'"):
        run("train", "--csv", str(history), "--target", "outcome", "--positive", "converted",
            "--name", "leads")


def test_it_refuses_a_csv_with_too_few_outcomes(tmp_path):
    small = write_csv(tmp_path / "small.csv", generate_leads(30))
    with pytest.raises(CommandError, match="found 30 rows with an outcome"):
        run("train", "--csv", str(small), "--target", "outcome", "--name", "leads")


def test_it_scores_one_row_per_input_row_in_input_order(trained, tmp_path):
    rows = generate_leads(6, seed=99)
    for row in rows:
        del row["outcome"]
    rows[1]["segment"] = "a segment never seen"
    rows[2].update(visits="", visits_web="n/a", segment="", created="")
    rows[3]["lead_id"] = "L0"
    out = tmp_path / "scores.csv"
    run("score", "--model", "leads", "--csv", str(write_csv(tmp_path / "open.csv", rows)),
        "--out", str(out))
    with out.open() as handle:
        scored = list(csv.DictReader(handle))
    assert [r["lead_id"] for r in scored] == [r["lead_id"] for r in rows]
    assert all(0 <= float(r["score"]) <= 1 and len(r["score"].split(".")[1]) == 6
               for r in scored)


def test_it_evaluates_printing_auc_and_writing_the_chart(trained, tmp_path):
    chart = tmp_path / "chart.html"
    output = run("evaluate", "--model", "leads", "--csv", str(trained), "--target", "outcome",
                 "--chart", str(chart))
    assert "AUC 0." in output and "lift at top decile" in output
    assert "<svg" in chart.read_text()


def test_it_reports_both_baselines_when_asked(trained):
    output = run("evaluate", "--model", "leads", "--csv", str(trained), "--target", "outcome",
                 "--baselines")
    assert "naive_bayes" in output and "plain_logistic" in output


def test_it_refuses_to_train_from_an_empty_database():
    with pytest.raises(CommandError, match="found 0 rows with an outcome"):
        run("train", "--name", "leads")


def test_it_trains_from_the_leads_that_have_an_outcome_in_the_database():
    make_outcome_history(open_stage="inquiry")
    output = run("train", "--name", "from-db")
    version = ModelVersion.objects.get(name="from-db")
    assert "Trained from-db v1" in output
    assert (version.training["rows"], version.training["rows_without_outcome"]) == (200, 30)
