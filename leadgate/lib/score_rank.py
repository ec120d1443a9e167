"""One sortable integer for a lead's score, so queues sort by an index.

Lower is better: the grade first (A1 = 0 ... D4 = 15, unscored = 16), then the
lead model's probability in whole percent, highest first. Whole percent, not
finer: a rank changes (and is rewritten on the lead and its open tasks) only
when the order it stands for changes noticeably.
"""

from __future__ import annotations

GRADES = [f"{fit}{level}" for fit in "ABCD" for level in "1234"]  # best first
UNSCORED = len(GRADES) * 100 + 99


def score_rank(grade: str | None, probability: float | None) -> int:
    grade_part = GRADES.index(grade) if grade in GRADES else len(GRADES)
    # No probability (no lead model) sorts like a probability of 0.
    percent = 0 if probability is None else min(99, max(0, int(probability * 100)))
    return grade_part * 100 + 99 - percent
