"""Model rows from the database: one row per lead, for training and for scoring.

Features: source, campaign, country, title, seniority and department (the
enrichment facts), free-mail and role-mailbox flags, the account's industry and
employees, and the creation date (so validation is time-ordered). Outcome, from
the stage history: positive when the lead ever reached the configured stage
(accepted by sales, or won; later stages count), negative when it ended
elsewhere (lost, disqualified, rejected, nurture) without reaching it. Open
leads have no outcome yet: left out of training, scored by the active model.
A few queries per batch of leads, whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from leadgate.enrich.models import Enrichment
from leadgate.leads.models import Lead, StageChange
from leadgate.scoring.model.tabular import Table
from leadgate.scoring.rules import among

OUTCOMES = {
    "accepted": ("accepted", "opportunity", "won"),
    "won": ("won",),
}
ENDED = ("lost", "disqualified", "rejected", "nurture")
FEATURES = ["source", "campaign", "country", "title", "seniority", "department",
            "email_free", "email_role", "industry", "employees", "created"]
COLUMNS = ["lead_id", *FEATURES, "outcome"]
FACTS = ("seniority", "department")
LEAD_VALUES = ("pk", "source__name", "campaign__name", "country", "title", "email_free",
               "email_role", "account__industry", "account__employees", "created_at", "stage")


def _row(values: tuple[Any, ...], facts: dict[str, str]) -> list[str]:
    (pk, source, campaign, country, title, free, role, industry, employees, created,
     _stage) = values
    return [
        str(pk), source or "", campaign or "", country or "", (title or "").strip(),
        facts.get("seniority", ""), facts.get("department", ""),
        "yes" if free else "no", "yes" if role else "no", industry or "",
        "" if employees is None else str(employees), created.date().isoformat(),
    ]


def _facts(ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for lead_id, name, value in Enrichment.objects.filter(
            field__in=FACTS, **among(ids, "lead_id")).values_list("lead_id", "field", "value"):
        found.setdefault(lead_id, {})[name] = "" if value is None else str(value)
    return found


def lead_rows(ids: list[int]) -> Table:
    """The feature rows of these leads (no outcome column), in the order of `ids`
    (leads that no longer exist are left out)."""
    by_id = {values[0]: values for values in Lead.objects.filter(
        **among(ids, "pk")).values_list(*LEAD_VALUES)}
    facts = _facts(ids)
    rows = [_row(by_id[i], facts.get(i, {})) for i in ids if i in by_id]
    return Table(COLUMNS[:-1], rows)


def _chunks(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def lead_table(outcome: str = "accepted") -> Table:
    """Every lead with its outcome ("" while open), oldest first: training data."""
    reached = OUTCOMES[outcome]
    positive_ids = set(
        StageChange.objects.filter(to_stage__in=reached).values_list("lead_id", flat=True))
    rows = []
    leads = Lead.objects.values_list(*LEAD_VALUES).order_by("created_at", "pk")
    for chunk in _chunks(leads.iterator(chunk_size=10_000), 10_000):
        facts = _facts([values[0] for values in chunk])
        for values in chunk:
            pk, stage = values[0], values[-1]
            if pk in positive_ids or stage in reached:
                label = "yes"
            elif stage in ENDED:
                label = "no"
            else:
                label = ""  # still open: no outcome yet
            rows.append(_row(values, facts.get(pk, {})) + [label])
    return Table(COLUMNS, rows)
