"""The demand waterfall: how many of the period's leads reached each stage,
how many moved on, how fast, and where the others left the main line.

A lead counts for every main stage up to the furthest its cycle reached (a
lead qualified and later rejected still counts as qualified). Each cycle is
counted once: a returning person's second cycle is a row of its own, and the
"by cycle" table keeps first and returning cycles apart. A cycle still open
(not won, lost or disqualified) that has not reached a stage yet is shown as
open, not as lost: long funnels are not undercounted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Case, Count, IntegerField, Value, When

from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import User
from leadgate.leads.records import RejectReason
from leadgate.lib.proportions import rate

from .aggregate import hour_histograms, hour_percentiles
from .facts import REACHED_FIELDS, SECONDS_FIELDS
from .filters import Filters
from .models import CycleFact
from .registry import Chart, Column, Report, Result, Table, register

EXITS = [Stage.NURTURE, Stage.DISQUALIFIED, Stage.REJECTED, Stage.LOST]
TOP_REASONS = 5
DAY = 86400.0
STAGE_NAMES = {
    Stage.INQUIRY: "Inquiry", Stage.MQL: "MQL", Stage.WORKING: "Working",
    Stage.QUALIFIED: "Qualified (SQL, handed off)", Stage.ACCEPTED: "Accepted (SAL)",
    Stage.OPPORTUNITY: "Opportunity", Stage.WON: "Won",
}


def reached_counts(by_furthest: dict[int, int]) -> list[int]:
    """How many reached each main stage, from how many stopped at each."""
    return [sum(n for furthest, n in by_furthest.items() if furthest >= i)
            for i in range(len(FUNNEL))]


def reason_label(exit: str, reason: str) -> str:
    if exit == Stage.REJECTED and reason in RejectReason.values:
        return str(RejectReason(reason).label)
    return reason or "no reason given"


@register
class Waterfall(Report):
    slug = "waterfall"
    title = "Demand waterfall"
    position = 10
    summary = ("Inquiry to won: how many reached each stage, conversion, days in each "
               "stage, and where the others left.")

    def compute(self, filters: Filters, user: User) -> Result:
        if filters.basis == "reached":
            return self._by_reach(filters)
        facts = filters.apply(CycleFact.objects.all())
        # One grouped pass for the stages, the cycles and the cohorts tables
        # (a few hundred groups): each reads every row of the period, and a
        # pass over half a million rows is most of a query's cost.
        passed = self._passed(facts, filters)
        by_furthest: Counter[int] = Counter()
        open_at: Counter[int] = Counter()
        for (_bucket, _which, furthest, is_open), n in passed.items():
            by_furthest[furthest] += n
            if is_open:
                open_at[furthest] += n
        reached = reached_counts(by_furthest)
        velocity = [hour_percentiles(histogram) for histogram in
                    hour_histograms(facts, SECONDS_FIELDS)] + [[None, None]]
        stages = Table("stages", "Stages", [
            Column("stage", "Stage", "text"), Column("reached", "Reached"),
            Column("from_previous", "From the stage before", "rate"),
            Column("from_top", "From inquiry", "percent"),
            Column("open", "Still open here"), Column("median_days", "Median days here", "days"),
            Column("p80_days", "80% moved on within", "days")],
            note="A stage's conversion has its 95% interval; leads still open at the stage "
                 "before are not counted as lost.")
        for i, stage in enumerate(FUNNEL):
            median, p80 = velocity[i]
            stages.rows.append({
                "stage": STAGE_NAMES[stage], "reached": reached[i],
                "from_previous": rate(reached[i], reached[i - 1]) if i else None,
                "from_top": reached[i] / reached[0] if reached[0] else None,
                "open": open_at[i],
                "median_days": None if median is None else median / DAY,
                "p80_days": None if p80 is None else p80 / DAY})
        result = Result(tables=[stages, self._exits(facts), self._cycles(passed),
                                self._cohorts(passed, filters)])
        result.charts.append(Chart("waterfall-chart", {
            "type": "bar", "format": "count", "title": "Leads reaching each stage",
            "labels": [STAGE_NAMES[s] for s in FUNNEL],
            "datasets": [{"label": "Reached", "data": reached},
                         {"label": "Still open here", "data": [open_at[i] for i in
                                                                range(len(FUNNEL))]}]}))
        cohorts = result.tables[3]
        result.charts.append(Chart("cohort-chart", {
            "type": "line", "format": "percent", "title": "Conversion by cohort",
            "labels": [row["cohort"] for row in cohorts.rows],
            "datasets": [{"label": "Inquiry → MQL", "data": [row["to_mql"] for row in
                                                             cohorts.rows]},
                         {"label": "Inquiry → SAL", "data": [row["to_sal"] for row in
                                                             cohorts.rows]},
                         {"label": "Inquiry → won", "data": [row["to_won"] for row in
                                                             cohorts.rows]}]}))
        return result

    def _exits(self, facts: Any) -> Table:
        table = Table("exits", "Side exits", [
            Column("exit", "Left to", "text"), Column("reason", "Reason", "text"),
            Column("leads", "Leads"), Column("share", "Share of the exit", "percent")],
            note=f"The {TOP_REASONS} most frequent reasons of each exit; the rest together.")
        per_exit: dict[str, Counter[str]] = defaultdict(Counter)
        for exit, reason, n in (facts.exclude(exit="").values("exit", "exit_reason")
                                .annotate(n=Count("pk")).order_by()
                                .values_list("exit", "exit_reason", "n")):
            per_exit[exit][reason_label(exit, reason)] += n
        for exit in EXITS:
            reasons = per_exit.get(exit.value, Counter())
            total = sum(reasons.values())
            table.rows.append({"exit": exit.label, "reason": "all reasons", "leads": total,
                               "share": 1.0 if total else None})
            top = reasons.most_common(TOP_REASONS)
            for reason, n in top:
                table.rows.append({"exit": exit.label, "reason": reason, "leads": n,
                                   "share": n / total})
            rest = total - sum(n for _r, n in top)
            if rest:
                table.rows.append({"exit": exit.label, "reason": "other reasons", "leads": rest,
                                   "share": rest / total})
        return table

    @staticmethod
    def _passed(facts: Any, filters: Filters) -> Counter[tuple[int, int, int, bool]]:
        """Rows per (cohort bucket, cycle: 1, 2 or 3 for later ones, furthest
        stage, still open)."""
        which = Case(When(cycle=1, then=Value(1)), When(cycle=2, then=Value(2)),
                     default=Value(3), output_field=IntegerField())
        return Counter({(bucket, cycle, furthest, is_open): n for bucket, cycle, furthest,
                        is_open, n in (
                            facts.annotate(b=filters.bucket(), which=which)
                            .values("b", "which", "furthest", "is_open")
                            .annotate(n=Count("pk")).order_by()
                            .values_list("b", "which", "furthest", "is_open", "n"))})

    def _cycles(self, passed: Counter[tuple[int, int, int, bool]]) -> Table:
        counts: dict[int, Counter[int]] = defaultdict(Counter)
        for (_bucket, cycle, furthest, _is_open), n in passed.items():
            counts[cycle][furthest] += n
        table = Table("cycles", "By cycle (recycled leads)", [
            Column("cycle", "Cycle", "text"),
            *(Column(stage.value, STAGE_NAMES[stage]) for stage in FUNNEL),
            Column("to_won", "Inquiry → won", "rate")])
        for cycle, label in ((1, "First"), (2, "Second"), (3, "Third or later")):
            reached = reached_counts(counts.get(cycle, Counter()))
            row: dict[str, Any] = {"cycle": label}
            row.update({stage.value: reached[i] for i, stage in enumerate(FUNNEL)})
            row["to_won"] = rate(reached[-1], reached[0])
            table.rows.append(row)
        return table

    def _cohorts(self, passed: Counter[tuple[int, int, int, bool]], filters: Filters) -> Table:
        counts: dict[int, Counter[int]] = defaultdict(Counter)
        open_now: Counter[int] = Counter()
        for (index, _cycle, furthest, is_open), n in passed.items():
            counts[index][furthest] += n
            if is_open:
                open_now[index] += n
        table = Table("cohorts", "Cohorts: leads by when they came in", [
            Column("cohort", "Came in", "text"), Column("inquiries", "Inquiries"),
            Column("mqls", "MQLs"), Column("sals", "SALs"), Column("won", "Won"),
            Column("to_mql", "→ MQL", "percent"), Column("to_sal", "→ SAL", "percent"),
            Column("to_won", "→ won", "percent"), Column("open", "Still open", "percent")],
            note="Recent cohorts have had less time: their open share shows what may still "
                 "convert.")
        sal = FUNNEL.index(Stage.ACCEPTED)
        for index, bucket in enumerate(filters.buckets()):
            reached = reached_counts(counts.get(index, Counter()))
            top = reached[0]
            table.rows.append({
                "cohort": bucket.label, "inquiries": top, "mqls": reached[1],
                "sals": reached[sal], "won": reached[-1],
                "to_mql": reached[1] / top if top else None,
                "to_sal": reached[sal] / top if top else None,
                "to_won": reached[-1] / top if top else None,
                "open": open_now[index] / top if top else None})
        return table

    def _by_reach(self, filters: Filters) -> Result:
        """Each stage counted when it was reached in the period, whenever the
        lead came in: what the period produced at each stage (the scorecard's
        view). Conversions between stages would mix cohorts, so none is shown."""
        segment = CycleFact.objects.filter(filters.segment())
        columns = ["entered_at", *REACHED_FIELDS]
        table = Table("reached", "Stages reached in the period", [
            Column("period", "Period", "text"),
            *(Column(stage.value, STAGE_NAMES[stage]) for stage in FUNNEL)],
            note="Each stage counted in the period it was reached; leads may have come in "
                 "earlier. Switch to cohorts for conversion rates.")
        per_bucket: dict[int, list[int]] = {}
        for i, column in enumerate(columns):
            for bucket, n in (segment.filter(filters.within(column))
                              .annotate(b=filters.bucket(column)).values("b")
                              .annotate(n=Count("pk")).order_by().values_list("b", "n")):
                per_bucket.setdefault(bucket, [0] * len(FUNNEL))[i] = n
        totals = [0] * len(FUNNEL)
        for index, bucket in enumerate(filters.buckets()):
            counts = per_bucket.get(index, [0] * len(FUNNEL))
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            table.rows.append({"period": bucket.label,
                               **{stage.value: counts[i] for i, stage in enumerate(FUNNEL)}})
        table.total = {"period": "Total", **{s.value: totals[i] for i, s in enumerate(FUNNEL)}}
        chart = Chart("reached-chart", {
            "type": "bar", "format": "count", "title": "Stages reached in the period",
            "labels": [STAGE_NAMES[s] for s in FUNNEL],
            "datasets": [{"label": "Reached in the period", "data": totals}]})
        return Result(tables=[table], charts=[chart])
