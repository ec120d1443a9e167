"""Grouped figures over the summary table that more than one report needs."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, F, IntegerField, QuerySet
from django.db.models.functions import Cast

from .models import CycleFact

# Percentiles of durations are read from a histogram of hours: one grouped
# query, where an exact percentile would sort every row (SQLite has no
# percentile function). An hour is finer than any stage's velocity needs.
HOUR = 3600


def percentiles(facts: QuerySet[CycleFact], column: str,
                points: Sequence[float] = (0.5, 0.8)) -> list[float | None]:
    """The given percentiles of an integer column of seconds (rows where it
    is empty left out), to the hour, in seconds; None when no row has it."""
    hours = Cast(F(column) / HOUR, IntegerField())
    histogram = sorted(
        facts.filter(**{f"{column}__isnull": False}).annotate(hour=hours)
        .values("hour").annotate(n=Count("pk")).order_by().values_list("hour", "n"))
    total = sum(n for _hour, n in histogram)
    if not total:
        return [None] * len(points)
    found: list[float | None] = []
    for point in points:
        wanted, running = point * total, 0
        for hour, n in histogram:
            if running + n >= wanted:
                # Within the hour, as if its rows were spread evenly.
                found.append((hour + (wanted - running) / n) * HOUR)
                break
            running += n
    return found


def seconds_percentiles(facts: QuerySet[CycleFact], column: str,
                        points: Sequence[float] = (0.5, 0.8)) -> list[float | None]:
    """As `percentiles()`, to the second: for short durations (first response)."""
    histogram = sorted(
        facts.filter(**{f"{column}__isnull": False}).values(column)
        .annotate(n=Count("pk")).order_by().values_list(column, "n"))
    total = sum(n for _value, n in histogram)
    if not total:
        return [None] * len(points)
    found: list[float | None] = []
    for point in points:
        wanted, running = point * total, 0
        for value, n in histogram:
            running += n
            if running >= wanted:
                found.append(float(value))
                break
    return found
