"""Predictive scoring: type inference, training, registry, baselines, reasons.

The data is generated here: the odds of a positive outcome depend on the
segment and on the number of visits; `visits_web` and `visits_app` are noisy
copies of the visits (naive Bayes counts that evidence three times)."""

import csv
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from leadgate.scoring.model import baselines, pipeline, tabular
from leadgate.scoring.models import ModelVersion

SEGMENT_EFFECT = {"enterprise": 1.6, "mid-market": 0.6, "smb": -0.6, "consumer": -1.6}


def generate_leads(n: int = 400, seed: int = 7) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        segment = str(rng.choice(list(SEGMENT_EFFECT)))
        visits = int(rng.poisson(4))
        logit = -1.0 + SEGMENT_EFFECT[segment] + 0.5 * (visits - 4)
        won = rng.random() < 1 / (1 + math.exp(-logit))
        rows.append({
            "lead_id": f"L{1000 + i}",
            "segment": segment if rng.random() > 0.05 else "Select",
            "visits": str(visits) if rng.random() > 0.05 else "",
            "visits_web": str(visits + int(rng.integers(0, 2))),
            "visits_app": str(max(0, visits - int(rng.integers(0, 2)))),
            "newsletter": str(rng.choice(["yes", "no"])),
            "created": (date(2025, 1, 1) + timedelta(days=int(i * 0.9))).isoformat(),
            "notes": f"called {i} times about plan {rng.integers(0, 10**6)}",
            "outcome": "won" if won else "lost",
        })
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def prepared(rows: list[dict[str, str]], tmp_path: Path):
    table = tabular.read_csv(write_csv(tmp_path / "leads.csv", rows))
    keep, y, _ = tabular.target_labels(table.column("outcome"), None)
    spec = tabular.infer_spec(table, target="outcome", id_column="lead_id")
    return spec, tabular.encode(spec, table.take(keep.tolist())), y


def test_it_infers_numeric_categorical_boolean_date_and_text_columns(tmp_path):
    table = tabular.read_csv(write_csv(tmp_path / "leads.csv", generate_leads(200), ";"))
    spec = tabular.infer_spec(table, target="outcome", id_column="lead_id")
    kinds = {name: info["kind"] for name, info in spec["columns"].items()}
    assert kinds == {"segment": "categorical", "visits": "numeric", "visits_web": "numeric",
                     "visits_app": "numeric", "newsletter": "boolean", "created": "date",
                     "notes": "text"}
    assert [f["name"] for f in spec["features"] if f["column"] == "created"] == [
        "created_month", "created_dow", "created_age_days"]


def test_it_treats_missing_markers_as_missing():
    info = tabular.infer_column(["12", "Select", "n/a", "", "NULL", "7", "unknown"],
                                tabular.normalise_missing(None))
    assert info == {"kind": "numeric", "missing": 5}


def test_it_refuses_training_on_too_few_outcomes_saying_what_it_found():
    y = np.array([1] * 4 + [0] * 36)
    with pytest.raises(pipeline.TrainingError, match="found 40 rows with an outcome, 4 positive"):
        pipeline.train(np.zeros((40, 1)), y, np.array([False]))


def test_it_lists_the_values_seen_when_the_positive_value_is_unknown():
    with pytest.raises(tabular.DataError, match=r"Values seen: 'open' \(2\), 'closed' \(1\)"):
        tabular.target_labels(["open", "closed", "open"], None)


@pytest.mark.django_db
def test_it_creates_version_2_and_keeps_only_one_active(tmp_path):
    spec, X, y = prepared(generate_leads(), tmp_path)
    trained = pipeline.train(X, y, tabular.categorical_mask(spec), candidates=("logistic",))
    for _ in range(2):
        ModelVersion.register("demo", trained.artifact, target="outcome", positive="won",
                              features=spec, training={}, metrics=trained.metrics)
    assert list(ModelVersion.objects.values_list("version", "active")) == [(2, True), (1, False)]


def test_it_beats_the_naive_bayes_baseline_on_generated_data(tmp_path):
    spec, X, y = prepared(generate_leads(600), tmp_path)
    mask = tabular.categorical_mask(spec)
    results = baselines.compare(X, y, mask, "logistic", pipeline.kfold_splits(y))
    assert results["model (logistic)"]["auc"] > results["naive_bayes"]["auc"]


@pytest.mark.parametrize("candidate", ["logistic", "hgb"])
def test_it_returns_three_reasons_for_a_row(tmp_path, candidate):
    spec, X, y = prepared(generate_leads(), tmp_path)
    trained = pipeline.train(X, y, tabular.categorical_mask(spec), candidates=(candidate,),
                             compare_baselines=False)
    why = pipeline.reasons(trained.artifact, spec, X[:1])
    assert len(why[0]) == 3
    assert {r["direction"] for r in why[0]} <= {"+", "-"}
    assert all(r["feature"] in {f["name"] for f in spec["features"]} for r in why[0])
