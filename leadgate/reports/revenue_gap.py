"""The revenue gap calculator: what the leads nobody followed up would have
been worth, and how far the period's revenue falls short of its goal.

Leads not followed up (the period's cycles, cohorts by when they came in;
each cycle of a returning person counts apart; none of them won; the three
groups do not overlap):
- never touched: no touch at all, never handed off, never nurtured, and the
  cycle is closed or came in more than 7 days ago;
- under 6 attempts: touched, fewer than 6 outbound attempts, never a
  conversation (no connected touch), never handed off, never nurtured, and
  closed, or open with no touch for 7 days (stalled);
- dropped from nurture: nurtured, and either disqualified since (its last
  side stage is disqualified), or still in nurture (the lead's stage now)
  with no touch, nor a move into nurture, for 90 days. A nurtured cycle that
  ended lost is not dropped: lost is only reachable from a sales stage, so
  it came back and was worked.

What one would have been worth: the conversion to won of comparable leads
that were worked (touched, and given 6+ attempts, a conversation or a
handoff) of the same source and employee band, or of the same source when
that group has fewer than 30 worked leads, or of all worked leads when the
source has fewer too; times the average won deal (deals with an amount) of
the same group, or of all worked leads when the group has none. The 95%
interval is the Wilson interval of that conversion at the deal size's mean:
the deal size's own spread is left out. Bounds are added across groups, which
makes the interval of a total wider than a joint one would be.

The gap: the goal (the sum of the revenue targets of the months the period
covers, prorated for a month it cuts; the company's, or the team filter's; or
a goal typed in `goal`) minus the revenue won in the period (deals won in it,
whenever the lead came in), minus what the open inbound cycles should bring
(each at the chance of winning from its stage now, the product of the
waterfall's stage conversions after it), minus what the cycles in nurture
should bring (at the share of nurtured cycles that came back and won). New
leads needed = gap / (lead -> won conversion x average deal).

The what-if controls recompute that estimate in the browser
(static/js/revenue_gap.js) with `estimate()` below, the same formula: the
measured inputs travel in json_script. Response time and attempts scale the
conversion of leads not yet worked (new leads, open cycles at inquiry or MQL)
by this database's own ratio of conversion (answered within 5 minutes vs
slower, 6+ attempts vs fewer); nurture coverage adds (or takes away) nurtured
long-term leads at the nurtured conversion.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.http import QueryDict
from django.utils import timezone

from leadgate.intake.models import Source
from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Team, User
from leadgate.lib.proportions import Rate, rate

from .filters import Filters
from .models import CycleFact, Target
from .registry import Chart, Column, Report, Result, Table, register
from .templatetags.report_cells import CURRENCY_SIGNS, cell

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


# --- the report -------------------------------------------------------------------

def _ratio(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """How many times as well the first converts as the second: None when
    either has fewer than MIN_COMPARABLE leads or no win (no ratio to trust)."""
    if min(n1, n2) < MIN_COMPARABLE or not k1 or not k2:
        return None
    return (k1 / n1) / (k2 / n2)


@register
class RevenueGap(Report):
    slug = "revenue-gap"
    title = "Revenue gap calculator"
    summary = ("What the leads nobody followed up would have been worth, and how many leads "
               "it takes to close the gap to the revenue goal, with what-if controls.")
    template = "reports/_revenue_gap.html"
    position = 70  # report 7 of the issue: after the scorecard

    def options(self, query: QueryDict) -> dict[str, Any]:
        """The report's own parameter: `goal`, a revenue goal typed by the user
        (else the targets). Raises ValidationError naming it."""
        return {"goal": parse_goal(query.get("goal"))}

    def compute(self, filters: Filters, user: User, goal: Decimal | None = None) -> Result:
        now = timezone.now()
        facts = filters.apply(CycleFact.objects.all())
        result = Result()
        if filters.basis == "reached":
            result.notes.append("This report follows the leads that came in during the "
                                "period (cohorts); stages reached in the period do not apply.")
        seen = read(facts, now)
        left, by_source, cells = self._left(seen)
        inputs, stages = self._inputs(seen, filters, goal)
        measured = estimate(inputs, defaults(inputs))
        result.tables += [left, by_source, cells,
                          self._gap(inputs, measured, filters, goal),
                          self._needed(inputs, measured), stages, self._effects(inputs)]
        result.charts += [
            Chart("left-chart", {
                "type": "bar", "format": "money", "currency": settings.LEADGATE_CURRENCY,
                "title": "Revenue left on the table",
                "labels": [row["group"] for row in left.rows],
                "datasets": [{"label": "Estimate", "data": [row["revenue"] for row in left.rows]},
                             {"label": "95% low", "data": [row["low"] for row in left.rows]},
                             {"label": "95% high", "data": [row["high"] for row in left.rows]}]}),
            Chart("gap-chart", {
                "type": "stacked", "format": "money", "currency": settings.LEADGATE_CURRENCY,
                "title": "Goal and what the period should bring",
                "labels": ["Expected", "Goal"],
                "datasets": [{"label": "Won", "data": [inputs["won"], None]},
                             {"label": "Open inbound", "data": [measured["inbound"], None]},
                             {"label": "Nurture", "data": [measured["nurture"], None]},
                             {"label": "Goal", "data": [None, inputs["goal"]]}]})]
        if inputs["deal"] is None:
            result.notes.append("No deal with an amount was won by these leads: there is no "
                                "deal size to value the estimates with.")
        result.extra["revenue_gap"] = {
            "inputs": inputs, "measured": measured, "typed_goal": goal,
            "goal_value": goal_text(inputs["goal"]),
            "controls": self._controls(inputs),
            "outputs": self._outputs(measured)}
        return result

    # -- leads not followed up

    def _left(self, seen: Seen) -> tuple[Table, Table, Table]:
        by_size = seen.comparables
        by_source: dict[int | None, Comparable] = defaultdict(Comparable)
        everyone = Comparable()
        for (source, _band), worked_here in by_size.items():
            by_source[source].add(worked_here)
            everyone.add(worked_here)
        fallback = everyone.deal()
        rows = sorted(seen.left, key=lambda row: (row[0], row[1] or 0, row[2]))
        names = dict(Source.objects.filter(pk__in={s for _g, s, _b, _n in rows})
                     .values_list("pk", "name"))
        groups = {group: Left() for group in GROUPS}
        sources: dict[int | None, Left] = defaultdict(Left)
        per_cell: dict[tuple[int | None, str], Left] = defaultdict(Left)
        used: dict[tuple[int | None, str], tuple[str, Comparable]] = {}
        total = Left()
        for group, source, band, n in rows:
            level, comparable = used.setdefault(
                (source, band), pick(source, band, by_size, by_source, everyone))
            conversion = rate(comparable.won, comparable.n)
            deal = comparable.deal() or fallback
            for bucket in (groups[group], sources[source], per_cell[source, band], total):
                bucket.add(n, level, conversion, deal, group)
        money = [Column("revenue", "Revenue left on the table", "money"),
                 Column("low", "95% low", "money"), Column("high", "95% high", "money")]
        table = Table("left", "Leads not followed up: revenue left on the table", [
            Column("group", "Group", "text"), Column("leads", "Leads"),
            Column("compared", "Compared with", "text"),
            Column("conversion", "Conversion if worked", "percent"),
            Column("deal", "Average deal", "money"), *money],
            note=(f"Each lead valued at the conversion to won and the average deal of worked "
                  f"leads (touched, and given {ATTEMPTS}+ attempts, a conversation or a "
                  f"handoff) of the same source and employee band; of the same source when "
                  f"that group has fewer than {MIN_COMPARABLE} worked leads, of all worked "
                  f"leads when the source has fewer too. The interval is the conversion's "
                  f"(Wilson, 95%) at the mean deal size."))
        for group, label in GROUPS.items():
            table.rows.append({"group": label, **groups[group].row()})
        table.total = {"group": "Total", **total.row()}

        per_source = Table("left-by-source", "Leads not followed up, by source", [
            Column("source", "Source", "text"),
            *(Column(f"group{group}", label) for group, label in GROUPS.items()),
            Column("leads", "Leads"), Column("compared", "Compared with", "text"), *money])
        for source, found in sorted(sources.items(),
                                    key=lambda item: -(item[1].revenue or 0)):
            per_source.rows.append({"source": names.get(source, NO_SOURCE) if source else
                                    NO_SOURCE, **found.row(),
                                    **{f"group{g}": found.by_group[g] for g in GROUPS}})
        per_source.total = {"source": "Total", **total.row(),
                            **{f"group{g}": total.by_group[g] for g in GROUPS}}

        cells = Table("comparables", "Comparable worked leads used", [
            Column("source", "Source", "text"), Column("band", "Employees", "text"),
            Column("level", "Compared with", "text"), Column("worked", "Worked leads"),
            Column("won", "Won"), Column("rate", "Conversion", "rate"),
            Column("deal", "Average deal", "money"),
            Column("leads", "Leads not followed up"), *money],
            note="Each source and employee band with leads not followed up, and the worked "
                 "leads it is compared with.")
        for (source, band), found in sorted(per_cell.items(),
                                            key=lambda item: -(item[1].revenue or 0)):
            level, comparable = used[source, band]
            cells.rows.append({
                "source": names.get(source, NO_SOURCE) if source else NO_SOURCE,
                "band": band or NO_BAND, "level": LEVELS[level], "worked": comparable.n,
                "won": comparable.won, "rate": rate(comparable.won, comparable.n),
                "deal": comparable.deal() or fallback, "leads": found.leads,
                "revenue": found.revenue, "low": found.low, "high": found.high})
        return table, per_source, cells

    # -- the measured inputs of the estimate

    def _inputs(self, seen: Seen, filters: Filters,
                typed: Decimal | None) -> tuple[dict[str, Any], Table]:
        counts = seen.counts
        reached = [sum(n for f, n in seen.by_furthest.items() if f >= i)
                   for i in range(WON + 1)]
        steps = [rate(reached[i], reached[i - 1]) for i in range(1, WON + 1)]
        open_at = seen.open_at
        # Revenue won in the period, whenever its lead came in.
        period_won = CycleFact.objects.filter(filters.segment() & filters.within("won_at")) \
            .aggregate(revenue=Sum("revenue"), n=Count("pk"))
        goal, months = (typed, 0) if typed is not None else target_goal(filters)
        clocks = counts["fast"] + counts["slow"]
        everyone = reached[0]
        inputs: dict[str, Any] = {
            "goal": None if goal is None else float(goal),
            "goal_months": months, "goal_typed": typed is not None,
            "won": float(period_won["revenue"] or 0), "won_deals": period_won["n"],
            "deal": float(seen.revenue / counts["deals"]) if counts["deals"] else None,
            "deals": counts["deals"], "leads": everyone, "won_cycles": reached[WON],
            "open": open_at, "stages": [step.value or 0.0 for step in steps],
            "in_nurture": counts["in_nurture"],
            "nurture_won": counts["nurtured_won"] / counts["nurtured"] if counts["nurtured"]
            else 0.0,
            "nurtured": counts["nurtured"], "nurtured_won_n": counts["nurtured_won"],
            "long_term": counts["long_term"],
            "nurtured_share": counts["long_term_nurtured"] / counts["long_term"]
            if counts["long_term"] else None,
            "fast_share": counts["fast"] / clocks if clocks else None,
            "fast_ratio": _ratio(counts["fast_won"], counts["fast"], counts["slow_won"],
                                 counts["slow"]),
            "attempted_share": counts["many"] / everyone if everyone else None,
            "attempted_ratio": _ratio(counts["many_won"], counts["many"], counts["few_won"],
                                      counts["few"]),
            "sign": CURRENCY_SIGNS.get(settings.LEADGATE_CURRENCY,
                                       settings.LEADGATE_CURRENCY + " "),
            "counts": {key: counts[key] for key in ("fast", "fast_won", "slow", "slow_won",
                                                    "many", "many_won", "few", "few_won")},
        }
        chance = chances(inputs["stages"])
        table = Table("stages", "Stage conversions (what-if defaults)", [
            Column("stage", "Step", "text"), Column("rate", "Conversion", "rate"),
            Column("open", "Open cycles at the step's start"),
            Column("chance", "Chance to win from there", "percent")],
            note="The waterfall's conversions of these leads (cycles still open count as not "
                 "converted yet: a cautious estimate). Open cycles by the lead's stage now; "
                 "a lead rejected by sales is back in working.")
        for i, name in enumerate(STEP_NAMES):
            table.rows.append({"stage": name, "rate": steps[i], "open": open_at[i],
                               "chance": chance[i]})
        return inputs, table

    def _gap(self, inputs: dict[str, Any], measured: dict[str, Any], filters: Filters,
             typed: Decimal | None) -> Table:
        deal = inputs["deal"]
        table = Table("gap", "Revenue − inbound − nurturing = the gap", [
            Column("line", "Figure", "text"), Column("amount", "Amount", "money"),
            Column("how", "From", "text")],
            note="The goal is the company's (or the team filter's); other filters narrow the "
                 "revenue, not the goal: type a goal for a segment.")
        if typed is not None:
            how = "the goal typed"
        elif inputs["goal"] is None:
            how = ("no revenue target is set for these months"
                   + (f" for {team_name(filters.team)}" if filters.team is not None else "")
                   + ": type a goal")
        else:
            whose = f"{team_name(filters.team)}'s" if filters.team is not None else \
                "the company's"
            how = f"{whose} revenue targets of {inputs['goal_months']} month(s)"
        money_text = "—" if deal is None else cell(deal, "money")
        table.rows += [
            {"line": "Goal", "amount": inputs["goal"], "how": how},
            {"line": "Won in the period", "amount": inputs["won"],
             "how": f"{inputs['won_deals']:,} deal(s) won in the period"},
            {"line": "Expected from open inbound", "amount": measured["inbound"],
             "how": f"{sum(inputs['open']):,} open cycle(s) × their stage's chance to win × "
                    f"{money_text}"},
            {"line": "Expected from nurture", "amount": measured["nurture"],
             "how": f"{inputs['in_nurture']:,} in nurture × "
                    f"{cell(inputs['nurture_won'], 'percent')} of nurtured came back and won"
                    f" × {money_text}"},
        ]
        table.total = {"line": "Gap (goal minus the above)", "amount": measured["gap"],
                       "how": "short of the goal" if (measured["gap"] or 0) > 0 else
                       ("the goal is met" if measured["gap"] is not None else "no goal")}
        return table

    def _needed(self, inputs: dict[str, Any], measured: dict[str, Any]) -> Table:
        table = Table("needed", "New leads needed to close the gap", [
            Column("at", "At", "text"), Column("conversion", "Lead → won", "percent"),
            Column("deal", "Average deal", "money"), Column("leads", "New leads needed")],
            note="At the lead → won conversion of these leads and the ends of its 95% interval; "
                 "the what-if controls above try other conversions.")
        overall = rate(inputs["won_cycles"], inputs["leads"])
        deal, gap = inputs["deal"], measured["gap"]
        for label, conversion in (("the current conversion", measured["conversion"]),
                                  ("the low end of its interval", overall.low),
                                  ("the high end of its interval", overall.high)):
            if conversion is None:
                continue
            table.rows.append({"at": label, "conversion": conversion, "deal": deal,
                               "leads": leads_needed(gap, conversion, deal)})
        return table

    def _effects(self, inputs: dict[str, Any]) -> Table:
        c = inputs["counts"]
        table = Table("effects", "What the what-if controls scale by (measured here)", [
            Column("figure", "Leads that…", "text"), Column("share", "Share now", "percent"),
            Column("yes", "Conversion to won, yes", "rate"),
            Column("no", "Conversion to won, no", "rate"),
            Column("ratio", "Times as likely to win", "number")],
            note=f"Each ratio is used only with {MIN_COMPARABLE}+ leads and a win on each side; "
                 "else the control has no effect. Response: cycles with a first-response "
                 "clock; never answered counts as slower. Long-term leads: not won, and "
                 "nurtured, disqualified or lost.")
        table.rows += [
            {"figure": "were answered within 5 minutes", "share": inputs["fast_share"],
             "yes": rate(c["fast_won"], c["fast"]), "no": rate(c["slow_won"], c["slow"]),
             "ratio": inputs["fast_ratio"]},
            {"figure": f"got {ATTEMPTS}+ attempts", "share": inputs["attempted_share"],
             "yes": rate(c["many_won"], c["many"]), "no": rate(c["few_won"], c["few"]),
             "ratio": inputs["attempted_ratio"]},
            {"figure": "were nurtured (long-term leads)", "share": inputs["nurtured_share"],
             "yes": rate(inputs["nurtured_won_n"], inputs["nurtured"]), "no": None,
             "ratio": None},
        ]
        return table

    # -- what the template needs

    def _controls(self, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        """The what-if inputs, in percent."""
        def control(key: str, label: str, value: float | None, hint: str,
                    active: bool = True) -> dict[str, Any]:
            return {"key": key, "label": label, "hint": hint, "disabled": not active,
                    "value": "" if value is None else f"{value * 100:.1f}"}

        ratio = inputs["fast_ratio"]
        found = [
            control("fast", "Answered within 5 minutes (%)", inputs["fast_share"],
                    f"converts {ratio:.1f}× as well as slower" if ratio else
                    "not measured: too few cycles with a response clock", ratio is not None),
            control("attempted", f"Given {ATTEMPTS}+ attempts (%)", inputs["attempted_share"],
                    f"converts {inputs['attempted_ratio']:.1f}× as well as fewer"
                    if inputs["attempted_ratio"] else "not measured: too few leads",
                    inputs["attempted_ratio"] is not None),
            control("nurtured", "Long-term leads nurtured (%)", inputs["nurtured_share"],
                    f"{inputs['long_term']:,} long-term leads; nurtured ones win "
                    f"{cell(inputs['nurture_won'], 'percent')}",
                    inputs["nurtured_share"] is not None),
        ]
        for i, name in enumerate(STEP_NAMES):
            found.append(control(f"stage{i}", f"{name} (%)", inputs["stages"][i],
                                 "measured " + cell(inputs["stages"][i], "percent")))
        return found

    def _outputs(self, measured: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"key": key, "label": label, "kind": kind, "value": measured[key]}
                for key, label, kind in OUTPUTS]


OUTPUTS = [("inbound", "Expected from open inbound", "money"),
           ("nurture", "Expected from nurture", "money"),
           ("projected", "Won and expected", "money"),
           ("gap", "Gap to the goal", "money"),
           ("conversion", "Lead → won conversion", "percent"),
           ("leads", "New leads needed", "count")]


def goal_text(goal: float | None) -> str:
    """The goal as its field shows it: 250000, or 250000.50."""
    if goal is None:
        return ""
    return f"{goal:.0f}" if goal == int(goal) else f"{goal:.2f}"


def team_name(team: int) -> str:
    return Team.objects.filter(pk=team).values_list("name", flat=True).first() or "the team"
