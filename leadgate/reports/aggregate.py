"""Grouped figures over the summary table that more than one report needs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connections, transaction
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
    histogram = (facts.filter(**{f"{column}__isnull": False}).annotate(hour=hours)
                 .values("hour").annotate(n=Count("pk")).order_by().values_list("hour", "n"))
    return hour_percentiles(list(histogram), points)


@contextmanager
def more_work_mem(alias: str) -> Iterator[None]:
    """A transaction in which PostgreSQL's grouped queries may use 32 MB of
    work_mem (SET LOCAL: the transaction's end restores it); nothing else on
    SQLite. For a query with a few thousand groups that the planner cannot
    foresee: it estimates them from the rows, plans a sort of the period's
    rows and, at the default 4 MB, spills it to disk."""
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '32MB'")
        yield


def hour_histograms(facts: QuerySet[CycleFact],
                    columns: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Per column of seconds, (hour, rows) of the rows of `facts` where it is
    not empty, as `percentiles()` groups them, in one pass (a grouping set
    per column on PostgreSQL; on SQLite each row turned into one per column,
    an unpivot, grouped by column and hour). A query per column would read
    every row of the period once per column."""
    names = [f"h{i}" for i in range(len(columns))]
    inner = facts.annotate(**{name: Cast(F(column) / HOUR, IntegerField())
                              for name, column in zip(names, columns, strict=True)}
                           ).values(*names).order_by()
    inner_sql, params = inner.query.sql_with_params()
    connection = connections[facts.db]
    found: list[list[tuple[int, int]]] = [[] for _ in columns]
    if connection.vendor == "postgresql":
        # One grouping set per column: one scan, each row hashed into six
        # small tables. The planner cannot tell that a column has a few
        # thousand hours (it estimates groups by the rows), and at the default
        # 4 MB work_mem it sorts the period once per set; with more it hashes
        # them (measured a third faster than an unpivot, which is twice as
        # fast as a query per column).
        sets = ", ".join(f"({name})" for name in names)
        sql = (f"SELECT GROUPING({', '.join(names)}), {', '.join(names)}, COUNT(*) "  # noqa: S608 - the ORM's SQL
               f"FROM ({inner_sql}) f GROUP BY GROUPING SETS ({sets})")
        last = len(names) - 1
        with more_work_mem(facts.db), connection.cursor() as cursor:
            cursor.execute(sql, params)
            for grouping, *hours, n in cursor.fetchall():
                # The set's column is the one whose GROUPING bit is 0.
                k = next(i for i in range(len(names)) if not grouping >> (last - i) & 1)
                if hours[k] is not None:
                    found[k].append((hours[k], n))
        return found
    numbers = " UNION ALL ".join(f"SELECT {i} AS k" for i in range(len(columns)))
    which = " ".join(f"WHEN {i} THEN f.{name}" for i, name in enumerate(names))
    unpivot = (f"SELECT ks.k AS k, CASE ks.k {which} END AS h "  # noqa: S608 - the ORM's SQL
               f"FROM ({inner_sql}) f CROSS JOIN ({numbers}) ks")
    sql = f"SELECT k, h, COUNT(*) FROM ({unpivot}) u WHERE h IS NOT NULL GROUP BY k, h"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for k, hour, n in cursor.fetchall():
            found[k].append((hour, n))
    return found


def hour_percentiles(histogram: list[tuple[int, int]],
                     points: Sequence[float] = (0.5, 0.8)) -> list[float | None]:
    """The given percentiles, in seconds, of (hour, rows) pairs: within an
    hour as if its rows were spread evenly; None when there is no row."""
    histogram = sorted(histogram)
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
