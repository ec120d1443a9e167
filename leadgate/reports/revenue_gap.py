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
(static/js/revenue_gap.js) with `revenue_gap_figures.estimate()`, the same
formula: the measured inputs travel in json_script. Response time and attempts scale the
conversion of leads not yet worked (new leads, open cycles at inquiry or MQL)
by this database's own ratio of conversion (answered within 5 minutes vs
slower, 6+ attempts vs fewer); nurture coverage adds (or takes away) nurtured
long-term leads at the nurtured conversion.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.http import QueryDict
from django.utils import timezone

from leadgate.intake.models import Source
from leadgate.leads.models import Team, User
from leadgate.lib.proportions import rate

from .filters import Filters
from .models import CycleFact
from .registry import Chart, Column, Report, Result, Table, register
from .revenue_gap_figures import (
    ATTEMPTS,
    GROUPS,
    LEVELS,
    MIN_COMPARABLE,
    NO_BAND,
    NO_SOURCE,
    STEP_NAMES,
    WON,
    Comparable,
    Left,
    Seen,
    chances,
    defaults,
    estimate,
    leads_needed,
    parse_goal,
    pick,
    read,
    target_goal,
)
from .templatetags.report_cells import CURRENCY_SIGNS, cell

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
