"""The baselines the model must beat, on the same encoded matrix and folds.

- `FrequencyNaiveBayes`: the kind of "probability" Odoo CRM computes: for each
  field, the frequency of the lead's value among won leads and among lost
  leads (Laplace smoothing), multiplied over fields with the prior; numeric
  fields cut into quantile bins first, missing is a value of its own.
- `plain_logistic`: logistic regression on one-hot categories and scaled
  numbers, sklearn's defaults, no tuning.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

BASELINES = ("naive_bayes", "plain_logistic")


class FrequencyNaiveBayes(ClassifierMixin, BaseEstimator):
    def __init__(self, cat_mask: Any = None, bins: int = 10, alpha: float = 1.0):
        self.cat_mask = cat_mask
        self.bins = bins
        self.alpha = alpha

    def _codes(self, X: np.ndarray) -> np.ndarray:
        """Every cell as a small non-negative int: 0 is missing."""
        codes = np.zeros(X.shape, dtype=np.int64)
        for j in range(X.shape[1]):
            col = X[:, j]
            present = ~np.isnan(col)
            if self.cat_mask_[j]:
                codes[present, j] = col[present].astype(np.int64) + 1
            else:
                codes[present, j] = np.searchsorted(self.edges_[j], col[present], side="right") + 1
        return codes

    def fit(self, X: np.ndarray, y: np.ndarray) -> FrequencyNaiveBayes:
        n_features = X.shape[1]
        self.cat_mask_ = (np.zeros(n_features, dtype=bool) if self.cat_mask is None
                          else np.asarray(self.cat_mask, dtype=bool))
        self.edges_: list[np.ndarray] = []
        for j in range(n_features):
            col = X[:, j][~np.isnan(X[:, j])]
            if self.cat_mask_[j] or not len(col):
                self.edges_.append(np.array([]))
            else:
                qs = np.quantile(col, np.linspace(0, 1, self.bins + 1)[1:-1])
                self.edges_.append(np.unique(qs))
        codes = self._codes(X)
        self.classes_ = np.array([0, 1])
        y = np.asarray(y).astype(int)
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        self.prior_ = np.log((n_pos + self.alpha) / (n_neg + self.alpha))
        self.tables_ = []
        for j in range(n_features):
            size = int(codes[:, j].max()) + 2  # + one empty bucket for unseen values
            pos = np.bincount(codes[y == 1, j], minlength=size).astype(float)
            neg = np.bincount(codes[y == 0, j], minlength=size).astype(float)
            k = size
            log_ratio = (np.log((pos + self.alpha) / (n_pos + self.alpha * k))
                         - np.log((neg + self.alpha) / (n_neg + self.alpha * k)))
            self.tables_.append(log_ratio)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        codes = self._codes(X)
        logit = np.full(len(X), self.prior_)
        for j, table in enumerate(self.tables_):
            logit += table[np.minimum(codes[:, j], len(table) - 1)]
        p = 1 / (1 + np.exp(-np.clip(logit, -35, 35)))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def make_baseline(kind: str, cat_mask: np.ndarray) -> Any:
    if kind not in BASELINES:
        raise ValueError(f"unknown baseline {kind!r}")
    from .pipeline import make_candidate  # the pipeline imports this module

    return make_candidate(kind, cat_mask, 0)


def compare(X: np.ndarray, y: np.ndarray, cat_mask: np.ndarray, chosen: str,
            splits: list[tuple[np.ndarray, np.ndarray]],
            target_mask: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """The model's estimator and both baselines, validated on the same splits."""
    from .pipeline import make_candidate, validate

    makers: dict[str, Any] = {
        f"model ({chosen})": lambda: make_candidate(chosen, cat_mask, len(y), target_mask)}
    for kind in BASELINES:
        makers[kind] = lambda k=kind: make_baseline(k, cat_mask)
    result = {}
    for name, make in makers.items():
        started = time.monotonic()
        result[name] = validate(make, X, y, splits)
        result[name]["seconds"] = time.monotonic() - started
    return result
