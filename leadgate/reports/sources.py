"""Source and campaign effectiveness: what each source and campaign turned
into (MQLs, SALs, opportunities, won deals, revenue, pipeline), what it cost,
what each step cost, how well it converts against the average, and who gets
the credit for the won revenue under three attribution models.

- A cycle belongs to the source and campaign of the inquiry that opened it
  (first touch, as `CycleFact` keeps it); leads with no source are "No source".
- Cost is what the campaigns cost in the period (`CampaignCost`): a cost row
  counts for the days it overlaps the period (11/31 of a March cost row in a
  period from March 21); a source's cost is its campaigns' costs. Rows in
  another currency than LEADGATE_CURRENCY are left out and said so.
- Cost per lead, MQL, SAL, opportunity and won deal is empty when the count
  is 0 (nothing to divide by) or when no cost is recorded for the row.
- Conversion (lead -> SAL, lead -> won) has its 95% Wilson interval; a row is
  "above average" or "below average" only when its whole interval lies above
  or below the rate of all rows together, so a small source is not ranked on
  noise.
- Attribution of the won revenue across the inquiries of each won cycle:
  first touch (the inquiry that opened the cycle), last touch (the last one
  before the win) and an even split among all of them, in cents so each
  model adds up to the won revenue exactly. Only the won cycles' inquiries are
  read, in one query.

With "stages reached in the period" each count is of the stage reached in the
period (revenue of deals won in it, pipeline of opportunities opened in it),
which is what the period's cost bought; conversions stay those of the leads
that came in during the period, since rates that mix cohorts mean nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from leadgate.intake.models import Campaign, CampaignCost, Source
from leadgate.leads.models import User
from leadgate.lib.proportions import Rate, rate

from .filters import Filters
from .models import CycleFact
from .registry import Chart, Column, Report, Result, Table, register

NO_SOURCE = "No source"
NO_CAMPAIGN = "No campaign"
CENT = Decimal("0.01")
ZERO = Decimal(0)
# The counts of each row, in the order of the funnel, with the column that
# says when a cycle reached the stage (a lead: when it came in).
STAGES = [("leads", "Leads", "entered_at"), ("mqls", "MQLs", "mql_at"),
          ("sals", "SALs", "accepted_at"), ("opportunities", "Opportunities", "opportunity_at"),
          ("won", "Won", "won_at")]
PER = [("per_lead", "Cost per lead", "leads"), ("per_mql", "Cost per MQL", "mqls"),
       ("per_sal", "Cost per SAL", "sals"), ("per_opportunity", "Cost per opportunity",
                                             "opportunities"),
       ("per_won", "Cost per won deal", "won")]
ABOVE, BELOW, TIED = "above average", "below average", "not told apart"


@dataclass
class Figures:
    """What one source, campaign or all of them came to."""

    leads: int = 0
    mqls: int = 0
    sals: int = 0
    opportunities: int = 0
    won: int = 0
    revenue: Decimal = ZERO
    pipeline: Decimal = ZERO
    # The leads that came in during the period and how many of them reached
    # SAL and won: the base of the conversion rates.
    cohort: int = 0
    cohort_sals: int = 0
    cohort_won: int = 0
    cost: Decimal | None = None  # None: no cost recorded

    def add(self, other: Figures) -> None:
        for name in ("leads", "mqls", "sals", "opportunities", "won", "revenue", "pipeline",
                     "cohort", "cohort_sals", "cohort_won"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.add_cost(other.cost)

    def add_cost(self, cost: Decimal | None) -> None:
        if cost is not None:
            self.cost = (self.cost or ZERO) + cost


@dataclass
class Credit:
    """Won revenue credited to one source or campaign by each model."""

    deals: int = 0  # won deals it opened (first touch)
    first: Decimal = ZERO
    last: Decimal = ZERO
    even: Decimal = ZERO


def period_costs(filters: Filters) -> tuple[dict[int, Decimal], set[str]]:
    """Each campaign's cost in the period (to the cent), and the currencies of
    cost rows left out (not LEADGATE_CURRENCY)."""
    rows = CampaignCost.objects.filter(period_start__lt=filters.end,
                                       period_end__gte=filters.start)
    if filters.campaigns:
        rows = rows.filter(campaign_id__in=filters.campaigns)
    if filters.sources:
        rows = rows.filter(campaign__source_id__in=filters.sources)
    currency = settings.LEADGATE_CURRENCY
    costs: dict[int, Decimal] = defaultdict(lambda: ZERO)
    others: set[str] = set()
    for campaign_id, first, last, amount, row_currency in rows.values_list(
            "campaign_id", "period_start", "period_end", "amount", "currency"):
        if (row_currency or currency).upper() != currency:
            others.add(row_currency)
            continue
        costs[campaign_id] += CampaignCost.spread(amount, first, last, filters.start,
                                                     filters.end)
    return {pk: cost.quantize(CENT) for pk, cost in costs.items()}, others


def split(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` equal shares to the cent, the odd cents to the first
    shares: they add up to `amount` exactly."""
    cents = int((amount / CENT).to_integral_value())
    share, odd = divmod(cents, parts)
    return [Decimal(share + (1 if i < odd else 0)) * CENT for i in range(parts)]


def versus(conversion: Rate, average: Rate) -> str | None:
    """Where a row's rate stands against the average, by its interval."""
    if conversion.value is None or average.value is None:
        return None
    if conversion.low is not None and conversion.low > average.value:
        return ABOVE
    if conversion.high is not None and conversion.high < average.value:
        return BELOW
    return TIED


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def _cells(figures: Figures, average: Figures | None) -> dict[str, Any]:
    """A row's cells; `average` is the all-rows figures (None: the total row)."""
    row: dict[str, Any] = {key: getattr(figures, key) for key, _label, _c in STAGES}
    row["revenue"], row["pipeline"] = _money(figures.revenue), _money(figures.pipeline)
    cost = figures.cost
    row["cost"] = _money(cost)
    for key, _label, count in PER:
        n = getattr(figures, count)
        row[key] = (cost / n).quantize(CENT) if cost is not None and n else None
    row["roi"] = float((figures.revenue - cost) / cost) if cost else None
    row["pipeline_per_cost"] = float(figures.pipeline / cost) if cost else None
    row["cohort"] = figures.cohort
    row["to_sal"] = rate(figures.cohort_sals, figures.cohort)
    row["to_won"] = rate(figures.cohort_won, figures.cohort)
    if average is not None:
        row["to_sal_vs"] = versus(row["to_sal"], rate(average.cohort_sals, average.cohort))
        row["to_won_vs"] = versus(row["to_won"], rate(average.cohort_won, average.cohort))
    return row


def _tables(prefix: str, label_columns: list[Column],
            rows: list[tuple[dict[str, Any], Figures]], total: Figures,
            total_labels: dict[str, Any]) -> list[Table]:
    """Three tables of one grouping (by source or by campaign): what it came
    to and returned, what each step cost, how it converts against the
    average. Rows in the order given, the same in the three."""
    what = "source" if prefix == "source" else "campaign"
    volume = Table(f"{prefix}s", f"By {what}: leads to revenue", [
        *label_columns, *(Column(key, label) for key, label, _c in STAGES),
        Column("revenue", "Revenue", "money"), Column("pipeline", "Pipeline", "money"),
        Column("cost", "Cost", "money"), Column("roi", "ROI", "percent"),
        Column("pipeline_per_cost", "Pipeline per 1 of cost", "number")],
        note="ROI is (revenue − cost) / cost. Sorted by revenue."
        + (" A campaign's leads are those whose cycle it opened; its cost is its own."
           if prefix == "campaign" else ""))
    costs = Table(f"{prefix}-costs", f"By {what}: cost per step", [
        *label_columns, Column("cost", "Cost", "money"),
        *(Column(key, label, "money") for key, label, _c in PER)],
        note="Empty when nothing reached the step or no cost is recorded.")
    conversion = Table(f"{prefix}-conversion", f"By {what}: conversion against the average", [
        *label_columns, Column("cohort", "Leads that came in"),
        Column("to_sal", "Lead → SAL", "rate"), Column("to_sal_vs", "Lead → SAL vs average",
                                                       "text"),
        Column("to_won", "Lead → won", "rate"), Column("to_won_vs", "Lead → won vs average",
                                                       "text")],
        note="With the 95% interval; above or below the average only when the whole "
             "interval is, so a small one is not ranked on noise. Leads still open count as "
             "not converted yet.")
    tables = [volume, costs, conversion]
    for labels, figures in rows:
        cells = {**labels, **_cells(figures, total)}
        for table in tables:
            table.rows.append({c.key: cells.get(c.key) for c in table.columns})
    cells = {**total_labels, **_cells(total, None)}
    for table in tables:
        table.total = {c.key: cells.get(c.key) for c in table.columns}
    return tables


def _order(item: tuple[str, Figures]) -> tuple[Any, ...]:
    label, figures = item
    return (-figures.revenue, -figures.leads, label in (NO_SOURCE, NO_CAMPAIGN),
            label.lower())


def _sum(rows: Iterable[dict[str, Any]], *names: str) -> dict[str, Any]:
    return {name: sum((row[name] for row in rows), ZERO) for name in names}


@register
class Sources(Report):
    slug = "sources"
    title = "Source and campaign effectiveness"
    summary = ("Per source and campaign: leads to won, revenue and pipeline, cost per step, "
               "ROI, conversion against the average, and who gets the credit for won revenue.")

    def compute(self, filters: Filters, user: User) -> Result:
        by_campaign = self._figures(filters)
        costs, other_currencies = period_costs(filters)
        campaigns = {pk: (name, source_id) for pk, name, source_id in
                     Campaign.objects.values_list("pk", "name", "source_id")}
        sources: dict[int | None, str] = dict(Source.objects.values_list("pk", "name"))
        for spent_on, cost in costs.items():
            by_campaign.setdefault((campaigns[spent_on][1], spent_on), Figures()).add_cost(cost)

        per_source: dict[str, Figures] = defaultdict(Figures)
        per_campaign: dict[int | None, Figures] = defaultdict(Figures)
        total = Figures()
        for (source_id, campaign_id), figures in by_campaign.items():
            per_source[sources.get(source_id, NO_SOURCE)].add(figures)
            per_campaign[campaign_id].add(figures)
            total.add(figures)

        source_tables = _tables("source", [Column("source", "Source", "text")], [
            ({"source": name}, figures) for name, figures in sorted(per_source.items(),
                                                                    key=_order)],
            total, {"source": "All sources"})
        named = {(campaigns[pk][0] if pk is not None else NO_CAMPAIGN): (pk, figures)
                 for pk, figures in per_campaign.items()}
        campaign_tables = _tables("campaign", [
            Column("campaign", "Campaign", "text"), Column("campaign_source", "Its source",
                                                           "text")], [
            ({"campaign": name, "campaign_source": sources.get(campaigns[pk][1], "")
              if pk is not None else ""}, figures)
            for name, (pk, figures) in sorted(named.items(),
                                              key=lambda item: _order((item[0], item[1][1])))],
            total, {"campaign": "All campaigns"})
        attribution, campaign_attribution = self._attribution(filters, sources, campaigns)
        result = Result(tables=[*source_tables, attribution, *campaign_tables,
                                campaign_attribution])
        source_table = source_tables[0]
        currency = settings.LEADGATE_CURRENCY
        result.charts.append(Chart("sources-chart", {
            "type": "bar", "format": "money", "currency": currency,
            "title": "Won revenue and cost by source",
            "labels": [row["source"] for row in source_table.rows],
            "datasets": [
                {"label": "Revenue", "data": [float(row["revenue"]) for row in
                                              source_table.rows]},
                {"label": "Cost", "data": [None if row["cost"] is None else float(row["cost"])
                                           for row in source_table.rows]}]}))
        result.charts.append(Chart("attribution-chart", {
            "type": "bar", "format": "money", "currency": currency,
            "title": "Won revenue by source, three ways of giving credit",
            "labels": [row["source"] for row in attribution.rows],
            "datasets": [{"label": label, "data": [float(row[key]) for row in
                                                   attribution.rows]}
                         for key, label in (("first_touch", "First touch"),
                                            ("last_touch", "Last touch"),
                                            ("even_split", "Even split"))]}))
        result.notes += self._notes(filters, other_currencies)
        return result

    # -- the figures ------------------------------------------------------------------

    def _figures(self, filters: Filters) -> dict[tuple[int | None, int | None], Figures]:
        """Per (source, campaign): one grouped query for the period's cohort
        (and one more for the stages reached in the period)."""
        found: dict[tuple[int | None, int | None], Figures] = {}
        cohort = filters.apply(CycleFact.objects.all())
        for row in (cohort.values("source_id", "campaign_id")
                    .annotate(leads=Count("pk"), mqls=Count("mql_at"),
                              sals=Count("accepted_at"), opportunities=Count("opportunity_at"),
                              won=Count("won_at"), revenue=Sum("revenue"),
                              pipeline=Sum("pipeline"))
                    .order_by()):
            figures = found.setdefault((row["source_id"], row["campaign_id"]), Figures())
            figures.cohort, figures.cohort_sals, figures.cohort_won = \
                row["leads"], row["sals"], row["won"]
            if filters.basis != "reached":
                for key, _label, _column in STAGES:
                    setattr(figures, key, row[key])
                figures.revenue = row["revenue"] or ZERO
                figures.pipeline = row["pipeline"] or ZERO
        if filters.basis == "reached":
            reached = CycleFact.objects.filter(filters.segment() & self._any_within(filters))
            counts: dict[str, Any] = {key: Count("pk", filter=filters.within(column))
                                      for key, _label, column in STAGES}
            for row in (reached.values("source_id", "campaign_id")
                        .annotate(**counts,
                                  revenue=Sum("revenue", filter=filters.within("won_at")),
                                  pipeline=Sum("pipeline",
                                               filter=filters.within("opportunity_at")))
                        .order_by()):
                figures = found.setdefault((row["source_id"], row["campaign_id"]), Figures())
                for key, _label, _column in STAGES:
                    setattr(figures, key, row[key])
                figures.revenue = row["revenue"] or ZERO
                figures.pipeline = row["pipeline"] or ZERO
        return found

    @staticmethod
    def _any_within(filters: Filters) -> Q:
        q = Q()
        for _key, _label, column in STAGES:
            q |= filters.within(column)
        return q

    def _won(self, filters: Filters) -> QuerySet[CycleFact]:
        """The won cycles whose revenue the report counts."""
        if filters.basis == "reached":
            return CycleFact.objects.filter(filters.segment() & filters.within("won_at"))
        return filters.apply(CycleFact.objects.all()).filter(won_at__isnull=False)

    # -- attribution --------------------------------------------------------------------

    def _attribution(self, filters: Filters, sources: dict[int | None, str],
                     campaigns: dict[int, tuple[str, int]]) -> tuple[Table, Table]:
        # The won cycles with every inquiry of their lead, in one query (a
        # join through the lead): the facts are read once, not again in a
        # subquery; the inquiries of other cycles are dropped here.
        cycles: dict[tuple[int, int], tuple[int | None, int | None, Decimal, Any]] = {}
        found: dict[tuple[int, int], list[tuple[Any, int, int | None, int | None]]] = \
            defaultdict(list)
        rows: Iterable[tuple[Any, ...]] = self._won(filters).order_by().values_list(
            "lead_id", "cycle", "source_id", "campaign_id", "revenue", "won_at",
            "lead__inquiries__id", "lead__inquiries__cycle", "lead__inquiries__source_id",
            "lead__inquiries__campaign_id", "lead__inquiries__received_at")
        for (lead_id, cycle, first_source, first_campaign, revenue, won_at, inquiry_id,
             inquiry_cycle, inquiry_source, inquiry_campaign, at) in rows:
            cycles[lead_id, cycle] = (first_source, first_campaign, revenue, won_at)
            if inquiry_id is not None and inquiry_cycle == cycle and \
                    (won_at is None or at <= won_at):
                found[lead_id, cycle].append((at, inquiry_id, inquiry_source, inquiry_campaign))
        touches = {key: [(source, campaign) for _at, _id, source, campaign in sorted(seen)]
                   for key, seen in found.items()}
        by_source: dict[int | None, Credit] = defaultdict(Credit)
        by_campaign: dict[int | None, Credit] = defaultdict(Credit)
        for key, (source_id, campaign_id, revenue, _at) in cycles.items():
            # A cycle with no inquiry kept (a lead entered by hand) is its own touch.
            path = touches.get(key) or [(source_id, campaign_id)]
            for credits, index, first in ((by_source, 0, source_id),
                                          (by_campaign, 1, campaign_id)):
                credits[first].deals += 1
                credits[first].first += revenue
                credits[path[-1][index]].last += revenue
                for touch, share in zip(path, split(revenue, len(path)), strict=True):
                    credits[touch[index]].even += share
        return (self._credit_table("attribution", "Attribution of won revenue by source",
                                   "source", "Source",
                                   {pk: sources.get(pk, NO_SOURCE) if pk else NO_SOURCE
                                    for pk in by_source}, by_source),
                self._credit_table("attribution-campaigns",
                                   "Attribution of won revenue by campaign", "campaign",
                                   "Campaign",
                                   {pk: campaigns[pk][0] if pk in campaigns else NO_CAMPAIGN
                                    for pk in by_campaign}, by_campaign))

    def _credit_table(self, table_id: str, title: str, key: str, label: str,
                      names: dict[int | None, str],
                      credits: dict[int | None, Credit]) -> Table:
        table = Table(table_id, title, [
            Column(key, label, "text"), Column("deals", "Won deals it opened"),
            Column("first_touch", "First touch", "money"),
            Column("last_touch", "Last touch", "money"),
            Column("even_split", "Even split (multi-touch)", "money")],
            note="The won revenue of the period's cycles, credited to the inquiry that opened "
                 "the cycle (first touch), to the last inquiry before the win (last touch), or "
                 "in equal shares to every inquiry of the cycle (even split). Each column adds "
                 "up to the same won revenue.")
        merged: dict[str, Credit] = defaultdict(Credit)
        for pk, credit in credits.items():
            into = merged[names[pk]]
            into.deals += credit.deals
            into.first += credit.first
            into.last += credit.last
            into.even += credit.even
        for name, credit in sorted(merged.items(), key=lambda item: (
                -item[1].first, -item[1].even, -item[1].last, item[0].lower())):
            table.rows.append({key: name, "deals": credit.deals,
                               "first_touch": _money(credit.first),
                               "last_touch": _money(credit.last),
                               "even_split": _money(credit.even)})
        table.total = {key: "All", "deals": sum(row["deals"] for row in table.rows),
                       **{name: _money(value) for name, value in
                          _sum(table.rows, "first_touch", "last_touch",
                               "even_split").items()}}
        return table

    # -- words --------------------------------------------------------------------------

    @staticmethod
    def _notes(filters: Filters, other_currencies: set[str]) -> list[str]:
        notes = ["Cost is what the campaigns cost in the period: a cost row counts for the "
                 "days it overlaps the period; a source's cost is its campaigns' costs."]
        if filters.basis == "reached":
            notes.append("Each count is of the stage reached in the period (revenue of deals "
                         "won in it, pipeline of opportunities opened in it); conversion "
                         "rates are those of the leads that came in during the period.")
        narrowed = (filters.countries or filters.industry or filters.band or filters.grade
                    or filters.team is not None or filters.qualifier is not None
                    or filters.channel or filters.cycle)
        if narrowed:
            notes.append("The segment filters narrow the leads, not the costs: cost per lead "
                         "is the campaigns' whole cost over the segment's leads.")
        if other_currencies:
            notes.append(f"Cost rows in {', '.join(sorted(other_currencies))} are left out: "
                         f"the report counts in {settings.LEADGATE_CURRENCY}.")
        return notes
