"""Training rows from the database: one row per lead with a known outcome.

Features: source, campaign, country, title, free-mail and role-mailbox flags,
the account's industry and employees, and the creation date (so validation is
time-ordered). Outcome, from the stage history: positive when the lead ever
reached the configured stage (accepted by sales, or won; later stages count),
negative when it ended elsewhere (lost, disqualified, rejected, nurture) without
reaching it. Open leads have no outcome yet and are left out.
Two queries, whatever the number of leads.
"""

from __future__ import annotations

from leadgate.leads.models import Lead, StageChange
from leadgate.scoring.model.tabular import Table

OUTCOMES = {
    "accepted": ("accepted", "opportunity", "won"),
    "won": ("won",),
}
ENDED = ("lost", "disqualified", "rejected", "nurture")
COLUMNS = ["lead_id", "source", "campaign", "country", "title", "email_free", "email_role",
           "industry", "employees", "created", "outcome"]


def lead_table(outcome: str = "accepted") -> Table:
    reached = OUTCOMES[outcome]
    positive_ids = set(
        StageChange.objects.filter(to_stage__in=reached).values_list("lead_id", flat=True))
    rows = []
    for (pk, source, campaign, country, title, free, role, industry, employees, created,
         stage) in Lead.objects.values_list(
            "pk", "source__name", "campaign__name", "country", "title", "email_free",
            "email_role", "account__industry", "account__employees", "created_at", "stage"
    ).order_by("created_at", "pk").iterator(chunk_size=10_000):
        if pk in positive_ids or stage in reached:
            label = "yes"
        elif stage in ENDED:
            label = "no"
        else:
            label = ""  # still open: no outcome yet
        rows.append([
            str(pk), source or "", campaign or "", country or "", (title or "").strip(),
            "yes" if free else "no", "yes" if role else "no", industry or "",
            "" if employees is None else str(employees), created.date().isoformat(), label,
        ])
    return Table(COLUMNS, rows)
