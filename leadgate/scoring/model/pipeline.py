"""Candidate pipelines, selection by validation AUC, calibration, reasons.

Everything works on the float matrix of `tabular.encode` (categorical codes,
NaN for missing) plus the spec's categorical mask and its mask of
high-cardinality categories (target-encoded out of fold for boosting, one-hot
for logistic). The two baselines (`baselines`) are validated on the same
splits as the candidates: when neither candidate beats the better baseline,
that baseline is kept as the model, and the metrics say so. Selection runs on
at most SELECTION_ROWS rows (an even sample); the chosen estimator is refit
on every row. The trained artifact is a dict of plain sklearn objects and
numpy arrays (`format` 2; a format-1 artifact, without a target mask, loads
and scores the same), pickled into the model registry by
`leadgate.scoring.models`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    StandardScaler,
    TargetEncoder,
)
from threadpoolctl import threadpool_limits

from . import metrics
from .baselines import BASELINES, FrequencyNaiveBayes
from .tabular import decode_value

MIN_ROWS, MIN_POSITIVES, MIN_NEGATIVES = 50, 10, 10
CANDIDATES = ("logistic", "hgb")
LINEAR = ("logistic", "plain_logistic")  # explained by their coefficients
SELECTION_ROWS = 200_000
ONE_THREAD_BELOW = 20_000  # rows: below, OpenMP threads cost more than they save
ARTIFACT_FORMAT = 2
SMOOTH = 20.0  # target encoding: a value counts as SMOOTH rows at the overall rate, plus its own


class TrainingError(ValueError):
    """Training refused; the message says why and what was found."""


@contextmanager
def threads_for(n_rows: int) -> Iterator[None]:
    """Boosting on one thread for small data: its OpenMP threads wait on each
    other (a 400-row fit took 3 s on two busy cores, 0.2 s on one)."""
    if n_rows < ONE_THREAD_BELOW:
        with threadpool_limits(1, user_api="openmp"):
            yield
    else:
        yield


def check_outcomes(y: np.ndarray, positive: str) -> None:
    rows, positives = len(y), int(y.sum())
    negatives = rows - positives
    if rows < MIN_ROWS or positives < MIN_POSITIVES or negatives < MIN_NEGATIVES:
        raise TrainingError(
            f"too few outcomes to train a model: found {rows} rows with an outcome, "
            f"{positives} positive ({positive!r}) and {negatives} negative; need at least "
            f"{MIN_ROWS} rows, {MIN_POSITIVES} positive and {MIN_NEGATIVES} negative"
        )


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def target_encoder() -> TargetEncoder:
    """The smoothed rate of the outcome per value (empirical Bayes shrinkage to
    the overall rate), out of fold while fitting; unseen values: the overall rate."""
    return TargetEncoder(target_type="binary", smooth=SMOOTH,
                         cv=StratifiedKFold(5, shuffle=True, random_state=0))


class QuantileBins(TransformerMixin, BaseEstimator):
    """Numbers also as one-hot quantile bins (sparse; missing: no bin), so a
    linear model can bend: a sweet spot of company size, an age band. Columns
    with fewer than `min_distinct` values (0/1 flags, counts of words) get none."""

    def __init__(self, bins: int = 8, min_distinct: int = 10):
        self.bins = bins
        self.min_distinct = min_distinct

    def fit(self, X: np.ndarray, y: Any = None) -> QuantileBins:
        self.edges_: list[np.ndarray] = []
        for j in range(X.shape[1]):
            column = X[:, j][~np.isnan(X[:, j])]
            if len(np.unique(column[:50_000])) < self.min_distinct:
                self.edges_.append(np.array([]))
                continue
            cuts = np.quantile(column, np.linspace(0, 1, self.bins + 1)[1:-1])
            self.edges_.append(np.unique(cuts))
        self.widths_ = [len(edges) + 1 if len(edges) else 0 for edges in self.edges_]
        return self

    def transform(self, X: np.ndarray) -> sparse.csr_matrix:
        rows, cols, offset = [], [], 0
        for j, edges in enumerate(self.edges_):
            if not len(edges):
                continue
            present = np.flatnonzero(~np.isnan(X[:, j]))
            rows.append(present)
            cols.append(offset + np.searchsorted(edges, X[present, j], side="right"))
            offset += len(edges) + 1
        if not rows:
            return sparse.csr_matrix((len(X), 0))
        r, c = np.concatenate(rows), np.concatenate(cols)
        return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(X), offset))


def linear_pipeline(cat_mask: np.ndarray, C: float = 0.3,
                    target_mask: np.ndarray | None = None, bins: bool = False) -> Pipeline:
    """Imputed, scaled numbers and one-hot categories (missing is a category);
    with `target_mask`, those categories as the log-odds of their target
    encoding instead, scaled; with `bins`, numbers also in quantile bins."""
    if target_mask is None:
        target_mask = np.zeros(len(cat_mask), dtype=bool)
    numeric = np.flatnonzero(~cat_mask).tolist()
    categorical = np.flatnonzero(cat_mask & ~target_mask).tolist()
    branches = [
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
    ]
    if target_mask.any():
        branches.append(("target", Pipeline([
            ("encode", target_encoder()),
            ("logit", FunctionTransformer(_logit)),
            ("scale", StandardScaler()),
        ]), np.flatnonzero(target_mask).tolist()))
    if bins and numeric:
        branches.append(("bins", QuantileBins(), numeric))
    return Pipeline([("pre", ColumnTransformer(branches)),
                     ("lr", LogisticRegression(C=C, max_iter=2000))])


def hgb_model(cat_mask: np.ndarray, n_rows: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=250 if n_rows >= 5000 else 100, max_leaf_nodes=15,
        min_samples_leaf=40 if n_rows >= 5000 else 10, l2_regularization=1.0,
        categorical_features=cat_mask if cat_mask.any() else None,
        early_stopping=False, random_state=0,
    )


def boosting(cat_mask: np.ndarray, n_rows: int, target_mask: np.ndarray | None = None) -> Any:
    """Gradient boosting; high-cardinality categories first target-encoded (the
    smoothed rate of the outcome per value, out of fold while fitting, so a
    value's own rows do not vouch for it; unseen values get the overall rate)."""
    if target_mask is None or not target_mask.any():
        return hgb_model(cat_mask, n_rows)
    encoded = np.flatnonzero(target_mask).tolist()
    rest = np.flatnonzero(~target_mask)
    out_mask = np.concatenate([np.zeros(len(encoded), dtype=bool), cat_mask[rest]])
    return Pipeline([
        ("encode", ColumnTransformer([("target", target_encoder(), encoded)],
                                     remainder="passthrough")),
        ("hgb", hgb_model(out_mask, n_rows)),
    ])


def make_candidate(kind: str, cat_mask: np.ndarray, n_rows: int,
                   target_mask: np.ndarray | None = None) -> Any:
    """A fresh estimator: a candidate ("logistic", "hgb") or a baseline."""
    if kind == "logistic":
        return linear_pipeline(cat_mask, target_mask=target_mask, bins=True)
    if kind == "hgb":
        return boosting(cat_mask, n_rows, target_mask)
    if kind == "naive_bayes":
        return FrequencyNaiveBayes(cat_mask=cat_mask)
    if kind == "plain_logistic":
        return linear_pipeline(cat_mask, C=1.0)
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
             splits: list[tuple[np.ndarray, np.ndarray]],
             held_out: list[tuple[np.ndarray, np.ndarray]] | None = None) -> dict[str, float]:
    """Mean AUC and log loss over the splits, for a fresh estimator per split;
    each split's (outcomes, predictions) appended to `held_out` when given."""
    aucs: list[float] = []
    losses: list[float] = []
    with threads_for(len(splits[0][0]) if splits else 0):
        for train, test in splits:
            _fit_score(make, X, y, train, test, aucs, losses, held_out)
    return {"auc": float(np.mean(aucs)) if aucs else float("nan"),
            "log_loss": float(np.mean(losses))}


def _fit_score(make: Any, X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
               aucs: list[float], losses: list[float],
               held_out: list[tuple[np.ndarray, np.ndarray]] | None = None) -> None:
    model = make().fit(X[train], y[train])
    p = model.predict_proba(X[test])[:, 1]
    if held_out is not None:
        held_out.append((y[test], p))
    if len(set(y[test].tolist())) == 2:
        aucs.append(metrics.auc(y[test], p))
    losses.append(metrics.log_loss(y[test], p))


@dataclass
class Trained:
    artifact: dict[str, Any]
    metrics: dict[str, Any]
    candidates: dict[str, dict[str, float]] = field(default_factory=dict)


def validation_curves(held_out: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """The chosen model's held-out predictions, as the models page charts them:
    lift at the top decile, the positives captured in the top 20% and 50%,
    ten calibration bins and the deciles (with the cumulative gains)."""
    if not held_out:
        return {}
    y = np.concatenate([outcomes for outcomes, _ in held_out])
    p = np.concatenate([predicted for _, predicted in held_out])
    if not len(y):
        return {}
    deciles = metrics.deciles(y, p)
    return {
        "rows": int(len(y)), "positives": int(y.sum()),
        "lift_top_decile": round(deciles[0]["lift"], 4),
        "top_20_share": round(metrics.captured(y, p, 0.2), 4),
        "top_50_share": round(metrics.captured(y, p, 0.5), 4),
        "calibration": [{"predicted": round(a, 4), "observed": round(b, 4), "rows": n}
                        for a, b, n in metrics.calibration(y, p)],
        "deciles": [{k: round(float(v), 4) if isinstance(v, float) else v
                     for k, v in row.items()} for row in deciles],
    }


def time_order(dates: np.ndarray | None, n_rows: int) -> np.ndarray:
    """Row indexes oldest first: by date when given (missing dates first), else file order."""
    if dates is None:
        return np.arange(n_rows)
    return np.argsort(np.nan_to_num(dates, nan=-np.inf), kind="stable")


def selection_splits(y: np.ndarray, validation: str, dates: np.ndarray | None
                     ) -> tuple[str, list[tuple[np.ndarray, np.ndarray]]]:
    """("time" or "kfold", splits as row indexes): the latest 20% by date (or file
    order) when asked and both outcomes occur on each side, else stratified
    5-fold; on an even sample of SELECTION_ROWS rows when there are more."""
    rows = np.arange(len(y))
    if len(y) > SELECTION_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(len(y), SELECTION_ROWS, replace=False))
    sub = y[rows]
    if validation == "time":
        splits = time_split(time_order(None if dates is None else dates[rows], len(rows)))
        train_rows, test_rows = splits[0]
        if len(set(sub[test_rows].tolist())) < 2 or len(set(sub[train_rows].tolist())) < 2:
            validation, splits = "kfold", kfold_splits(sub)
    else:
        splits = kfold_splits(sub)
    return validation, [(rows[a], rows[b]) for a, b in splits]


def train(X: np.ndarray, y: np.ndarray, cat_mask: np.ndarray, *, positive: str = "yes",
          validation: str = "kfold", dates: np.ndarray | None = None,
          candidates: tuple[str, ...] = CANDIDATES, target_mask: np.ndarray | None = None,
          compare_baselines: bool = True) -> Trained:
    """Pick the candidate with the best validation AUC, refit it on everything
    with calibrated probabilities. With `compare_baselines`, the baselines are
    validated on the same splits and the better one is kept instead when no
    candidate beats it."""
    check_outcomes(y, positive)
    with threads_for(min(len(y), SELECTION_ROWS)):
        return _train(X, y, cat_mask, validation, dates, candidates, target_mask,
                      compare_baselines)


def _train(X: np.ndarray, y: np.ndarray, cat_mask: np.ndarray, validation: str,
           dates: np.ndarray | None, candidates: tuple[str, ...],
           target_mask: np.ndarray | None, compare_baselines: bool) -> Trained:
    validation, splits = selection_splits(y, validation, dates)
    if target_mask is None:
        target_mask = np.zeros(X.shape[1], dtype=bool)
    tried = tuple(candidates) + (BASELINES if compare_baselines else ())
    scores: dict[str, dict[str, float]] = {}
    held_out: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for kind in tried:
        started = time.monotonic()
        held_out[kind] = []
        scores[kind] = validate(
            lambda k=kind: make_candidate(k, cat_mask, len(y), target_mask), X, y, splits,
            held_out[kind])
        scores[kind]["seconds"] = round(time.monotonic() - started, 2)

    def auc_of(kind: str) -> float:
        value = scores[kind]["auc"]
        return -1.0 if np.isnan(value) else value

    chosen = max(candidates, key=auc_of)
    note = ""
    if compare_baselines:
        better = max(BASELINES, key=auc_of)
        if auc_of(better) >= auc_of(chosen):
            note = (f"no candidate beat the {better} baseline on validation ({chosen} "
                    f"{scores[chosen]['auc']:.4f} <= {scores[better]['auc']:.4f}): "
                    f"the baseline is kept as the model")
            chosen = better
        else:
            note = (f"{chosen} beats both baselines on validation ("
                    + ", ".join(f"{k} {scores[k]['auc']:.4f}" for k in BASELINES) + ")")
    method = "isotonic" if len(y) >= 1000 and y.sum() >= 100 else "sigmoid"
    started = time.monotonic()
    calibrated = CalibratedClassifierCV(
        make_candidate(chosen, cat_mask, len(y), target_mask), method=method,
        cv=StratifiedKFold(3, shuffle=True, random_state=0), ensemble=False).fit(X, y)
    fit_seconds = time.monotonic() - started
    baseline = np.array([
        _mode(X[:, j]) if cat_mask[j] else float(np.nanmedian(X[:, j])) if
        not np.isnan(X[:, j]).all() else np.nan for j in range(X.shape[1])
    ])
    artifact = {"format": ARTIFACT_FORMAT, "kind": chosen, "model": calibrated,
                "cat_mask": cat_mask, "target_mask": target_mask, "baseline": baseline}
    if chosen in LINEAR:
        base = calibrated.calibrated_classifiers_[0].estimator
        artifact["center"] = np.asarray(base.named_steps["pre"].transform(X).mean(axis=0)).ravel()
    n_validated = len(splits[0][0]) + len(splits[0][1])
    result_metrics = {
        "chosen": chosen,
        "validation": "time-ordered" if validation == "time" else f"{len(splits)}-fold",
        "validation_rows": n_validated,
        "auc": round(scores[chosen]["auc"], 4),
        "log_loss": round(scores[chosen]["log_loss"], 4),
        "candidates": {k: {m: round(v, 4) for m, v in s.items()} for k, s in scores.items()},
        "beats_baselines": compare_baselines and chosen not in BASELINES,
        "note": note,
        "calibration": method,
        "fit_seconds": round(fit_seconds, 2),
        "curves": validation_curves(held_out[chosen]),
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
    with threads_for(len(X)):
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
    target = "target" in pre.named_transformers_  # format 1: no target branch
    target_mask = artifact["target_mask"] if target else np.zeros(len(cat_mask), dtype=bool)
    numeric = np.flatnonzero(~cat_mask)
    categorical = np.flatnonzero(cat_mask & ~target_mask)
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
    owner += [int(j) for j in np.flatnonzero(target_mask)]  # one log-odds column each
    if "bins" in pre.named_transformers_:
        for j, width in zip(numeric, pre.named_transformers_["bins"].widths_, strict=True):
            owner += [int(j)] * width
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
    if artifact["kind"] in LINEAR:
        contributions = _linear_contributions(artifact, X)
    else:
        with threads_for(len(X) * X.shape[1]):
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
