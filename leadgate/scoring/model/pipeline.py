"""Candidate pipelines, selection by validation AUC, calibration, reasons.

Everything works on the float matrix of `tabular.encode` (categorical codes,
NaN for missing) plus the spec's categorical mask. The trained artifact is a
dict of plain sklearn objects and numpy arrays, pickled into the model
registry by `leadgate.scoring.models`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import metrics
from .tabular import decode_value

MIN_ROWS, MIN_POSITIVES, MIN_NEGATIVES = 50, 10, 10
CANDIDATES = ("logistic", "hgb")


class TrainingError(ValueError):
    """Training refused; the message says why and what was found."""


def check_outcomes(y: np.ndarray, positive: str) -> None:
    rows, positives = len(y), int(y.sum())
    negatives = rows - positives
    if rows < MIN_ROWS or positives < MIN_POSITIVES or negatives < MIN_NEGATIVES:
        raise TrainingError(
            f"too few outcomes to train a model: found {rows} rows with an outcome, "
            f"{positives} positive ({positive!r}) and {negatives} negative; need at least "
            f"{MIN_ROWS} rows, {MIN_POSITIVES} positive and {MIN_NEGATIVES} negative"
        )


def linear_pipeline(cat_mask: np.ndarray, C: float = 0.3) -> Pipeline:
    """Imputed, scaled numbers and one-hot categories (missing is a category)."""
    numeric = np.flatnonzero(~cat_mask).tolist()
    categorical = np.flatnonzero(cat_mask).tolist()
    pre = ColumnTransformer([
        ("num", Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
            ("scale", StandardScaler()),
        ]), numeric),
        ("cat", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=-1,
                                     keep_empty_features=True)),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]), categorical),
    ])
    return Pipeline([("pre", pre), ("lr", LogisticRegression(C=C, max_iter=2000))])


def hgb_model(cat_mask: np.ndarray, n_rows: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=250 if n_rows >= 5000 else 100, max_leaf_nodes=15,
        min_samples_leaf=40 if n_rows >= 5000 else 10, l2_regularization=1.0,
        categorical_features=cat_mask if cat_mask.any() else None,
        early_stopping=False, random_state=0,
    )


def make_candidate(kind: str, cat_mask: np.ndarray, n_rows: int) -> Any:
    if kind == "logistic":
        return linear_pipeline(cat_mask)
    if kind == "hgb":
        return hgb_model(cat_mask, n_rows)
    raise ValueError(f"unknown candidate {kind!r}")


def kfold_splits(y: np.ndarray, folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    folds = max(2, min(folds, int(y.sum()), int(len(y) - y.sum())))
    return list(StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y))


def time_split(order: np.ndarray, test_share: float = 0.2) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train on the earliest rows, test on the latest `test_share` (order: row indexes
    from oldest to newest)."""
    cut = int(round(len(order) * (1 - test_share)))
    return [(order[:cut], order[cut:])]


def validate(make: Any, X: np.ndarray, y: np.ndarray,
             splits: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Mean AUC and log loss over the splits, for a fresh estimator per split."""
    aucs, losses = [], []
    for train, test in splits:
        model = make().fit(X[train], y[train])
        p = model.predict_proba(X[test])[:, 1]
        if len(set(y[test].tolist())) == 2:
            aucs.append(metrics.auc(y[test], p))
        losses.append(metrics.log_loss(y[test], p))
    return {"auc": float(np.mean(aucs)) if aucs else float("nan"),
            "log_loss": float(np.mean(losses))}


@dataclass
class Trained:
    artifact: dict[str, Any]
    metrics: dict[str, Any]
    candidates: dict[str, dict[str, float]] = field(default_factory=dict)


def time_order(dates: np.ndarray | None, n_rows: int) -> np.ndarray:
    """Row indexes oldest first: by date when given (missing dates first), else file order."""
    if dates is None:
        return np.arange(n_rows)
    return np.argsort(np.nan_to_num(dates, nan=-np.inf), kind="stable")


def train(X: np.ndarray, y: np.ndarray, cat_mask: np.ndarray, *, positive: str = "yes",
          validation: str = "kfold", dates: np.ndarray | None = None,
          candidates: tuple[str, ...] = CANDIDATES) -> Trained:
    """Pick the candidate with the best validation AUC, refit it on everything
    with calibrated probabilities."""
    check_outcomes(y, positive)
    if validation == "time":
        splits = time_split(time_order(dates, len(y)))
        test = splits[0][1]
        if len(set(y[test].tolist())) < 2 or len(set(y[splits[0][0]].tolist())) < 2:
            validation, splits = "kfold", kfold_splits(y)
    else:
        splits = kfold_splits(y)
    scores: dict[str, dict[str, float]] = {}
    for kind in candidates:
        started = time.monotonic()
        scores[kind] = validate(lambda k=kind: make_candidate(k, cat_mask, len(y)), X, y, splits)
        scores[kind]["seconds"] = round(time.monotonic() - started, 2)
    chosen = max(candidates, key=lambda k: scores[k]["auc"])
    method = "isotonic" if len(y) >= 1000 and y.sum() >= 100 else "sigmoid"
    started = time.monotonic()
    calibrated = CalibratedClassifierCV(make_candidate(chosen, cat_mask, len(y)), method=method,
                                        cv=StratifiedKFold(3, shuffle=True, random_state=0),
                                        ensemble=False).fit(X, y)
    fit_seconds = time.monotonic() - started
    baseline = np.array([
        _mode(X[:, j]) if cat_mask[j] else float(np.nanmedian(X[:, j])) if
        not np.isnan(X[:, j]).all() else np.nan for j in range(X.shape[1])
    ])
    artifact = {"kind": chosen, "model": calibrated, "cat_mask": cat_mask, "baseline": baseline}
    if chosen == "logistic":
        base = calibrated.calibrated_classifiers_[0].estimator
        artifact["center"] = np.asarray(base.named_steps["pre"].transform(X).mean(axis=0)).ravel()
    result_metrics = {
        "chosen": chosen,
        "validation": "time-ordered" if validation == "time" else f"{len(splits)}-fold",
        "auc": round(scores[chosen]["auc"], 4),
        "log_loss": round(scores[chosen]["log_loss"], 4),
        "candidates": {k: {m: round(v, 4) for m, v in s.items()} for k, s in scores.items()},
        "calibration": method,
        "fit_seconds": round(fit_seconds, 2),
    }
    return Trained(artifact=artifact, metrics=result_metrics, candidates=scores)


def _mode(column: np.ndarray) -> float:
    present = column[~np.isnan(column)]
    if not len(present):
        return np.nan
    values, counts = np.unique(present, return_counts=True)
    return float(values[np.argmax(counts)])


def predict(artifact: dict[str, Any], X: np.ndarray, batch_size: int = 100_000) -> np.ndarray:
    """Calibrated probability of the positive outcome, batch by batch."""
    model = artifact["model"]
    out = np.empty(len(X))
    for start in range(0, len(X), batch_size):
        out[start:start + batch_size] = model.predict_proba(X[start:start + batch_size])[:, 1]
    return out


def _linear_contributions(artifact: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """coefficient x (transformed value - training mean), summed per feature."""
    base = artifact["model"].calibrated_classifiers_[0].estimator
    pre: ColumnTransformer = base.named_steps["pre"]
    coef = base.named_steps["lr"].coef_[0]
    Z = pre.transform(X)
    Z = Z.toarray() if hasattr(Z, "toarray") else np.asarray(Z)
    terms = (Z - artifact["center"]) * coef
    cat_mask = artifact["cat_mask"]
    numeric = np.flatnonzero(~cat_mask)
    categorical = np.flatnonzero(cat_mask)
    owner: list[int] = [int(j) for j in numeric]  # scaled numbers, one column each
    num_pipe = pre.named_transformers_["num"]
    # Without numeric columns the numeric branch is never fitted: no indicator.
    imputer = num_pipe.named_steps["impute"]
    indicator = getattr(imputer, "indicator_", None) if len(numeric) else None
    if indicator is not None:
        owner += [int(numeric[i]) for i in indicator.features_]
    onehot = pre.named_transformers_["cat"].named_steps["onehot"]
    for j, cats in zip(categorical, onehot.categories_, strict=True):
        owner += [int(j)] * len(cats)
    contributions = np.zeros((len(X), X.shape[1]))
    for col, feature in enumerate(owner):
        contributions[:, feature] += terms[:, col]
    return contributions


def _perturbation_contributions(artifact: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Predicted probability minus the probability with the feature set to its
    baseline (median or most common value): cheap, model-agnostic."""
    base = artifact["model"].calibrated_classifiers_[0].estimator
    n, k = X.shape
    stacked = np.repeat(X, k, axis=0)
    for j in range(k):
        stacked[j::k, j] = artifact["baseline"][j]
    p = base.predict_proba(X)[:, 1]
    p_base = base.predict_proba(stacked)[:, 1].reshape(n, k)
    return p[:, None] - p_base


def reasons(artifact: dict[str, Any], spec: dict[str, Any], X: np.ndarray,
            top: int = 3) -> list[list[dict[str, str]]]:
    """Per row, the `top` features that moved the score most: feature, value, direction."""
    if artifact["kind"] == "logistic":
        contributions = _linear_contributions(artifact, X)
    else:
        contributions = _perturbation_contributions(artifact, X)
    features = spec["features"]
    result = []
    for i in range(len(X)):
        order = np.argsort(-np.abs(contributions[i]))[:top]
        result.append([
            {"feature": features[j]["name"], "value": decode_value(features[j], float(X[i, j])),
             "direction": "+" if contributions[i, j] > 0 else "-",
             "weight": f"{contributions[i, j]:+.4f}"}
            for j in order if contributions[i, j] != 0
        ])
    return result
