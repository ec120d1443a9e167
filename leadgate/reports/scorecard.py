"""The sales & marketing scorecard: what each month produced at each stage,
against the targets managers set (reports.Target), with the gap, the trend
and the year to date. One page a CEO reads in a minute, and a printable
version (scorecard_views: ?print=1).

What a month's figure is:
- inquiries: the cycles that began in the month (CycleFact.entered_at);
- MQLs, SALs, opportunities, won: the cycles that REACHED the stage in the
  month (mql_at, accepted_at, opportunity_at, won_at), whenever they came in:
  what the month produced, not how the month's cohort converted (the
  waterfall shows that);
- revenue: the won revenue of the cycles won in the month;
- cost: the campaign costs (intake.CampaignCost) spread over their period by
  days, the month's share of each.

Months are the viewer's (the time zone active for the request). The filters'
period picks the months shown; its last month (never later than this one) is
"the month" of the table, compared with the month before, the same month a
year before and the year to date. Targets are the company's (team empty) or,
with the team filter, the team's; with any other segment filter a target
would compare a part with the whole, so none is shown.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DateTimeField, F, Func, Q, Sum
from django.utils import timezone

from leadgate.intake.models import Campaign, CampaignCost
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Team, User

from .filters import MONTH_NAMES, Filters, _add_months
from .models import CycleFact, Target
from .registry import Chart, Column, Report, Result, Table, register

Metric = Target.Metric
# The stages and the column that says when a cycle reached each.
STAGE_COLUMNS: list[tuple[str, str]] = [
    (Metric.INQUIRIES, "entered_at"),
    (Metric.MQLS, "mql_at"),
    (Metric.SALS, "accepted_at"),
    (Metric.OPPORTUNITIES, "opportunity_at"),
    (Metric.WON, "won_at"),
]
COUNT_METRICS = [metric for metric, _column in STAGE_COLUMNS]
# The stage columns with an index of their own (CycleFact.Meta.indexes).
INDEXED_STAGES = frozenset({"accepted_at", "won_at"})
MONEY_METRICS = [Metric.REVENUE, Metric.COST]
METRICS = [*COUNT_METRICS, *MONEY_METRICS]
LABELS: dict[str, str] = {
    Metric.INQUIRIES: "Inquiries", Metric.MQLS: "MQLs", Metric.SALS: "SALs (accepted)",
    Metric.OPPORTUNITIES: "Opportunities", Metric.WON: "Won deals", Metric.REVENUE: "Revenue",
    Metric.COST: "Marketing cost",
}
SHORT: dict[str, str] = {Metric.INQUIRIES: "Inquiries", Metric.MQLS: "MQLs", Metric.SALS: "SALs",
         Metric.OPPORTUNITIES: "Opps", Metric.WON: "Won", Metric.REVENUE: "Revenue",
         Metric.COST: "Cost"}
EDITORS = (Role.MANAGER, Role.ADMIN)
CENT = Decimal("0.01")

Number = int | float | Decimal


def month_label(month: date) -> str:
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def month_starts(first: date, last: date) -> list[date]:
    """The first days of the months from `first`'s to `last`'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return months


def target_number(value: Decimal, metric: str) -> Number:
    """A count's target reads as a count (120, not 120.00)."""
    if metric in MONEY_METRICS:
        return value
    return int(value) if value == value.to_integral_value() else float(value)


# -- the figures -----------------------------------------------------------------------


class Scanned(Func):
    """A column as it is, written `+column` on SQLite: the documented way to
    keep SQLite from using the column's index (PostgreSQL's planner chooses
    by itself)."""

    template = "%(expressions)s"

    def __init__(self, column: str) -> None:
        super().__init__(F(column), output_field=DateTimeField())

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def stage_actuals(segment: Q, first: date, end: date,
                  stages: list[tuple[str, str]] | None = None) -> dict[str, dict[date, Number]]:
    """Per metric (the stages and, with won, revenue), per month from `first`
    to `end` (the first day of the month after the last): one grouped query
    per stage, the month found by a CASE over the month boundaries
    (filters.bucket). `stages`: some of STAGE_COLUMNS (default all)."""
    span = Filters(start=first, end=end, grouping="month")
    months = [bucket.start for bucket in span.buckets()]
    stages = STAGE_COLUMNS if stages is None else stages
    found: dict[str, dict[date, Number]] = {metric: dict.fromkeys(months, 0)
                                            for metric, _column in stages}
    found[Metric.REVENUE] = dict.fromkeys(months, Decimal(0))
    for metric, column in stages:
        # The months read are most of the table: scan it rather than follow
        # the entered_at index to every row (a lookup per row once another
        # filter needs the row: ten times slower on SQLite at a million).
        # Accepted and won: a tenth of the rows have them, read through
        # their own index.
        at = column if column in INDEXED_STAGES else f"{column}_scanned"
        rows = (CycleFact.objects.annotate(**({} if at == column else {at: Scanned(column)}))
                .filter(span.within(at) & segment)
                .annotate(b=span.bucket(at)).values("b"))
        if metric == Metric.WON:
            for index, n, revenue in (rows.annotate(n=Count("pk"), revenue=Sum("revenue"))
                                      .order_by().values_list("b", "n", "revenue")):
                found[metric][months[index]] = n
                found[Metric.REVENUE][months[index]] = Decimal(revenue or 0)
        else:
            for index, n in rows.annotate(n=Count("pk")).order_by().values_list("b", "n"):
                found[metric][months[index]] = n
    return found


def monthly_costs(first: date, end: date,
                  campaigns: list[int] | None = None) -> dict[date, Decimal]:
    """Campaign costs per month from `first` to `end` (exclusive): each cost
    spread evenly over the days of its period (start and end days included),
    each month taking the share of its days. `campaigns`: only these (None:
    all). Costs in another currency than LEADGATE_CURRENCY are left out."""
    months = month_starts(first, end - timedelta(days=1))
    totals: dict[date, Decimal] = dict.fromkeys(months, Decimal(0))
    costs = CampaignCost.objects.filter(period_start__lt=end, period_end__gte=first,
                                        currency=settings.LEADGATE_CURRENCY)
    if campaigns is not None:
        costs = costs.filter(campaign_id__in=campaigns)
    for start, last, amount in costs.values_list("period_start", "period_end", "amount"):
        for month in months:
            totals[month] += CampaignCost.spread(amount, start, last, month,
                                                 _add_months(month, 1))
    return {month: total.quantize(CENT) for month, total in totals.items()}


def other_currencies(first: date, end: date) -> bool:
    return CampaignCost.objects.filter(period_start__lt=end, period_end__gte=first).exclude(
        currency=settings.LEADGATE_CURRENCY).exists()


def targets_of(first: date, end: date, team: int | None) -> dict[str, dict[date, Number]]:
    """The targets set for the months from `first` to `end` (exclusive), of
    the team (None: the company)."""
    found: dict[str, dict[date, Number]] = defaultdict(dict)
    rows = Target.objects.filter(month__gte=first, month__lt=end)
    rows = rows.filter(team_id=team) if team is not None else rows.filter(team__isnull=True)
    for month, metric, value in rows.values_list("month", "metric", "value"):
        found[metric][month] = target_number(value, metric)
    return found


def cost_campaigns(filters: Filters) -> list[int] | None:
    """The campaigns whose costs belong to the filtered figures (None: all)."""
    if not filters.sources and not filters.campaigns:
        return None
    campaigns = Campaign.objects.all()
    if filters.sources:
        campaigns = campaigns.filter(source_id__in=filters.sources)
    if filters.campaigns:
        campaigns = campaigns.filter(pk__in=filters.campaigns)
    return list(campaigns.values_list("pk", flat=True))


def beyond_team(filters: Filters) -> bool:
    """Whether a filter other than the period and the team narrows the figures."""
    plain = Filters(start=filters.start, end=filters.end, team=filters.team)
    return dataclasses.replace(filters, grouping="month", basis="entered") != plain


def beyond_campaigns(filters: Filters) -> bool:
    """Whether a filter that campaign costs cannot follow is set (costs are
    kept per campaign, not per team, segment or qualifier)."""
    plain = Filters(start=filters.start, end=filters.end, sources=filters.sources,
                    campaigns=filters.campaigns)
    return dataclasses.replace(filters, grouping="month", basis="entered") != plain


def first_data_at() -> Any:
    return CycleFact.objects.order_by("entered_at").values_list("entered_at", flat=True).first()


def ratio(actual: Number | None, target: Number | None) -> float | None:
    if actual is None or target is None or not target:
        return None
    return float(actual) / float(target)


def change(now: Number | None, before: Number | None) -> float | None:
    if now is None or before is None or not before:
        return None
    return (float(now) - float(before)) / float(before)


def minus(a: Number | None, b: Number | None) -> Number | None:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a) - Decimal(b)
    return a - b


def total(values: list[Number | None]) -> Number | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if any(isinstance(v, Decimal) for v in present):
        return sum((Decimal(v) for v in present), Decimal(0))
    return sum(present)


@dataclasses.dataclass
class Card:
    """Everything the scorecard shows, before it becomes tables."""

    month: date  # the month of the table
    months: list[date]  # the months of the period (the chart, the monthly table)
    actual: dict[str, dict[date, Number | None]]
    target: dict[str, dict[date, Number]]
    last_year_known: bool
    ytd_months: list[date]
    elapsed: tuple[int, int] | None  # (days gone, days) of a month in progress
    targets_apply: bool
    cost_known: bool


def figures(filters: Filters, today: date | None = None) -> Card:
    """The scorecard's figures for these filters (see the module's docstring)."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    month = min(filters.last_day.replace(day=1), this_month)
    months = month_starts(filters.start, filters.last_day)
    first = min([months[0], month.replace(month=1), _add_months(month, -12)])
    last = max(months[-1], month)
    end = _add_months(last, 1)
    data_from = first_data_at()
    # The year before is known when data goes back to its first day.
    year_before = _add_months(month, -12)
    last_year_known = data_from is not None and timezone.localtime(data_from).date() <= year_before
    segment = filters.segment()
    counted = stage_actuals(segment, first, end)
    cost_known = not beyond_campaigns(filters)
    costs = monthly_costs(first, end, cost_campaigns(filters)) if cost_known else {}
    actual: dict[str, dict[date, Number | None]] = {}
    for metric in METRICS:
        values: dict[date, Number | None] = {}
        for m in month_starts(first, last):
            if m > this_month:
                values[m] = None  # not yet
            elif metric == Metric.COST:
                values[m] = costs.get(m) if cost_known else None
            else:
                values[m] = counted[metric][m]
        actual[metric] = values
    targets_apply = not beyond_team(filters)
    target = targets_of(first, end, filters.team) if targets_apply else {}
    elapsed = None
    if month == this_month:
        days = (_add_months(month, 1) - month).days
        elapsed = (today.day, days)
    return Card(month=month, months=months, actual=actual, target=dict(target),
                last_year_known=last_year_known,
                ytd_months=month_starts(month.replace(month=1), month), elapsed=elapsed,
                targets_apply=targets_apply, cost_known=cost_known)


def summary_row(card: Card, metric: str) -> dict[str, Any]:
    month, actual, target = card.month, card.actual[metric], card.target.get(metric, {})
    previous, year_before = _add_months(month, -1), _add_months(month, -12)
    now, aim = actual.get(month), target.get(month)
    before = actual.get(previous)
    attainment = ratio(now, aim)
    last_year = actual.get(year_before) if card.last_year_known else None
    ytd = total([actual.get(m) for m in card.ytd_months])
    ytd_target = total([target.get(m) for m in card.ytd_months])
    return {
        "metric": LABELS[metric], "key": metric, "actual": now, "target": aim,
        "gap": minus(now, aim), "attainment": attainment, "previous": before,
        "change": change(now, before), "last_year": last_year,
        "yoy": change(now, last_year), "ytd": ytd, "ytd_target": ytd_target,
        "ytd_gap": minus(ytd, ytd_target), "ytd_attainment": ratio(ytd, ytd_target),
        # Not a column: how the print view colours the month's attainment.
        "tone": tone(metric, attainment, card.elapsed),
    }


def tone(metric: str, attainment: float | None, elapsed: tuple[int, int] | None) -> str:
    """"ahead" or "behind" of target (a month in progress against its share
    of the days gone); for cost (a month's cost is known in full from its
    first day), spending no more than the target is ahead."""
    if attainment is None:
        return ""
    if metric == Metric.COST:
        return "ahead" if attainment <= 1 else "behind"
    due = elapsed[0] / elapsed[1] if elapsed else 1.0
    return "ahead" if attainment >= due else "behind"


def summary_columns(card: Card, kind: str) -> list[Column]:
    month, previous = card.month, _add_months(card.month, -1)
    year_before = _add_months(card.month, -12)
    return [
        Column("metric", "Measure", "text"),
        Column("actual", month_label(month), kind),
        Column("target", "Target", kind),
        Column("gap", "Gap", kind),
        Column("attainment", "% of target", "percent"),
        Column("previous", month_label(previous), kind),
        Column("change", f"vs {MONTH_NAMES[previous.month - 1]}", "percent"),
        *([Column("last_year", month_label(year_before), kind),
           Column("yoy", "vs a year before", "percent")] if card.last_year_known else []),
        Column("ytd", f"{card.month.year} to date", kind),
        Column("ytd_target", "Target to date", kind),
        Column("ytd_attainment", "% of target to date", "percent"),
    ]


def monthly_table(card: Card) -> Table:
    columns = [Column("month", "Month", "text")]
    for metric in METRICS:
        kind = "money" if metric in MONEY_METRICS else "count"
        columns += [Column(metric, SHORT[metric], kind),
                    Column(f"{metric}_target", f"{SHORT[metric]} target", kind)]
    table = Table("monthly", "Month by month", columns,
                  note="Actuals and targets of each month of the period; the charts' numbers.")
    for month in card.months:
        row: dict[str, Any] = {"month": month_label(month)}
        for metric in METRICS:
            row[metric] = card.actual[metric].get(month)
            row[f"{metric}_target"] = card.target.get(metric, {}).get(month)
        table.rows.append(row)
    return table


def target_chart(card: Card, chart_id: str, metric: str, title: str) -> Chart:
    money = metric in MONEY_METRICS
    actual = [card.actual[metric].get(m) for m in card.months]
    target = [card.target.get(metric, {}).get(m) for m in card.months]
    spec: dict[str, Any] = {
        "type": "bar", "format": "money" if money else "count", "title": title,
        "labels": [month_label(m) for m in card.months],
        "datasets": [{"label": "Actual", "data": [None if v is None else float(v)
                                                  for v in actual]},
                     {"label": "Target", "data": [None if v is None else float(v)
                                                  for v in target], "dashed": True}]}
    if money:
        spec["currency"] = settings.LEADGATE_CURRENCY
    return Chart(chart_id, spec)


def team_name(team: int | None) -> str:
    if team is None:
        return ""
    return Team.objects.filter(pk=team).values_list("name", flat=True).first() or ""


@register
class Scorecard(Report):
    slug = "scorecard"
    title = "Sales & marketing scorecard"
    summary = ("Each month's inquiries, MQLs, SALs, opportunities, won deals, revenue and cost "
               "against target, with the trend and the year to date.")
    template = "reports/scorecard_extra.html"

    def compute(self, filters: Filters, user: User) -> Result:
        card = figures(filters)
        label = month_label(card.month)
        stages = Table("scorecard", f"Leads at each stage, {label}",
                       summary_columns(card, "count"),
                       rows=[summary_row(card, m) for m in COUNT_METRICS],
                       note="Inquiries counted in the month they came in; every other stage "
                            "in the month it was reached.")
        money = Table("money", f"Revenue and cost, {label}", summary_columns(card, "money"),
                      rows=[summary_row(card, m) for m in MONEY_METRICS],
                      note="Revenue of the deals won in the month; campaign costs spread over "
                           "their period by days. For cost, a gap above zero is an overspend.")
        result = Result(tables=[stages, money, monthly_table(card)])
        result.charts = [
            target_chart(card, "revenue-chart", Metric.REVENUE, "Revenue: actual vs target"),
            target_chart(card, "sals-chart", Metric.SALS, "SALs: actual vs target"),
        ]
        notes = []
        if card.elapsed is not None:
            gone, days = card.elapsed
            notes.append(f"{label} is in progress: day {gone} of {days}. Its targets are for "
                         "the whole month.")
        if not card.targets_apply:
            notes.append("Targets are set for the company or a team: with these filters the "
                         "figures have none to compare with.")
        elif not any(card.target.get(m) for m in METRICS):
            notes.append("No targets are set for these months yet.")
        else:
            set_months = {m for metric in METRICS for m in card.target.get(metric, {})}
            missing = [m for m in card.ytd_months if m not in set_months]
            if missing:
                notes.append(f"No targets for {', '.join(month_label(m) for m in missing)}: "
                             "the targets to date leave them out.")
        if not card.cost_known:
            notes.append("Campaign costs are kept per campaign, not per team, segment or "
                         "qualifier: the cost shows with no filter but source and campaign.")
        if other_currencies(card.months[0], _add_months(card.month, 1)):
            notes.append(f"Campaign costs in a currency other than "
                         f"{settings.LEADGATE_CURRENCY} are left out.")
        result.notes = notes
        team = team_name(filters.team)
        result.extra = {
            "month": card.month, "month_label": label, "team": team,
            "scope": team or "The company",
            "may_edit_targets": user.has_role(*EDITORS),
            "targets_year": card.month.year,
        }
        return result
