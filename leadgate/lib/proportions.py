"""Conversion rates with their uncertainty, so that a small source or an arm of
a test is not ranked on noise.

    rate(12, 40)                 Rate(k=12, n=40, value=0.3, low=0.18, high=0.45)
    difference(30, 100, 12, 100) Difference(diff=0.18, low=.., high=.., p_value=..)
    chi_square([[30, 70], [12, 88], [20, 80]])  p-value of "all arms convert alike"
    sample_size(0.10, 0.15)      leads per arm to see that effect (80% power, 5%)

Wilson's interval for one rate (it behaves at 0 and at small n, where the
normal approximation gives negative rates); Newcombe's hybrid score interval
for the difference of two; the two-proportion z-test (pooled) for its p-value;
statsmodels and scipy underneath.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import chi2_contingency
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Rate:
    k: int
    n: int
    value: float | None  # None: no leads, no rate
    low: float | None
    high: float | None

    def overlaps(self, other: Rate) -> bool:
        """Whether the intervals overlap (then the two are not told apart)."""
        if None in (self.low, self.high, other.low, other.high):
            return True
        return not (self.high < other.low or other.high < self.low)  # type: ignore[operator]


@dataclass(frozen=True)
class Difference:
    diff: float | None  # first rate minus second
    low: float | None
    high: float | None
    p_value: float | None


def rate(k: int, n: int, confidence: float = CONFIDENCE) -> Rate:
    if n <= 0:
        return Rate(k, n, None, None, None)
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    return Rate(k, n, k / n, float(low), float(high))


def difference(k1: int, n1: int, k2: int, n2: int,
               confidence: float = CONFIDENCE) -> Difference:
    if n1 <= 0 or n2 <= 0:
        return Difference(None, None, None, None)
    diff = k1 / n1 - k2 / n2
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb",
                                           compare="diff", alpha=1 - confidence)
    if k1 + k2 in (0, n1 + n2):
        p_value = 1.0  # both all or nothing: no evidence of a difference
    else:
        _z, p = proportions_ztest([k1, k2], [n1, n2])
        p_value = float(p)
    return Difference(diff, float(low), float(high), p_value)


def chi_square(table: list[list[int]]) -> float | None:
    """The p-value that every row (arm) has the same split across columns;
    None when a column or row is all zeros (nothing to compare)."""
    if len(table) < 2 or any(sum(row) == 0 for row in table) or \
            any(sum(column) == 0 for column in zip(*table, strict=True)):
        return None
    return float(chi2_contingency(table).pvalue)


def sample_size(base: float, target: float, alpha: float = 0.05,
                power: float = 0.8) -> int | None:
    """Leads needed in each of two equal arms to detect a change of the rate
    from `base` to `target` (two-sided test); None when the two are equal."""
    if base == target or not (0 < base < 1) or not (0 < target < 1):
        return None
    effect = abs(proportion_effectsize(target, base))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power,
                                     alternative="two-sided")
    return math.ceil(float(n))
