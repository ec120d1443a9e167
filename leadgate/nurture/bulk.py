"""Enrolling a list of leads at once: lead ids or email addresses, one per
line (a pasted column, or the first column of a CSV file). Each line gets its
answer: enrolled, already in a cadence, not found (or not visible to the
person enrolling), or refused with the reason (the lifecycle's or the
engine's, naming the field). A line that fails never stops the others.

Also the lead list's bulk action "Move to nurture" (workspace.bulk, which
sits below this stage: registered here, from NurtureConfig.ready)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db.models.functions import Lower

from leadgate.leads.lifecycle import IllegalMove, Role
from leadgate.leads.models import Lead, User
from leadgate.workspace import bulk as list_bulk

from . import engine
from .models import Cadence

MAX_LINES = 10_000


@dataclass(frozen=True)
class Line:
    number: int
    given: str
    outcome: str  # "enrolled", "already", "not found", "refused"
    detail: str = ""
    lead: Lead | None = None


def lines_of(text: str) -> list[str]:
    """The first cell of each non-empty line (CSV rules: a quoted email with
    a comma stays whole); a header cell such as "email" or "id" is dropped."""
    cells = [row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    if cells and cells[0].lower() in ("email", "id", "lead", "lead id", "lead_id"):
        cells = cells[1:]
    return cells


def enroll_many(cells: list[str], cadence: Cadence, *, by: User) -> list[Line]:
    """Enroll each lead named in `cells` in `cadence` as `by` (see the module)."""
    if len(cells) > MAX_LINES:
        raise ValueError(f"lines: at most {MAX_LINES:,} at once ({len(cells):,} given)")
    visible = Lead.objects.visible_to(by)
    by_id = visible.in_bulk([int(cell) for cell in cells if cell.isdigit()])
    emails = {cell.lower() for cell in cells if "@" in cell}
    by_email: dict[str, Lead] = {}
    # Compared in lower case: addresses are kept as given.
    for found in (visible.alias(email_key=Lower("email")).filter(email_key__in=emails)
                  .order_by("-created_at")):
        by_email.setdefault(found.email.lower(), found)
    answers = []
    for number, cell in enumerate(cells, start=1):
        lead: Lead | None = by_id.get(int(cell)) if cell.isdigit() else by_email.get(cell.lower())
        if lead is None:
            answers.append(Line(number, cell, "not found", "no lead you can see has this "
                                                           "id or email"))
            continue
        try:
            engine.enroll(lead, trigger="bulk", cadence=cadence, by=by,
                          reason=f"nurture: {cadence.name} (bulk)")
        except engine.NurtureError as error:
            outcome = "already" if error.field == "lead" else "refused"
            answers.append(Line(number, cell, outcome, f"{error.field}: {error}", lead))
        except IllegalMove as error:
            answers.append(Line(number, cell, "refused", f"{error.field}: {error}", lead))
        else:
            answers.append(Line(number, cell, "enrolled", "", lead))
    return answers


# The lead list's bulk action ---------------------------------------------------------


def _live_cadences() -> list[Cadence]:
    return list(Cadence.objects.filter(archived_at__isnull=True).order_by("name"))


def _enroll_one(lead: Lead, cadence: Cadence | None, by: User) -> None:
    try:
        engine.enroll(lead, trigger="bulk", cadence=cadence, by=by,
                      reason="nurture: " + (cadence.name if cadence else "first cadence")
                             + " (bulk)")
    except engine.NurtureError as error:
        raise list_bulk.Refused(str(error)) from error


MOVE_TO_NURTURE = list_bulk.register(list_bulk.Action(
    slug="nurture", label="Move to nurture", param="cadence", param_label="Cadence",
    roles=list_bulk.ANY_LEAD | {Role.QUALIFIER.value}, optional=True,
    choices=lambda user: [("", "the usual cadence")] + [
        (str(cadence.pk), cadence.name) for cadence in _live_cadences()],
    prepare=lambda value: next((cadence for cadence in _live_cadences()
                                if str(cadence.pk) == value), None),
    run=_enroll_one,
    question=lambda count, label: f"Move {list_bulk.leads_word(count)} to nurture ({label})?",
    done="moved to nurture ({label})"))
