"""The leakage guard: columns that know the outcome too well to be known before it.

Two signs, per column of the file (over all its features):
- its single-column AUC is implausibly high (> MAX_SINGLE_AUC): each feature
  cut in codes (categories as they are, numbers in quantile bins, missing as a
  code of its own), scored by the smoothed rate of the outcome of its code,
  out of fold (so an identifier-like column cannot vouch for itself);
- it is mostly filled for one outcome only (a close reason filled for lost
  leads, an amount for won ones): filled in at least MOSTLY of the rows of one
  outcome and at most RARELY of the other's.
`train` prints the warnings; `--drop COL` leaves such a column out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from . import metrics

MAX_SINGLE_AUC = 0.95
MOSTLY, RARELY = 0.5, 0.1
SAMPLE_ROWS = 200_000
BINS = 20


def _codes(column: np.ndarray, categorical: bool) -> np.ndarray:
    present = ~np.isnan(column)
    codes = np.zeros(len(column), dtype=np.int64)  # 0: missing
    if categorical:
        codes[present] = column[present].astype(np.int64) + 1
    elif present.any():
        edges = np.unique(np.quantile(column[present], np.linspace(0, 1, BINS + 1)[1:-1]))
        codes[present] = np.searchsorted(edges, column[present], side="right") + 1
    return codes


def single_auc(codes: np.ndarray, y: np.ndarray, folds: int = 5, prior: float = 10) -> float:
    """Out-of-fold AUC of the smoothed outcome rate of each code (at least 0.5:
    a column that ranks backwards knows as much)."""
    if len(set(y.tolist())) < 2:
        return 0.5
    score = np.zeros(len(y))
    base = y.mean()
    size = int(codes.max()) + 1
    folds = max(2, min(folds, int(y.sum()), int(len(y) - y.sum())))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(codes, y):
        positives = np.bincount(codes[train], weights=y[train], minlength=size)
        rows = np.bincount(codes[train], minlength=size)
        score[test] = ((positives + prior * base) / (rows + prior))[codes[test]]
    auc = metrics.auc(y, score)
    return max(auc, 1 - auc)


def warnings(spec: dict[str, Any], X: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """[{column, reason, single_auc | filled_positive, filled_negative}], per suspect column."""
    if len(y) > SAMPLE_ROWS:
        keep = np.random.default_rng(0).choice(len(y), SAMPLE_ROWS, replace=False)
        X, y = X[keep], y[keep]
    by_column: dict[str, list[int]] = {}
    for j, feature in enumerate(spec["features"]):
        by_column.setdefault(feature["column"], []).append(j)
    found = []
    for column, indexes in by_column.items():
        best = max(single_auc(_codes(X[:, j], spec["features"][j]["kind"] == "categorical"), y)
                   for j in indexes)
        if best > MAX_SINGLE_AUC:
            found.append({
                "column": column, "single_auc": round(best, 4),
                "reason": f"{column!r} alone predicts the outcome with AUC {best:.3f} "
                          f"(> {MAX_SINGLE_AUC}): is it known only after the outcome?"})
            continue
        filled = ~np.isnan(X[:, indexes[0]])  # a text's first feature: its word count
        on_positive, on_negative = filled[y == 1].mean(), filled[y == 0].mean()
        high, low = max(on_positive, on_negative), min(on_positive, on_negative)
        if high >= MOSTLY and low <= RARELY:
            which = "positive" if on_positive > on_negative else "negative"
            found.append({
                "column": column, "filled_positive": round(float(on_positive), 4),
                "filled_negative": round(float(on_negative), 4),
                "reason": f"{column!r} is filled for {on_positive:.0%} of positive rows but "
                          f"{on_negative:.0%} of negative ones (mostly for {which} outcomes "
                          f"only): is it written when the outcome is known?"})
    return found
