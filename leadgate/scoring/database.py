"""Model rows from the database: one row per lead, for training and for scoring.

Features: source, campaign, country, title, seniority and department (the
enrichment facts), free-mail and role-mailbox flags, the account's industry and
employees, and the creation date (so validation is time-ordered). Outcome, from
the stage history: positive when the lead ever reached the configured stage
(accepted by sales, or won; later stages count), negative when it ended
elsewhere (lost, disqualified, rejected, nurture) without reaching it. Open
leads have no outcome yet: left out of training, scored by the active model.
One query per batch of leads, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from leadgate.enrich.models import Enrichment
from leadgate.leads.models import Lead, StageChange
from leadgate.lib.vendor import vendor
from leadgate.scoring.model.tabular import Table
from leadgate.scoring.models import LeadScore
from leadgate.scoring.rules import is_dense

OUTCOMES = {
    "accepted": ("accepted", "opportunity", "won"),
    "won": ("won",),
}
ENDED = ("lost", "disqualified", "rejected", "nurture")
FEATURES = ["source", "campaign", "country", "title", "seniority", "department",
            "email_free", "email_role", "industry", "employees", "created"]
COLUMNS = ["lead_id", *FEATURES, "outcome"]
# What `_select` reads after the features: for the outcome, and for scoring
# (the current rank and grade: whether the new probability changes the rank).
STAGE, RANK, GRADE = len(FEATURES) + 1, len(FEATURES) + 2, len(FEATURES) + 3
# Leads per query when reading them all (an IN list: below every database's
# limit on parameters).
CHUNK = 5_000


def _sql(where: str) -> str:
    """One raw query for a lead's features, stage, rank and grade.

    Raw SQL because this reads every open lead on a rescoring: the ORM's
    converters (aware datetimes, JSON values) were a third of the time. The
    enrichment facts are JSON strings and the creation day is cut from the
    stored UTC time, each spelled in the database's own dialect."""
    quote = connection.ops.quote_name

    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    def related(name: str) -> str:
        return table(Lead._meta.get_field(name).related_model)

    if vendor() == "sqlite":
        def fact(alias: str) -> str:
            return f"json_extract({alias}.value, '$')"
        created = "substr(l.created_at, 1, 10)"  # stored as 'YYYY-MM-DD HH:MM:SS' UTC
    else:  # PostgreSQL
        def fact(alias: str) -> str:
            return f"{alias}.value #>> '{{}}'"
        created = "to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    enrichment = table(Enrichment)
    # S608: the names come from the models, quoted, the dialect's pieces from
    # above, and `where` from this module (its values are parameters).
    return (
        f"SELECT l.id, so.name, ca.name, l.country, l.title, "  # noqa: S608
        f"{fact('se')}, {fact('de')}, "
        f"l.email_free, l.email_role, ac.industry, ac.employees, {created}, l.stage, "
        f"l.score_rank, sc.grade FROM {table(Lead)} l "
        f"LEFT JOIN {related('source')} so ON so.id = l.source_id "
        f"LEFT JOIN {related('campaign')} ca ON ca.id = l.campaign_id "
        f"LEFT JOIN {related('account')} ac ON ac.id = l.account_id "
        f"LEFT JOIN {enrichment} se ON se.lead_id = l.id AND se.field = 'seniority' "
        f"LEFT JOIN {enrichment} de ON de.lead_id = l.id AND de.field = 'department' "
        f"LEFT JOIN {table(LeadScore)} sc ON sc.lead_id = l.id WHERE {where}"
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _title(value: Any) -> str:
    return (value or "").strip()


# How each selected column after the id becomes the model's raw text (a CSV cell).
CELLS: list[Callable[[Any], str]] = [_text, _text, _text, _title, _text, _text, _yes_no,
                                     _yes_no, _text, _text, _text]


def _table(rows: list[tuple[Any, ...]], labels: list[str] | None = None) -> Table:
    """The rows as a Table of text columns, converted column by column (each
    distinct value once: a batch holds few)."""
    selected = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    columns = {COLUMNS[0]: [str(pk) for pk in selected[0]]}
    for name, cell, values in zip(COLUMNS[1:], CELLS, selected[1:], strict=False):
        text = {value: cell(value) for value in set(values)}
        columns[name] = [text[value] for value in values]
    if labels is not None:
        columns[COLUMNS[-1]] = labels
    return Table.from_columns(columns, len(rows))


def _select(where: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(_sql(where), params)
        return cursor.fetchall()


def _rows(ids: list[int]) -> list[tuple[Any, ...]]:
    """These leads' rows, in the order of `ids` (leads gone are left out)."""
    if is_dense(ids):  # as rules.among(): the range's other leads are dropped below
        found = _select("l.id BETWEEN %s AND %s", [min(ids), max(ids)])
    else:
        found = _select(f"l.id IN ({', '.join(['%s'] * len(ids))})", list(ids))
    by_id = {row[0]: row for row in found}
    return [by_id[i] for i in ids if i in by_id]


def lead_rows(ids: list[int]) -> tuple[Table, dict[int, tuple[int, str | None]]]:
    """The feature rows of these leads (no outcome column), in the order of
    `ids`; and each one's current score rank and grade."""
    rows = _rows(ids)
    return _table(rows), {row[0]: (row[RANK], row[GRADE]) for row in rows}


def lead_table(outcome: str = "accepted") -> Table:
    """Every lead with its outcome ("" while open), oldest first: training data."""
    reached = OUTCOMES[outcome]
    positive_ids = set(
        StageChange.objects.filter(to_stage__in=reached).values_list("lead_id", flat=True))
    ordered = list(Lead.objects.order_by("created_at", "pk").values_list("pk", flat=True))
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ordered), CHUNK):
        rows += _rows(ordered[start:start + CHUNK])
    labels = []
    for values in rows:
        pk, stage = values[0], values[STAGE]
        if pk in positive_ids or stage in reached:
            labels.append("yes")
        elif stage in ENDED:
            labels.append("no")
        else:
            labels.append("")  # still open: no outcome yet
    return _table(rows, labels)
