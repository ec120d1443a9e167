"""Every column of a real CRM export: high-cardinality categories, free text,
dates, identifiers; the leakage guard; the baselines kept when they win; what
each column became. On a generated B2B export (`tests.b2b_data`)."""

import csv
from datetime import datetime
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from sklearn.dummy import DummyClassifier

from leadgate.scoring.model import baselines, leakage, pipeline, tabular
from leadgate.scoring.models import ModelVersion
from leadgate.scoring.reasons import in_words
from tests.b2b_data import generate_b2b, write_b2b
from tests.test_model import generate_leads, write_csv


def prepared(rows, tmp_path: Path, drop=()):
    table = tabular.read_csv(write_csv(tmp_path / "export.csv", rows))
    keep, y, _ = tabular.target_labels(table.column("outcome"), "converted" if
                                       rows[0]["outcome"] in ("converted", "open") else None)
    spec = tabular.infer_spec(table, target="outcome", id_column="lead_id", drop=drop)
    return spec, tabular.encode(spec, table.take(keep.tolist())), y


def held_out_auc(spec, X, y, kind="logistic"):
    """5-fold: one held-out fifth of 4,000 rows is too noisy to compare columns."""
    return pipeline.validate(lambda: pipeline.make_candidate(
        kind, tabular.categorical_mask(spec), len(y), tabular.target_mask(spec)), X, y,
        pipeline.kfold_splits(y))["auc"]


@pytest.fixture(scope="module")
def b2b():
    return generate_b2b(4000)


def test_it_keeps_a_high_cardinality_landing_page_and_scores_better_with_it(b2b, tmp_path):
    spec, X, y = prepared(b2b, tmp_path)
    without = prepared(b2b, tmp_path, drop=["landing_page"])
    assert spec["columns"]["landing_page"]["kind"] == "high_cardinality"
    assert held_out_auc(spec, X, y) > held_out_auc(*without) + 0.04


def test_it_scores_landing_pages_and_cities_never_seen_in_training(b2b, tmp_path):
    spec, X, y = prepared(b2b, tmp_path)
    trained = pipeline.train(X, y, tabular.categorical_mask(spec), candidates=("logistic", "hgb"),
                             target_mask=tabular.target_mask(spec), compare_baselines=False)
    new = [dict(row, landing_page=f"/new/page-{i}", city=f"Nowhere {i}") for i, row in
           enumerate(generate_b2b(20, seed=5))]
    table = tabular.Table.from_columns({k: [r[k] for r in new] for k in new[0]}, len(new))
    scores = pipeline.predict(trained.artifact, tabular.encode(spec, table))
    assert np.isfinite(scores).all() and ((scores > 0) & (scores < 1)).all()


def test_it_reads_the_words_of_a_free_text_answer_and_scores_better_with_them(b2b, tmp_path):
    spec, X, y = prepared(b2b, tmp_path)
    without = prepared(b2b, tmp_path, drop=["what_matters"])
    terms = {f["term"] for f in spec["features"] if f["kind"] == "term"}
    assert spec["columns"]["what_matters"]["kind"] == "text"
    assert {"budget", "approved", "student", "browsing", "demo"} <= terms
    assert held_out_auc(spec, X, y) > held_out_auc(*without) + 0.01


def test_it_leaves_out_an_email_column_as_an_identifier(b2b, tmp_path):
    spec, _, _ = prepared(b2b, tmp_path)
    became = {b["column"]: b for b in spec["became"]}
    assert became["email"]["kind"] == "identifier"
    assert not [f for f in spec["features"] if f["column"] == "email"]


def test_it_warns_about_a_column_that_alone_predicts_the_outcome(b2b, tmp_path):
    rows = [dict(row, stage_note="closed won" if row["outcome"] == "converted" else
                 f"nurture {i % 7}") for i, row in enumerate(b2b)]
    spec, X, y = prepared(rows, tmp_path)
    found = leakage.warnings(spec, X, y)
    assert [w["column"] for w in found] == ["stage_note"]
    assert found[0]["single_auc"] > 0.95


def test_it_warns_about_a_column_filled_mostly_for_one_outcome(b2b, tmp_path):
    rows = [dict(row, deal_amount=str(1000 + i) if row["outcome"] == "converted" and i % 4
                 else "") for i, row in enumerate(b2b)]
    spec, X, y = prepared(rows, tmp_path)
    found = {w["column"]: w for w in leakage.warnings(spec, X, y)}
    assert found["deal_amount"]["filled_negative"] == 0
    assert "filled for 7" in found["deal_amount"]["reason"]


def test_it_does_not_warn_about_the_columns_of_an_honest_export(b2b, tmp_path):
    assert leakage.warnings(*prepared(b2b, tmp_path)) == []


def test_it_keeps_the_better_baseline_when_no_candidate_beats_it(monkeypatch):
    real = pipeline.make_candidate

    def candidate(kind, *args):  # a candidate that learns nothing: always the base rate
        return DummyClassifier(strategy="prior") if kind == "hgb" else real(kind, *args)

    monkeypatch.setattr(pipeline, "make_candidate", candidate)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 2))
    y = (X[:, 0] + rng.normal(size=600) > 1).astype(int)
    trained = pipeline.train(X, y, np.array([False, False]), candidates=("hgb",))
    m = trained.metrics
    assert m["chosen"] in baselines.BASELINES and not m["beats_baselines"]
    assert "no candidate beat the" in m["note"]
    assert m["auc"] == max(m["candidates"][k]["auc"] for k in m["candidates"])


@pytest.mark.parametrize("data", ["b2b", "segments"])
def test_it_chooses_a_model_never_worse_than_the_better_baseline(b2b, tmp_path, data):
    rows = b2b if data == "b2b" else generate_leads(600)
    spec, X, y = prepared(rows, tmp_path)
    m = pipeline.train(X, y, tabular.categorical_mask(spec), validation="time",
                       target_mask=tabular.target_mask(spec)).metrics
    assert m["auc"] >= max(m["candidates"][k]["auc"] for k in baselines.BASELINES)


def test_it_scores_the_b2b_export_above_one_hot_logistic_and_the_goal(b2b, tmp_path):
    spec, X, y = prepared(b2b, tmp_path)
    m = pipeline.train(X, y, tabular.categorical_mask(spec),
                       target_mask=tabular.target_mask(spec)).metrics
    assert m["validation"] == "5-fold" and m["auc"] >= 0.72
    assert m["auc"] > m["candidates"]["plain_logistic"]["auc"] + 0.01


@pytest.mark.parametrize("kind", ["logistic", "hgb"])
def test_it_gives_reasons_for_target_encoded_and_text_features(b2b, tmp_path, kind):
    spec, X, y = prepared(b2b[:1500], tmp_path)
    trained = pipeline.train(X, y, tabular.categorical_mask(spec), candidates=(kind,),
                             target_mask=tabular.target_mask(spec), compare_baselines=False)
    why = pipeline.reasons(trained.artifact, spec, X[:5], top=len(spec["features"]))
    named = {r["feature"] for row in why for r in row}
    assert "landing_page" in named and any(name.startswith("what_matters") for name in named)


def test_it_scores_and_explains_with_a_model_stored_before_the_new_column_kinds(tmp_path):
    spec, X, y = prepared(generate_leads(), tmp_path)
    trained = pipeline.train(X, y, tabular.categorical_mask(spec), candidates=("logistic",),
                             compare_baselines=False)
    old = {k: v for k, v in trained.artifact.items() if k not in ("format", "target_mask")}
    assert len(pipeline.predict(old, X)) == len(y)
    assert len(pipeline.reasons(old, spec, X[:1])[0]) == 3


def test_it_counts_the_age_of_a_date_to_the_scoring_time():
    table = tabular.Table.from_columns({"first_contact": ["2031-03-01", "", "2031-03-11"]}, 3)
    feature = {"name": "first_contact_age_days", "column": "first_contact", "kind": "numeric",
               "part": "age", "format": "%Y-%m-%d", "reference": "2031-03-11T00:00:00"}
    spec = {"features": [feature], "missing_markers": [""]}
    assert tabular.encode(spec, table)[:, 0].tolist()[::2] == [10.0, 0.0]
    later = tabular.encode(spec, table, now=datetime(2031, 3, 21))[:, 0]
    assert later[0] == 20.0 and np.isnan(later[1])


def test_it_says_a_text_feature_as_a_mention():
    feature = {"name": "notes[budget]", "column": "notes", "kind": "term", "term": "budget"}
    assert in_words(feature, "yes", "Budget is approved") == "notes mention 'budget'"
    assert in_words(feature, "no", "") == "notes do not mention 'budget'"


def test_it_says_a_high_cardinality_value_with_its_column():
    feature = {"name": "landing_page", "column": "landing_page", "kind": "categorical",
               "encoding": "target", "vocab": ["/pricing", tabular.OTHER]}
    assert in_words(feature, "/pricing", "/Pricing") == "landing page /Pricing"


@pytest.mark.django_db
def test_it_prints_and_stores_what_each_column_became(tmp_path):
    path = write_b2b(tmp_path / "export.csv", 1500)
    out = StringIO()
    call_command("model", "train", "--csv", str(path), "--target", "outcome", "--positive",
                 "converted", "--id", "lead_id", "--name", "b2b", stdout=out, stderr=StringIO())
    became = ModelVersion.objects.get(name="b2b").features["became"]
    with path.open() as handle:
        assert [b["column"] for b in became] == next(csv.reader(handle))
    kinds = {b["column"]: b["kind"] for b in became}
    assert kinds["landing_page"] == "high_cardinality" and kinds["what_matters"] == "text"
    assert "What each column became:" in out.getvalue()
    assert next(b for b in became if b["column"] == "landing_page")["became"] in out.getvalue()


@pytest.mark.django_db
def test_it_prints_the_leakage_warning_when_training(tmp_path):
    rows = [dict(row, stage_note="closed won" if row["outcome"] == "converted" else "nurture")
            for row in generate_b2b(1500)]
    path = write_csv(tmp_path / "export.csv", rows)
    out = StringIO()
    call_command("model", "train", "--csv", str(path), "--target", "outcome", "--positive",
                 "converted", "--name", "b2b", stdout=out, stderr=StringIO())
    assert "Leakage? 'stage_note' alone predicts the outcome" in out.getvalue()
    assert "--drop stage_note" in out.getvalue()


@pytest.mark.django_db
def test_it_prints_the_share_of_conversions_in_the_top_20_and_50_percent(tmp_path):
    path = write_b2b(tmp_path / "export.csv", 1500)
    args = ["--csv", str(path), "--target", "outcome", "--positive", "converted"]
    call_command("model", "train", *args, "--name", "b2b", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("model", "evaluate", "--model", "b2b", *args, stdout=out, stderr=StringIO())
    assert "conversions in the top 20%: " in out.getvalue()
    assert "in the top 50%: " in out.getvalue()
