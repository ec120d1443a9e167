"""Qualifier (SDR) performance: what each qualifier did in the period (touches
by channel, dials, connects, conversations, meetings booked, verdicts,
handoffs) and what it turned into (sales' acceptance and reject reasons,
SALs, won revenue, first-response time, SLA compliance), against a per-head
share of the team's targets.

Every figure counts what happened in the period, whenever the lead came in
(a qualifier's month is the calls made in it, not those made on the month's
leads): touches and verdicts by their time, handoffs by when they were sent,
SALs and wins by when they were reached, response clocks by when they
started. The "Count" (basis) filter does not apply.

Who a figure belongs to:
- touches to their actor, verdicts to who gave them, handoffs to who sent
  them (the raw records, grouped: the summary table has no per-person or
  per-channel counts);
- SALs, wins, revenue and the first response clock to the cycle's qualifier
  in the summary table (who handed the lead off, else its owner).

Rows are the users in the "qualifier" group (an inactive one only when the
period has something of theirs); the team filter picks the qualifiers of that
team, the qualifier filter one of them. The segment filters (source,
campaign, country, industry, size, fit, channel, cycle) apply to the leads:
to the raw records through their cycle's row in the summary table.

A qualifier who is not a manager, admin or marketer sees only their own row.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import User
from leadgate.leads.records import Handoff, RejectReason, Touch
from leadgate.lib.proportions import rate
from leadgate.workspace.models import Qualification

from .facts import CONNECTED
from .filters import Filters, buckets
from .models import CycleFact, Target
from .registry import READERS, Chart, Column, Report, Result, Table, register

# A connected call longer than this is a conversation (shorter: a "not now").
CONVERSATION_SECONDS = 60
TOP_REASONS = 3
CHANNELS = list(Touch.Channel)
VERDICTS = [Qualification.Verdict.SALES_READY, Qualification.Verdict.LONG_TERM,
            Qualification.Verdict.NOT_A_FIT, Qualification.Verdict.UNRESPONSIVE]
VERDICT_NAMES = {Qualification.Verdict.SALES_READY: "Sales-ready",
                 Qualification.Verdict.LONG_TERM: "Long-term",
                 Qualification.Verdict.NOT_A_FIT: "Not a fit",
                 Qualification.Verdict.UNRESPONSIVE: "Unresponsive"}
# The stages a qualifier's target is set on, and the figure each is read against.
TARGETED = {"sals": Target.Metric.SALS, "won": Target.Metric.WON,
            "revenue": Target.Metric.REVENUE}
NO_REASON = "No reason chosen"
SEES_ALL = (Role.MANAGER, Role.ADMIN, Role.MARKETING)
CYCLES_PER_LEAD = 1 << 20


# First response times are read from a histogram at the precision a
# "seconds" cell shows (whole seconds, minutes under 90 min, tenths of an hour
# under 36 h): one grouped pass for every qualifier, where exact seconds
# (aggregate.seconds_percentiles) take a query per qualifier, or a row per
# distinct second.
_RESPONSE = F("response_seconds")
RESPONSE_BUCKET = Case(
    When(response_seconds__lt=120, then=_RESPONSE),
    When(response_seconds__lt=90 * 60, then=_RESPONSE / 10 * 10),
    When(response_seconds__lt=36 * 3600, then=_RESPONSE / 60 * 60),
    default=_RESPONSE / 600 * 600, output_field=IntegerField())


def histogram_percentiles(histogram: list[tuple[int, int]],
                          points: Sequence[float]) -> list[float | None]:
    """The given percentiles of (value, count) pairs, as seconds_percentiles()
    reads them: the first value at which the running count reaches the point."""
    ordered = sorted(histogram)
    total = sum(n for _value, n in ordered)
    found: list[float | None] = []
    for point in points:
        wanted, running = point * total, 0
        value: float | None = None
        for value_at, n in ordered:
            running += n
            if running >= wanted:
                value = float(value_at)
                break
        found.append(value if total else None)
    return found


@dataclass
class Person:
    """One row: a qualifier and what the period holds of theirs."""

    pk: int
    name: str
    team_id: int | None
    team: str
    active: bool
    touches: Counter[str] = field(default_factory=Counter)
    dials: int = 0
    dials_connected: int = 0
    connects: int = 0
    conversations: int = 0
    meetings_booked: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    handoffs: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    sals: int = 0
    won: int = 0
    revenue: Decimal = Decimal(0)
    clocks: int = 0
    breached: int = 0
    response: list[float | None] = field(default_factory=lambda: [None, None])
    targets: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return bool(sum(self.touches.values()) or sum(self.verdicts.values())
                    or sum(self.handoffs.values()) or self.sals or self.won or self.clocks)


class Scope:
    """What the figures are read from: the period, the people and the leads'
    segment.

    The people go into the query only when the filters pick some (a team, one
    qualifier): the index on (person, time) then reads just theirs. For
    everyone, the period is read in one pass grouped by person, and rows not of
    a qualifier are dropped here. The person is grouped on as an expression
    (COALESCE), so that SQLite scans the table in order rather than walking a
    person index and fetching a year of rows one by one.

    The segment reaches the raw records (touches, verdicts, handoffs) through
    the summary table, with one uncorrelated subquery each (read once, then
    probed; PostgreSQL hashes it): the cycle filter is the record's own
    cycle; the lead's country, industry, size and fit are the same in all its
    cycles, so the lead is looked up; source, campaign and channel belong to
    one cycle, so the pair (lead, cycle) is, as one number."""

    def __init__(self, filters: Filters, people: dict[int, Person]) -> None:
        self.filters = filters
        picked = filters.qualifier is not None or filters.team is not None
        self.ids = list(people) if picked else None
        # The rows are the people: who worked the leads is not a segment here.
        self.segment = replace(filters, qualifier=None, team=None).segment()
        self.cycle = filters.cycle
        of_leads = replace(filters, qualifier=None, team=None, cycle="")
        self.lead_segment = of_leads.segment()
        self.per_cycle = bool(of_leads.sources or of_leads.campaigns or of_leads.channel)

    def period(self, column: str) -> Q:
        return self.filters.within(column)

    def grouped(self, records: QuerySet[Any], person: str, figures: dict[str, Any],
                *keys: str, of_segment: bool = True) -> QuerySet[Any]:
        """Rows of `figures` per person ("who") and `keys`; `of_segment`: the
        records are raw ones, to be cut to the segment's leads."""
        if self.ids is not None:
            records = records.filter(**{f"{person}__in": self.ids})
        if of_segment:
            records = self.of_segment(records)
        return (records.values(*keys, who=Coalesce(person, Value(0)))
                .annotate(**figures).order_by())

    def of_segment(self, records: QuerySet[Any]) -> QuerySet[Any]:
        if self.cycle == "first":
            records = records.filter(cycle=1)
        elif self.cycle == "returning":
            records = records.filter(cycle__gt=1)
        if not self.lead_segment:
            return records
        segment = CycleFact.objects.filter(self.lead_segment)
        if not self.per_cycle:
            return records.filter(lead_id__in=segment.values("lead_id"))
        return records.alias(cycle_key=cycle_key()).filter(
            cycle_key__in=segment.annotate(cycle_key=cycle_key()).values("cycle_key"))


def cycle_key() -> Any:
    """(lead, cycle) as one number, to look pairs up in one IN (a lead has
    far fewer than 2**20 cycles)."""
    return Cast("lead_id", BigIntegerField()) * CYCLES_PER_LEAD + F("cycle")


def display_name(user: Any) -> str:
    """The full name of a user's values() row, the username when it has none."""
    full = f"{user['first_name']} {user['last_name']}".strip()
    return full or user["username"]


def label_of(reason: str) -> str:
    return str(RejectReason(reason).label) if reason in RejectReason.values else NO_REASON


@register
class QualifierPerformance(Report):
    slug = "qualifiers"
    title = "Qualifier (SDR) performance"
    summary = ("Per qualifier: touches by channel, dials, connects, conversations, verdicts, "
               "handoffs, sales' acceptance, won revenue, response time and SLA, against "
               "targets.")
    roles = (*READERS, Role.QUALIFIER)

    def compute(self, filters: Filters, user: User) -> Result:
        notes = []
        if not user.has_role(*SEES_ALL):
            # A qualifier reads their own figures, whatever the filter asks.
            filters = replace(filters, qualifier=user.pk, team=None)
            notes.append("You see your own figures only.")
        people = self._people(filters)
        scope = Scope(filters, people)
        self._touches(people, scope)
        self._verdicts(people, scope)
        self._handoffs(people, scope)
        self._facts(people, scope)
        self._targets(people, filters)
        shown = sorted((p for p in people.values() if p.active or p.busy),
                       key=lambda p: (p.name.lower(), p.pk))
        notes.append("Everything counts what happened in the period, whenever the lead came "
                     "in: touches and verdicts when made, handoffs when sent, SALs and wins "
                     "when reached, response clocks when started.")
        tables = [self._activity(shown), self._calls(shown), self._verdict_table(shown),
                  self._handoff_table(shown), self._reason_table(shown),
                  self._response_table(shown), self._target_table(shown)]
        return Result(tables=tables, charts=self._charts(shown), notes=notes)

    # --- who ------------------------------------------------------------------------

    def _people(self, filters: Filters) -> dict[int, Person]:
        users = User.objects.filter(groups__name=Role.QUALIFIER)
        if filters.qualifier is not None:
            users = users.filter(pk=filters.qualifier)
        if filters.team is not None:
            users = users.filter(team_id=filters.team)
        found = list(users.values("pk", "username", "first_name", "last_name", "team_id",
                                  "team__name", "is_active").distinct())
        names = Counter(display_name(u) for u in found)
        people = {}
        for u in found:
            name = display_name(u)
            if names[name] > 1:  # two people of one name: told apart
                name = f"{name} ({u['username']})"
            people[u["pk"]] = Person(u["pk"], name, u["team_id"], u["team__name"] or "",
                                     u["is_active"])
        return people

    # --- what they did --------------------------------------------------------------

    def _touches(self, people: dict[int, Person], scope: Scope) -> None:
        reached = Q(disposition__in=sorted(CONNECTED))
        call = Q(channel=Touch.Channel.CALL)
        dial = call & Q(direction=Touch.Direction.OUTBOUND)
        figures = {
            **{f"c_{c.value}": Count("pk", filter=Q(channel=c)) for c in CHANNELS},
            "dials": Count("pk", filter=dial),
            "dials_connected": Count("pk", filter=dial & reached),
            "connects": Count("pk", filter=reached),
            "conversations": Count("pk", filter=call & reached & Q(
                duration_seconds__gt=CONVERSATION_SECONDS)),
            "meetings_booked": Count("pk", filter=Q(
                disposition=Touch.Disposition.MEETING_BOOKED)),
        }
        for row in scope.grouped(Touch.objects.filter(scope.period("at")), "actor_id", figures):
            person = people.get(row["who"])
            if person is None:
                continue  # not a qualifier of these rows (or no actor: automatic)
            person.touches.update({c: row[f"c_{c.value}"] for c in CHANNELS})
            for name in ("dials", "dials_connected", "connects", "conversations",
                         "meetings_booked"):
                setattr(person, name, row[name])

    def _verdicts(self, people: dict[int, Person], scope: Scope) -> None:
        verdicts = Qualification.objects.filter(scope.period("at"), verdict__in=VERDICTS)
        figures = {v.value: Count("pk", filter=Q(verdict=v)) for v in VERDICTS}
        for row in scope.grouped(verdicts, "by_id", figures):
            if row["who"] in people:
                people[row["who"]].verdicts.update({v: row[v.value] for v in VERDICTS})

    def _handoffs(self, people: dict[int, Person], scope: Scope) -> None:
        handoffs = Handoff.objects.filter(scope.period("created_at"))
        for row in scope.grouped(handoffs, "from_user_id", {"n": Count("pk")},
                                 "status", "reject_reason"):
            person = people.get(row["who"])
            if person is None:
                continue
            person.handoffs[row["status"]] += row["n"]
            if row["status"] == Handoff.Status.REJECTED:
                person.reasons[label_of(row["reject_reason"])] += row["n"]

    def _facts(self, people: dict[int, Person], scope: Scope) -> None:
        """SALs, wins and revenue (the cycle's qualifier's), then the clocks
        and the response histogram (the first clock's owner's: after a breach
        the lead goes to a teammate, whose speed is not the one measured)."""
        accepted, won = scope.period("accepted_at"), scope.period("won_at")
        clocked = scope.period("sla_started_at")
        results = CycleFact.objects.filter(scope.segment).filter(accepted | won)
        for row in scope.grouped(results, "qualifier_id", {
                "sals": Count("pk", filter=accepted), "won": Count("pk", filter=won),
                "revenue": Sum("revenue", filter=won)}, of_segment=False):
            person = people.get(row["who"])
            if person is not None:
                person.sals += row["sals"]
                person.won += row["won"]
                person.revenue += row["revenue"] or Decimal(0)
        clocks = CycleFact.objects.filter(scope.segment).filter(clocked)
        histograms: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for row in scope.grouped(clocks.annotate(answered=RESPONSE_BUCKET), "sla_owner_id", {
                "clocks": Count("pk"), "breached": Count("pk", filter=Q(sla_breached=True))},
                "answered", of_segment=False):
            person = people.get(row["who"])
            if person is None:
                continue
            person.clocks += row["clocks"]
            person.breached += row["breached"]
            if row["answered"] is not None:
                histograms[person.pk].append((row["answered"], row["clocks"]))
        for pk, histogram in histograms.items():
            people[pk].response = histogram_percentiles(histogram, (0.5, 0.8))

    # --- targets ----------------------------------------------------------------------

    def _targets(self, people: dict[int, Person], filters: Filters) -> None:
        """Each active qualifier's share of the team's target (the company's
        when the team has none for a month), split evenly between the team's
        active qualifiers; a month the period cuts counts pro rata."""
        months = [(b.start.replace(day=1),
                   Decimal((b.end - b.start).days)
                   / calendar.monthrange(b.start.year, b.start.month)[1])
                  for b in buckets(filters.start, filters.end, "month")]
        set_for: dict[tuple[Any, int | None, str], Decimal] = {
            (month, team, metric): value for month, team, metric, value in
            Target.objects.filter(month__in=[m for m, _f in months],
                                  metric__in=list(TARGETED.values()))
            .values_list("month", "team_id", "metric", "value")}
        heads: Counter[int | None] = Counter(dict(
            User.objects.filter(groups__name=Role.QUALIFIER, is_active=True)
            .values("team_id").annotate(n=Count("pk", distinct=True)).order_by()
            .values_list("team_id", "n")))
        everyone = sum(heads.values())
        for person in people.values():
            for key, metric in TARGETED.items():
                total: Decimal | None = None
                if person.active:
                    for month, share in months:
                        team_value = set_for.get((month, person.team_id, metric)) \
                            if person.team_id is not None else None
                        if team_value is not None:
                            part = team_value / heads[person.team_id]
                        elif (month, None, metric) in set_for:
                            part = set_for[month, None, metric] / everyone
                        else:
                            continue
                        total = (total or Decimal(0)) + part * share
                person.targets[key] = total

    # --- tables -----------------------------------------------------------------------

    @staticmethod
    def _total(table: Table, shown: list[Person], **values: Any) -> None:
        if len(shown) > 1:
            table.total = {"qualifier": "All shown", **values}

    def _activity(self, shown: list[Person]) -> Table:
        table = Table("touches", "Touches by channel", [
            Column("qualifier", "Qualifier", "text"),
            *(Column(c.value, str(c.label)) for c in CHANNELS),
            Column("touches", "All touches")],
            note="Every touch the qualifier logged in the period, inbound and outbound. "
                 "Segment filters apply through the lead's cycle.")
        for p in shown:
            table.rows.append({"qualifier": p.name, **{c.value: p.touches[c] for c in CHANNELS},
                               "touches": sum(p.touches.values())})
        self._total(table, shown, **{c.value: sum(p.touches[c] for p in shown)
                                     for c in CHANNELS},
                    touches=sum(sum(p.touches.values()) for p in shown))
        return table

    def _calls(self, shown: list[Person]) -> Table:
        table = Table("calls", "Dials, connects and conversations", [
            Column("qualifier", "Qualifier", "text"), Column("dials", "Dials"),
            Column("dials_connected", "Dials that connected", "rate"),
            Column("connects", "Connects"), Column("conversations", "Conversations"),
            Column("meetings_booked", "Meetings booked")],
            note="Dials: outbound calls. Connects: touches of any channel in which the lead "
                 "was reached (connected, call back, not interested, meeting booked, "
                 f"replied). Conversations: connected calls longer than "
                 f"{CONVERSATION_SECONDS} s. Meetings booked: touches logged as "
                 "\"meeting booked\".")
        for p in shown:
            table.rows.append({"qualifier": p.name, "dials": p.dials,
                               "dials_connected": rate(p.dials_connected, p.dials),
                               "connects": p.connects, "conversations": p.conversations,
                               "meetings_booked": p.meetings_booked})
        dials = sum(p.dials for p in shown)
        self._total(table, shown, dials=dials,
                    dials_connected=rate(sum(p.dials_connected for p in shown), dials),
                    connects=sum(p.connects for p in shown),
                    conversations=sum(p.conversations for p in shown),
                    meetings_booked=sum(p.meetings_booked for p in shown))
        return table

    def _verdict_table(self, shown: list[Person]) -> Table:
        table = Table("verdicts", "Verdicts given", [
            Column("qualifier", "Qualifier", "text"),
            *(Column(v.value, VERDICT_NAMES[v]) for v in VERDICTS),
            Column("verdicts", "All verdicts")],
            note="The verdicts the qualifier gave in the period (a lead qualified twice "
                 "counts twice).")
        for p in shown:
            table.rows.append({"qualifier": p.name, **{v.value: p.verdicts[v] for v in VERDICTS},
                               "verdicts": sum(p.verdicts.values())})
        self._total(table, shown, **{v.value: sum(p.verdicts[v] for p in shown)
                                     for v in VERDICTS},
                    verdicts=sum(sum(p.verdicts.values()) for p in shown))
        return table

    def _handoff_table(self, shown: list[Person]) -> Table:
        table = Table("handoffs", "Handoffs, sales' acceptance and revenue", [
            Column("qualifier", "Qualifier", "text"), Column("handoffs", "Handed off"),
            Column("accepted", "Accepted"), Column("rejected", "Rejected"),
            Column("pending", "Waiting"), Column("acceptance", "Acceptance rate", "rate"),
            Column("top_reasons", "Top reject reasons", "text"),
            Column("sals", "SALs in the period"), Column("won", "Won in the period"),
            Column("revenue", "Won revenue", "money")],
            note="Handoffs sent in the period and what sales decided on them; the acceptance "
                 "rate is accepted of decided, with its 95% interval. SALs, wins and revenue "
                 "are the cycles accepted or won in the period, credited to the qualifier "
                 "who handed them off.")
        for p in shown:
            table.rows.append(self._handoff_row(p.name, p.handoffs, p.reasons, p.sals, p.won,
                                                p.revenue))
        handoffs: Counter[str] = sum((p.handoffs for p in shown), Counter())
        reasons: Counter[str] = sum((p.reasons for p in shown), Counter())
        if len(shown) > 1:
            table.total = self._handoff_row(
                "All shown", handoffs, reasons, sum(p.sals for p in shown),
                sum(p.won for p in shown), sum((p.revenue for p in shown), Decimal(0)))
        return table

    @staticmethod
    def _handoff_row(name: str, handoffs: Counter[str], reasons: Counter[str], sals: int,
                     won: int, revenue: Decimal) -> dict[str, Any]:
        accepted = handoffs[Handoff.Status.ACCEPTED]
        rejected = handoffs[Handoff.Status.REJECTED]
        return {"qualifier": name, "handoffs": sum(handoffs.values()), "accepted": accepted,
                "rejected": rejected, "pending": handoffs[Handoff.Status.PENDING],
                "acceptance": rate(accepted, accepted + rejected),
                "top_reasons": ", ".join(f"{reason} ({n})" for reason, n in
                                         sorted(reasons.items(),
                                                key=lambda item: (-item[1], item[0]))
                                         [:TOP_REASONS]),
                "sals": sals, "won": won, "revenue": revenue}

    def _reason_table(self, shown: list[Person]) -> Table:
        table = Table("reasons", "Why sales rejected their handoffs", [
            Column("qualifier", "Qualifier", "text"), Column("reason", "Reason", "text"),
            Column("rejected", "Rejected"), Column("share", "Share of their rejects", "percent")],
            note="Handoffs sent in the period and rejected, by the reason sales chose.")
        for p in shown:
            total = sum(p.reasons.values())
            for reason, n in sorted(p.reasons.items(), key=lambda item: (-item[1], item[0])):
                table.rows.append({"qualifier": p.name, "reason": reason, "rejected": n,
                                   "share": n / total})
        return table

    def _response_table(self, shown: list[Person]) -> Table:
        table = Table("response", "First response and SLA", [
            Column("qualifier", "Qualifier", "text"), Column("clocks", "Response clocks"),
            Column("median", "Median first response", "seconds"),
            Column("p80", "80% answered within", "seconds"),
            Column("breached", "Breached"), Column("compliance", "Within the SLA", "rate")],
            note="The first response clock of each lead cycle started in the period, credited "
                 "to the cycle's qualifier (who handed it off, else its owner). Within the "
                 "SLA: clocks not breached (a clock still running counts as within). "
                 "Times to the second under 2 minutes, to 10 s under 90 minutes, to the "
                 "minute under 36 hours, to 10 minutes beyond.")
        for p in shown:
            table.rows.append({"qualifier": p.name, "clocks": p.clocks, "median": p.response[0],
                               "p80": p.response[1], "breached": p.breached,
                               "compliance": rate(p.clocks - p.breached, p.clocks)})
        clocks = sum(p.clocks for p in shown)
        breached = sum(p.breached for p in shown)
        self._total(table, shown, clocks=clocks, breached=breached,
                    compliance=rate(clocks - breached, clocks))
        return table

    def _target_table(self, shown: list[Person]) -> Table:
        columns = [Column("qualifier", "Qualifier", "text"), Column("team", "Team", "text")]
        for key, label, kind in (("sals", "SALs", "number"), ("won", "Won", "number"),
                                 ("revenue", "Revenue", "money")):
            columns += [Column(key, label, "count" if kind == "number" else kind),
                        Column(f"{key}_target", f"{label} target", kind),
                        Column(f"{key}_gap", f"{label} gap", kind)]
        table = Table("targets", "Against targets", columns,
                      note="A qualifier's target is the team's target for the period's months "
                           "(the company's, for a month the team has none) divided by the "
                           "team's active qualifiers (by the company's, for the company "
                           "target); a month the period cuts counts pro rata. Gap: actual "
                           "minus target (negative: behind). SALs and wins are those reached "
                           "in the period. The total's target and gap add up the rows that "
                           "have a target.")
        totals: dict[str, Any] = {}
        for p in shown:
            row: dict[str, Any] = {"qualifier": p.name, "team": p.team,
                                   "sals": p.sals, "won": p.won, "revenue": p.revenue}
            for key in TARGETED:
                target = p.targets.get(key)
                actual = Decimal(row[key])
                if key == "revenue":
                    row[f"{key}_target"] = None if target is None else target.quantize(
                        Decimal("0.01"))
                else:
                    row[f"{key}_target"] = None if target is None else float(target)
                row[f"{key}_gap"] = None if target is None else (
                    (actual - target).quantize(Decimal("0.01")) if key == "revenue"
                    else float(actual - target))
                totals[key] = totals.get(key, 0) + row[key]
                if target is not None:  # target and gap: of the rows that have one
                    for column in (f"{key}_target", f"{key}_gap"):
                        totals[column] = totals.get(column, 0) + row[column]
            table.rows.append(row)
        if len(shown) > 1:
            table.total = {"qualifier": "All shown", "team": "", **totals}
        return table

    # --- charts -----------------------------------------------------------------------

    def _charts(self, shown: list[Person]) -> list[Chart]:
        names = [p.name for p in shown]
        datasets: list[dict[str, Any]] = [
            {"label": "Handed off", "data": [sum(p.handoffs.values()) for p in shown]},
            {"label": "SALs", "data": [p.sals for p in shown]}]
        if any(p.targets.get("sals") is not None for p in shown):
            datasets.append({"label": "SAL target (per head)",
                             "data": [None if p.targets.get("sals") is None
                                      else round(float(p.targets["sals"] or 0), 1)
                                      for p in shown]})
        return [
            Chart("handoffs-chart", {
                "type": "bar", "format": "count", "title": "Handoffs and SALs per qualifier",
                "labels": names, "datasets": datasets}),
            Chart("touches-chart", {
                "type": "stacked", "format": "count", "title": "Touches by channel",
                "labels": names,
                "datasets": [{"label": str(c.label), "data": [p.touches[c] for p in shown]}
                             for c in CHANNELS]}),
        ]
