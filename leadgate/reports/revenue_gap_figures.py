"""The figures of the revenue gap calculator (revenue_gap.py, whose docstring
says what each means): which cycles were not followed up and what worked
ones of the same kind converted to (`read()`, two grouped queries), the
what-if estimate that static/js/revenue_gap.js mirrors (`estimate()`), the
goal from the targets or as typed, and the comparable groups a lead is
valued against.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.lib.proportions import Rate

from .filters import Filters
from .models import CycleFact, Target

ATTEMPTS = 6  # the attempts a lead deserves before it is given up
MIN_COMPARABLE = 30  # worked leads a comparable group needs to be used
QUIET = timedelta(days=7)  # untouched this long: not followed up
NURTURE_QUIET = timedelta(days=90)  # in nurture this long without a touch: dropped
FAST_SECONDS = 300  # "answered within 5 minutes"
MOST_GOAL = Decimal("1e12")
QUALIFIED = FUNNEL.index(Stage.QUALIFIED)
WON = FUNNEL.index(Stage.WON)
# Open cycles at these stages are not worked yet: response time and attempts
# still make a difference to them.
NOT_WORKED_YET = FUNNEL.index(Stage.MQL)
# An open cycle's stage now -> its place on the main line (a rejected lead is
# back on a qualifier's desk); nurture is counted apart.
STAGE_INDEX = {**{stage.value: i for i, stage in enumerate(FUNNEL)},
               Stage.REJECTED.value: FUNNEL.index(Stage.WORKING)}

UNTOUCHED, FEW_ATTEMPTS, DROPPED = 1, 2, 3
GROUPS = {UNTOUCHED: "Never touched", FEW_ATTEMPTS: f"Touched, under {ATTEMPTS} attempts",
          DROPPED: "Dropped from nurture"}
SIZE, SOURCE, ALL = "size", "source", "all"
LEVELS = {SIZE: "same source and size", SOURCE: "same source", ALL: "all worked leads"}
NO_SOURCE = "No source"
NO_BAND = "size unknown"
STEP_NAMES = ["Inquiry → MQL", "MQL → working", "Working → qualified", "Qualified → accepted",
              "Accepted → opportunity", "Opportunity → won"]


def worked() -> Q:
    """A cycle that was followed up: touched, and given a full round of
    attempts, a conversation or a handoff."""
    return Q(touches__gt=0) & (Q(attempts__gte=ATTEMPTS) | Q(connects__gt=0)
                               | Q(furthest__gte=QUALIFIED))


def group_of(now: datetime) -> Case:
    """Which group of leads not followed up a cycle is in, as far as its row
    tells (0: none). The cycles still in nurture with no activity need the
    lead's stage now: see quiet_in_nurture()."""
    early = Q(furthest__lt=QUALIFIED, nurtured=False)
    quiet = now - QUIET
    untouched = early & Q(touches=0) & (Q(is_open=False) | Q(entered_at__lt=quiet))
    few = early & Q(touches__gt=0, attempts__lt=ATTEMPTS, connects=0) & (
        Q(is_open=False) | Q(last_touch_at__lt=quiet))
    dropped = Q(nurtured=True, furthest__lt=WON, exit=Stage.DISQUALIFIED)
    return Case(When(untouched, then=Value(UNTOUCHED)), When(few, then=Value(FEW_ATTEMPTS)),
                When(dropped, then=Value(DROPPED)), default=Value(0),
                output_field=IntegerField())


def quiet_in_nurture(now: datetime) -> Case:
    """1 for an open nurtured cycle that went to nurture, and was last
    touched, more than 90 days ago (dropped, when the lead is in nurture now)."""
    long_ago = now - NURTURE_QUIET
    quiet = Q(nurtured=True, furthest__lt=WON, exit_at__lt=long_ago) & (
        Q(last_touch_at__isnull=True) | Q(last_touch_at__lt=long_ago))
    return Case(When(quiet, then=Value(1)), default=Value(0), output_field=IntegerField())


def flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


@dataclass
class Comparable:
    """Worked leads of one group: how many, how many won, their deals."""

    n: int = 0
    won: int = 0
    deals: int = 0
    revenue: Decimal = Decimal(0)

    def add(self, other: Comparable) -> None:
        self.n += other.n
        self.won += other.won
        self.deals += other.deals
        self.revenue += other.revenue

    def deal(self) -> float | None:
        return float(self.revenue / self.deals) if self.deals else None


@dataclass
class Seen:
    """What the two grouped reads of the period's rows found."""

    comparables: dict[tuple[int | None, str], Comparable] = field(default_factory=dict)
    left: list[tuple[int, int | None, str, int]] = field(default_factory=list)
    by_furthest: Counter[int] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    revenue: Decimal = Decimal(0)  # of the won deals with an amount
    open_at: list[int] = field(default_factory=lambda: [0] * WON)


def read(facts: QuerySet[CycleFact], now: datetime) -> Seen:
    """Everything the report counts, in two grouped queries: one over the
    period's rows, one over its open cycles that went to a side stage joined
    to their lead (the stage it is in now, which the row does not keep: such
    a cycle may be in nurture, rejected, or back on the main line below the
    furthest stage it reached; any other open cycle is at its furthest)."""
    seen = Seen()
    won_deal = Q(furthest=WON, revenue__gt=0)
    clock = Case(When(sla_started_at__isnull=True, then=Value(0)),
                 When(response_seconds__lte=FAST_SECONDS, then=Value(1)), default=Value(2),
                 output_field=IntegerField())
    rows = (facts.annotate(group=group_of(now), worked=flag(worked()), clock=clock,
                           many=flag(Q(attempts__gte=ATTEMPTS)),
                           ended=flag(Q(exit__in=[Stage.DISQUALIFIED, Stage.LOST])),
                           straight=flag(Q(is_open=True, exit="")))
            .values("source_id", "employee_band", "group", "worked", "furthest", "ended",
                    "nurtured", "clock", "many", "straight")
            .annotate(n=Count("pk"), deals=Count("pk", filter=won_deal),
                      revenue=Sum("revenue", filter=won_deal))
            .order_by().values_list("source_id", "employee_band", "group", "worked", "furthest",
                                    "ended", "nurtured", "clock", "many", "straight", "n",
                                    "deals", "revenue"))
    left: Counter[tuple[int, int | None, str]] = Counter()
    counts = seen.counts
    for source, band, group, was_worked, furthest, ended, nurtured, clock_was, many, straight, \
            n, deals, revenue in rows:
        won = n if furthest == WON else 0
        revenue = revenue or Decimal(0)
        seen.by_furthest[furthest] += n
        counts["deals"] += deals
        seen.revenue += revenue
        if group:
            left[group, source, band] += n
        if was_worked:
            found = seen.comparables.setdefault((source, band), Comparable())
            found.add(Comparable(n, won, deals, revenue))
        if nurtured:
            counts["nurtured"] += n
            counts["nurtured_won"] += won
        if furthest < WON and (nurtured or ended):
            counts["long_term"] += n
            counts["long_term_nurtured"] += n if nurtured else 0
        if clock_was:
            speed = "fast" if clock_was == 1 else "slow"
            counts[speed] += n
            counts[f"{speed}_won"] += won
        kind = "many" if many else "few"
        counts[kind] += n
        counts[f"{kind}_won"] += won
        if straight and furthest < WON:
            # Open and never off the main line: it is at the furthest stage it reached.
            seen.open_at[furthest] += n
    # Open cycles that went to a side stage: where they are now is the lead's stage.
    for stage, source, band, quiet, n in (
            facts.filter(is_open=True).exclude(exit="").annotate(quiet=quiet_in_nurture(now))
            .values("lead__stage", "source_id", "employee_band", "quiet")
            .annotate(n=Count("pk")).order_by()
            .values_list("lead__stage", "source_id", "employee_band", "quiet", "n")):
        if stage == Stage.NURTURE:
            counts["in_nurture"] += n
            if quiet:
                left[DROPPED, source, band] += n
        elif stage in STAGE_INDEX and STAGE_INDEX[stage] < WON:
            seen.open_at[STAGE_INDEX[stage]] += n
    seen.left = [(group, source, band, n) for (group, source, band), n in left.items()]
    return seen


# --- the estimate, as revenue_gap.js computes it ---------------------------------

def lift(share: float, measured: float | None, ratio: float | None) -> float:
    """How much the conversion changes when `share` of the leads (rather than
    `measured`) get what converts `ratio` times as well."""
    if ratio is None or measured is None:
        return 1.0
    return (share * ratio + 1 - share) / (measured * ratio + 1 - measured)


def defaults(inputs: dict[str, Any]) -> dict[str, Any]:
    """The what-if controls at the measured values: the estimate as it stands."""
    return {"goal": inputs["goal"], "fast": inputs["fast_share"] or 0.0,
            "attempted": inputs["attempted_share"] or 0.0,
            "nurtured": inputs["nurtured_share"] or 0.0, "stages": list(inputs["stages"])}


def estimate(inputs: dict[str, Any], controls: dict[str, Any]) -> dict[str, Any]:
    """The gap and the leads needed under `controls`. Every operation is
    mirrored in revenue_gap.js, in the same order (floats add up the same)."""
    factor = lift(controls["fast"], inputs["fast_share"], inputs["fast_ratio"]) * \
        lift(controls["attempted"], inputs["attempted_share"], inputs["attempted_ratio"])
    chance = chances(controls["stages"])
    conversion = min(1.0, chance[0] * factor)
    deal = inputs["deal"]
    goal = controls["goal"]
    found: dict[str, Any] = {"factor": factor, "conversion": conversion, "inbound": None,
                             "nurture": None, "projected": None, "gap": None, "leads": None}
    if deal is None:
        return found
    expected = 0.0
    for i in range(WON):
        expected += inputs["open"][i] * chance[i] * (factor if i <= NOT_WORKED_YET else 1.0)
    found["inbound"] = expected * deal
    nurtured = inputs["in_nurture"] + (controls["nurtured"] - (inputs["nurtured_share"] or 0.0)) \
        * inputs["long_term"]
    found["nurture"] = max(0.0, nurtured) * inputs["nurture_won"] * deal
    found["projected"] = inputs["won"] + found["inbound"] + found["nurture"]
    if goal is not None:
        found["gap"] = goal - found["projected"]
        found["leads"] = leads_needed(found["gap"], conversion, deal)
    return found


def chances(stages: list[float]) -> list[float]:
    """The chance to win from each main stage: the product of the stage
    conversions after it."""
    chance = [1.0] * (WON + 1)
    for i in range(WON - 1, -1, -1):
        chance[i] = chance[i + 1] * stages[i]
    return chance


def leads_needed(gap: float | None, conversion: float, deal: float | None) -> int | None:
    """New leads that close `gap` at this conversion and deal size (0: no
    gap; None: no goal, or no lead ever converts)."""
    if gap is None or deal is None:
        return None
    if gap <= 0:
        return 0
    per_lead = conversion * deal
    return math.ceil(gap / per_lead) if per_lead > 0 else None


# --- the goal -------------------------------------------------------------------

def parse_goal(text: str | None) -> Decimal | None:
    """A goal typed by the user: an amount (commas and spaces allowed), or
    nothing. Raises ValidationError naming `goal`."""
    text = (text or "").strip().replace(",", "").replace(" ", "").replace("\u202f", "")
    if not text:
        return None
    try:
        goal = Decimal(text)
    except InvalidOperation:
        raise ValidationError({"goal": "the goal is an amount, such as 250000"}) from None
    if not goal.is_finite() or goal <= 0:
        raise ValidationError({"goal": "the goal is an amount above 0"})
    if goal >= MOST_GOAL:
        raise ValidationError({"goal": "the goal is below 1,000,000,000,000"})
    return goal.quantize(Decimal("0.01"))


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def target_goal(filters: Filters) -> tuple[Decimal | None, int]:
    """The revenue targets of the months the period covers (a month the
    period cuts counts for its share of days): the team filter's, else the
    company's. Returns (goal, months with a target); None when none is set."""
    first = filters.start.replace(day=1)
    whose = Q(team__isnull=True) if filters.team is None else Q(team_id=filters.team)
    targets = Target.objects.filter(whose, metric=Target.Metric.REVENUE, month__gte=first,
                                    month__lt=filters.end)
    goal, months = Decimal(0), 0
    for month, value in targets.values_list("month", "value"):
        start, end = max(month, filters.start), min(next_month(month), filters.end)
        days = calendar.monthrange(month.year, month.month)[1]
        goal += value * Decimal((end - start).days) / Decimal(days)
        months += 1
    return (goal.quantize(Decimal("0.01")), months) if months else (None, 0)


# --- comparables -------------------------------------------------------------------

@dataclass
class Left:
    """What a set of leads not followed up would have brought."""

    leads: int = 0
    won: float = 0.0  # expected won deals
    revenue: float | None = 0.0
    low: float | None = 0.0
    high: float | None = 0.0
    levels: Counter[str] = field(default_factory=Counter)
    by_group: Counter[int] = field(default_factory=Counter)

    def add(self, leads: int, level: str, conversion: Rate, deal: float | None,
            group: int | None = None) -> None:
        self.leads += leads
        self.levels[level] += leads
        if group is not None:
            self.by_group[group] += leads
        if conversion.value is None or deal is None or self.revenue is None:
            self.revenue = self.low = self.high = None
            return
        self.won += leads * conversion.value
        self.revenue += leads * conversion.value * deal
        self.low = (self.low or 0.0) + leads * (conversion.low or 0.0) * deal
        self.high = (self.high or 0.0) + leads * (conversion.high or 0.0) * deal

    def row(self) -> dict[str, Any]:
        return {"leads": self.leads, "compared": levels_text(self.levels),
                "conversion": self.won / self.leads if self.leads else None,
                "deal": self.revenue / self.won if self.won and self.revenue is not None
                else None,
                "revenue": self.revenue, "low": self.low, "high": self.high}


def levels_text(levels: Counter[str]) -> str:
    used = [level for level in (SIZE, SOURCE, ALL) if levels[level]]
    if len(used) == 1:
        return LEVELS[used[0]]
    return "; ".join(f"{LEVELS[level]}: {levels[level]:,}" for level in used)


def pick(source: int | None, band: str, by_size: dict[tuple[int | None, str], Comparable],
         by_source: dict[int | None, Comparable], everyone: Comparable
         ) -> tuple[str, Comparable]:
    """The comparable group a cell of leads is measured against: the most
    alike with at least MIN_COMPARABLE worked leads."""
    size = by_size.get((source, band))
    if size is not None and size.n >= MIN_COMPARABLE:
        return SIZE, size
    own = by_source.get(source)
    if own is not None and own.n >= MIN_COMPARABLE:
        return SOURCE, own
    return ALL, everyone
