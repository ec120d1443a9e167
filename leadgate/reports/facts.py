"""The reports' summary table: one `CycleFact` per lead and cycle, computed
from the lead's records, kept current from the event stream.

    compute(lead_ids)   the rows these leads should have (nothing written)
    refresh(lead_ids)   replace their rows with compute()'s, in one transaction
    rebuild()           every lead, in batches of bounded time
    drift()             the rows that differ from a full recomputation

Reports read only this table (and campaign costs, targets): a grouped query
over it answers in a fraction of a second at a million leads, where the same
figure from the stage history, touches and clocks would take minutes.

What a row says, and why:
- a cycle's stages are the first move into each stage of the waterfall
  (`lifecycle.FUNNEL`) within that cycle; a stage passed over (inquiry ->
  working) counts as reached when the next one was, at the same time;
- its exit is the side stage (nurture, disqualified, rejected, lost) the cycle
  went to last, with the reason given, even when it came back from it (sales'
  rejection sends a lead straight back to its qualifier: it is still a
  rejection to count);
- its source, campaign and channel are those of the inquiry that opened the
  cycle (first touch); the segment (country, industry, employee band, grade)
  is the lead's now;
- its qualifier is the one who handed it off, else its last owner in the cycle.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from leadgate.intake.models import Inquiry
from leadgate.leads import events
from leadgate.leads.lifecycle import CLOSED, FUNNEL, Stage
from leadgate.leads.models import Event, Lead, StageChange
from leadgate.leads.records import Handoff, Outcome, Touch
from leadgate.lib.write_budget import WriteBudget
from leadgate.routing.models import Assignment, SlaClock

from .models import CycleFact

log = logging.getLogger(__name__)

REACHED_FIELDS = ["mql_at", "working_at", "qualified_at", "accepted_at", "opportunity_at",
                  "won_at"]
# Seconds in each stage of the main line but the last (won).
SECONDS_FIELDS = [f"{stage.value}_seconds" for stage in FUNNEL[:-1]]
SIDE_STAGES = frozenset({Stage.NURTURE, Stage.DISQUALIFIED, Stage.REJECTED, Stage.LOST})
# A touch in which the lead and a qualifier spoke or wrote to each other.
CONNECTED = frozenset({
    Touch.Disposition.CONNECTED, Touch.Disposition.CALL_BACK,
    Touch.Disposition.NOT_INTERESTED, Touch.Disposition.MEETING_BOOKED,
    Touch.Disposition.REPLIED,
})
# Upper bounds of the employee bands, as firmographic reports use them.
EMPLOYEE_BANDS = [(10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000"),
                  (5000, "1001-5000")]
LARGEST_BAND = "5000+"
BANDS = [label for _top, label in EMPLOYEE_BANDS] + [LARGEST_BAND]
# The columns compared by drift(): all but the row's id and refresh time.
COMPARED = [f.attname for f in CycleFact._meta.concrete_fields
            if f.attname not in {"id", "updated_at"}]
BATCH = 500
PAGE = 5_000  # leads read at a time by rebuild() and drift()


def employee_band(employees: int | None) -> str:
    if not employees:
        return ""
    for top, label in EMPLOYEE_BANDS:
        if employees <= top:
            return label
    return LARGEST_BAND


@dataclass
class _Cycle:
    """What one cycle's records say, gathered before the row is made."""

    moves: list[tuple[str, datetime, str]] = field(default_factory=list)
    inquiries: list[tuple[datetime, int | None, int | None, str]] = field(default_factory=list)
    touches: list[tuple[str, str, datetime, int | None]] = field(default_factory=list)
    clocks: list[tuple[datetime, int | None, str, int | None, bool]] = field(
        default_factory=list)
    handoffs: list[tuple[int | None, int | None, str, str]] = field(default_factory=list)
    outcomes: list[tuple[str, Decimal | None, str]] = field(default_factory=list)
    assignments: list[tuple[int | None, int | None]] = field(default_factory=list)


def compute(lead_ids: Iterable[int]) -> list[CycleFact]:
    """The rows of these leads, unsaved: nine queries for any number of leads."""
    ids = sorted(set(lead_ids))
    if not ids:
        return []
    leads: dict[int, dict[str, Any]] = {row["id"]: dict(row) for row in Lead.objects.filter(
        pk__in=ids).values(
        "id", "cycle", "stage", "created_at", "source_id", "campaign_id", "team_id", "owner_id",
        "country", "account__country", "account__industry", "account__employees",
        "score__grade")}
    cycles: dict[tuple[int, int], _Cycle] = defaultdict(_Cycle)
    for lead_id, cycle, to, at, reason in (
            StageChange.objects.filter(lead_id__in=ids).order_by("at", "pk")
            .values_list("lead_id", "cycle", "to_stage", "at", "reason")):
        cycles[lead_id, cycle].moves.append((to, at, reason))
    for lead_id, cycle, at, source, campaign, channel in (
            Inquiry.objects.filter(lead_id__in=ids).order_by("received_at", "pk")
            .values_list("lead_id", "cycle", "received_at", "source_id", "campaign_id",
                         "channel")):
        cycles[lead_id, cycle].inquiries.append((at, source, campaign, channel))
    for lead_id, cycle, direction, disposition, at, actor in (
            Touch.objects.filter(lead_id__in=ids).order_by("at", "pk")
            .values_list("lead_id", "cycle", "direction", "disposition", "at", "actor_id")):
        cycles[lead_id, cycle].touches.append((direction, disposition, at, actor))
    for lead_id, cycle, started, owner, segment, seconds, breached in (
            SlaClock.objects.filter(lead_id__in=ids).order_by("started_at", "pk")
            .values_list("lead_id", "cycle", "started_at", "owner_id", "policy__segment",
                         "response_seconds", "breached_at")):
        cycles[lead_id, cycle].clocks.append(
            (started, owner, segment, seconds, breached is not None))
    for lead_id, cycle, sender, rep, status, reason in (
            Handoff.objects.filter(lead_id__in=ids).order_by("created_at", "pk")
            .values_list("lead_id", "cycle", "from_user_id", "to_user_id", "status",
                         "reject_reason")):
        cycles[lead_id, cycle].handoffs.append((sender, rep, status, reason))
    for lead_id, cycle, kind, amount, reason in (
            Outcome.objects.filter(lead_id__in=ids).order_by("at", "pk")
            .values_list("lead_id", "cycle", "kind", "amount", "reason")):
        cycles[lead_id, cycle].outcomes.append((kind, amount, reason))
    for lead_id, cycle, user, team in (
            Assignment.objects.filter(lead_id__in=ids).order_by("at", "pk")
            .values_list("lead_id", "cycle", "to_user_id", "team_id")):
        cycles[lead_id, cycle].assignments.append((user, team))
    now = timezone.now()
    rows = []
    for lead_id, lead in leads.items():
        for number in range(1, lead["cycle"] + 1):
            seen = cycles.get((lead_id, number))
            if seen is None and number != 1 and number != lead["cycle"]:
                continue  # a cycle number skipped (a merge brought a later one)
            rows.append(_row(lead, number, seen or _Cycle(), now))
    return rows


def _row(lead: dict[str, Any], number: int, seen: _Cycle, now: datetime) -> CycleFact:
    current = number == lead["cycle"]
    fact = CycleFact(lead_id=lead["id"], cycle=number, updated_at=now)
    starts = [at for at, *_rest in seen.inquiries[:1]] + [at for _to, at, _r in seen.moves[:1]]
    fact.entered_at = lead["created_at"] if number == 1 else min(starts, default=None) or \
        lead["created_at"]
    if seen.inquiries:
        _at, fact.source_id, fact.campaign_id, fact.channel = seen.inquiries[0]
    if number == 1:  # the lead's own source: the first inquiry's, or set by hand
        fact.source_id = fact.source_id or lead["source_id"]
        fact.campaign_id = fact.campaign_id or lead["campaign_id"]
    fact.country = lead["country"] or lead["account__country"] or ""
    fact.industry = lead["account__industry"] or ""
    fact.employee_band = employee_band(lead["account__employees"])
    fact.grade = lead["score__grade"] or ""
    _stages(fact, seen.moves)
    fact.is_open = current and lead["stage"] not in CLOSED
    fact.nurtured = any(to == Stage.NURTURE for to, _at, _r in seen.moves)
    if seen.clocks:
        (fact.sla_started_at, fact.sla_owner_id, fact.sla_policy, fact.response_seconds,
         fact.sla_breached) = seen.clocks[0]
        if fact.response_seconds is None and fact.sla_breached:
            # Answered after the breach (the clock records only a met one):
            # the first outbound touch by a person, as a clock is stopped.
            fact.response_seconds = next(
                (int((at - fact.sla_started_at).total_seconds())
                 for direction, _disp, at, actor in seen.touches
                 if actor is not None and direction == Touch.Direction.OUTBOUND
                 and at >= fact.sla_started_at), None)
    _touches(fact, seen.touches)
    _people(fact, lead, current, seen)
    _money(fact, seen.outcomes)
    side = [move for move in seen.moves if move[0] in SIDE_STAGES]
    if side:
        fact.exit, fact.exit_at, reason = side[-1]
        if fact.exit == Stage.REJECTED and fact.reject_reason:
            reason = fact.reject_reason
        elif fact.exit == Stage.LOST and not reason:
            reason = next((r for kind, _a, r in reversed(seen.outcomes) if kind == "lost"), "")
        fact.exit_reason = reason[:200]
    return fact


def _stages(fact: CycleFact, moves: list[tuple[str, datetime, str]]) -> None:
    reached: list[datetime | None] = [None] * len(FUNNEL)
    for to, at, _reason in moves:
        if to in FUNNEL:
            index = FUNNEL.index(Stage(to))
            if reached[index] is None:
                reached[index] = at
    fact.furthest = max((i for i, at in enumerate(reached) if at is not None), default=0)
    for index in range(fact.furthest - 1, 0, -1):
        if reached[index] is None:
            reached[index] = reached[index + 1]
    for name, when in zip(REACHED_FIELDS, reached[1:], strict=True):
        setattr(fact, name, when)
    reached[0] = fact.entered_at
    for name, began, ended in zip(SECONDS_FIELDS, reached[:-1], reached[1:], strict=True):
        if began is not None and ended is not None:
            setattr(fact, name, max(0, int((ended - began).total_seconds())))


def _touches(fact: CycleFact, touches: list[tuple[str, str, datetime, int | None]]) -> None:
    fact.touches = len(touches)
    fact.attempts = sum(1 for direction, *_rest in touches
                        if direction == Touch.Direction.OUTBOUND)
    fact.connects = sum(1 for _dir, disposition, *_rest in touches if disposition in CONNECTED)
    fact.meetings = sum(1 for _dir, disposition, *_rest in touches
                        if disposition == Touch.Disposition.MEETING_BOOKED)
    if touches:
        fact.first_touch_at, fact.last_touch_at = touches[0][2], touches[-1][2]


def _people(fact: CycleFact, lead: dict[str, Any], current: bool, seen: _Cycle) -> None:
    fact.handoffs = len(seen.handoffs)
    owner = lead["owner_id"] if current else None
    team = lead["team_id"] if current else None
    if seen.assignments:
        last_user, last_team = seen.assignments[-1]
        owner = owner if current else last_user
        team = team if current else last_team
    fact.team_id = team if team is not None else lead["team_id"]
    fact.qualifier_id = owner
    if seen.handoffs:
        sender, rep, _status, _reason = seen.handoffs[-1]
        fact.qualifier_id, fact.sales_rep_id = sender or owner, rep
        fact.reject_reason = next(
            (reason for _s, _r, status, reason in reversed(seen.handoffs)
             if status == Handoff.Status.REJECTED and reason), "")


def _money(fact: CycleFact, outcomes: list[tuple[str, Decimal | None, str]]) -> None:
    opportunity = [amount for kind, amount, _r in outcomes if kind == Outcome.Kind.OPPORTUNITY]
    won = [amount or Decimal(0) for kind, amount, _r in outcomes if kind == Outcome.Kind.WON]
    fact.revenue = sum(won, Decimal(0))
    # The opportunity's latest stated amount; a deal won without one is its own pipeline.
    fact.pipeline = next((a for a in reversed(opportunity) if a is not None), None) \
        or fact.revenue


def refresh(lead_ids: Iterable[int], budget: WriteBudget | None = None) -> int:
    """Replace these leads' rows with what their records say now, in write
    transactions sized by `budget` (about 0.1 s each); returns the rows
    written. A lead merged away has no row left."""
    ids = sorted(set(lead_ids))
    budget = budget or WriteBudget(first=BATCH, most=BATCH)
    written = 0
    for chunk in budget.parts(ids):
        rows = compute(chunk)
        with budget.transaction(len(chunk), transaction.atomic):
            CycleFact.objects.filter(lead_id__in=chunk).delete()
            CycleFact.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


def missing_leads(limit: int) -> list[int]:
    """Leads with no row for their current cycle: made before the table, by a
    merge, or by a path that writes no event (history loaded in bulk)."""
    has_row = CycleFact.objects.filter(lead_id=OuterRef("pk"), cycle=OuterRef("cycle"))
    return list(Lead.objects.filter(~Exists(has_row)).order_by("pk")
                .values_list("pk", flat=True)[:limit])


def rebuild(progress: Any = None) -> int:
    """Every lead's rows anew, in short write transactions (the service goes
    on writing meanwhile); rows of leads gone are removed. Returns the rows
    written; `progress(n)` hears of each page of leads done."""
    budget = WriteBudget(first=BATCH, most=BATCH)
    written, last = 0, 0
    CycleFact.objects.exclude(lead_id__in=Lead.objects.values("pk")).delete()
    while True:
        ids = list(Lead.objects.filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:PAGE])
        if not ids:
            return written
        written += refresh(ids, budget)
        last = ids[-1]
        if progress is not None:
            progress(len(ids))


def drift(limit: int | None = None) -> Iterator[tuple[int, int, str, Any, Any]]:
    """(lead, cycle, column, stored, recomputed) for every difference between
    the table and a full recomputation, lead by lead in batches."""
    last = 0
    found = 0
    while True:
        ids = list(Lead.objects.filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:PAGE])
        if not ids:
            return
        stored = {(row["lead_id"], row["cycle"]): row
                  for row in CycleFact.objects.filter(lead_id__in=ids).values(*COMPARED)}
        for fact in compute(ids):
            want = {name: getattr(fact, name) for name in COMPARED}
            have = stored.pop((fact.lead_id, fact.cycle), None)
            for name in COMPARED if have is not None else ["row"]:
                left = have[name] if have is not None else None
                right = want[name] if have is not None else "missing"
                if left != right:
                    found += 1
                    yield fact.lead_id, fact.cycle, name, left, right
                    if limit is not None and found >= limit:
                        return
        for (lead_id, cycle) in stored:
            yield lead_id, cycle, "row", "present", "not expected"
        last = ids[-1]


# Every kind that changes what a row says.
WATCHED = {"inquiry.received", "stage.moved", "lead.assigned", "sla.started", "sla.stopped",
           "sla.breached", "touch.logged", "handoff.sent", "handoff.accepted",
           "handoff.rejected", "outcome.recorded", "score.graded", "nurture.enrolled",
           "nurture.returned", "lead.merged"}


@events.subscribe("reports", kinds=WATCHED)
def refresh_from_events(batch: list[Event]) -> None:
    """The rows of the leads these events name, recomputed."""
    refresh(event.lead_id for event in batch if event.lead_id is not None)
