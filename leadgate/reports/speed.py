"""Speed to lead: how soon a person answered each lead, from its first SLA
clock of the cycle, and what answering fast was worth on this database.

The first response time of a cycle runs from the start of its first SLA clock
to the first touch by a person after it (`CycleFact.response_seconds`: the
clock's own when a touch stopped it, else the first such touch, also after a
breach). Leads with a clock but no such touch were never answered.

Two grouped queries, none per lead:
- policy x first owner x team x a bin of the response time (5 s steps up to
  5 minutes, wider later): the percentiles, the shares within 5 min / 1 h /
  24 h, the breaches and the conversion by band all come from it;
- hour of the week x a coarser bin: the hour of day and weekday tables.
Hours and weekdays are the viewer's, computed in integer arithmetic from the
UTC seconds and the zone's offset in each span of constant offset (daylight
saving time): Django's ExtractHour with a time zone calls Python for every
row on SQLite (over twenty times the cost of the scan at a million rows).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import (
    Case,
    Count,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Team, User
from leadgate.lib.proportions import Difference, Rate, difference, rate
from leadgate.routing.models import SlaPolicy

from .aggregate import more_work_mem
from .filters import Filters
from .models import CycleFact
from .registry import Chart, Column, Report, Result, Table, register

MINUTE, HOUR, DAY = 60, 3600, 86400
# Response-time bands: (label, upper bound in seconds, inclusive); then "never".
BANDS = [("≤ 5 min", 5 * MINUTE), ("5–30 min", 30 * MINUTE), ("30 min–1 h", HOUR),
         ("1–24 h", DAY), ("> 24 h", None)]
NEVER = "Never"
BAND_LABELS = [label for label, _top in BANDS] + [NEVER]
FAST, SLOW_FROM = 0, 2  # the "within 5 minutes" band; "after 30 minutes": bands 2..4
NO_RESPONSE = -1
POINTS = (0.5, 0.8, 0.95)
QUALIFIED = FUNNEL.index(Stage.QUALIFIED)
WON = FUNNEL.index(Stage.WON)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NOBODY = "No qualifier"
NO_TEAM = "No team"


class Scale:
    """Bins of response times, each (low, high] seconds, in segments of even
    width: [(top of the segment, width)], the first from 0. Every band's
    bound is a bin's bound, so the shares within 5 min, 1 h and 24 h are
    exact; a bin of width 1 is an exact value."""

    def __init__(self, segments: Sequence[tuple[int, int]]) -> None:
        # (first bin, exclusive low, inclusive top, width) per segment.
        self.segments: list[tuple[int, int, int, int]] = []
        self.highs: list[int] = []
        low = -1
        for top, width in segments:
            if (top - low) % width:
                raise ValueError(f"segment ({low}, {top}] is not a multiple of {width}")
            self.segments.append((len(self.highs), low, top, width))
            self.highs += list(range(low + width, top + 1, width))
            low = top
        if any(bound not in self.highs for _label, bound in BANDS if bound is not None):
            raise ValueError("a band's bound is not a bin's")

    @property
    def last(self) -> int:
        """The bin of the times past the scale's end."""
        return len(self.highs)

    def of(self, seconds: int | None) -> int:
        if seconds is None:
            return NO_RESPONSE
        for first, low, top, width in self.segments:
            if seconds <= top:
                return first + (seconds - low - 1) // width
        return self.last

    def sql(self, column: str) -> Case:
        """`of(column)` in SQL: integer arithmetic on the segment it falls in."""
        whens = [When(**{f"{column}__isnull": True}, then=Value(NO_RESPONSE))]
        for first, low, top, width in self.segments:
            whens.append(When(**{f"{column}__lte": top},
                              then=Value(first) + (F(column) - Value(low + 1)) / Value(width)))
        return Case(*whens, default=Value(self.last), output_field=IntegerField())

    def bounds(self, index: int) -> tuple[int, int | None]:
        """(exclusive low, inclusive high) of a bin; high None past the end."""
        if index >= self.last:
            return self.highs[-1], None
        return (self.highs[index - 1] if index else -1), self.highs[index]

    def band(self, index: int) -> int:
        """The band (index in BAND_LABELS) of a bin."""
        if index == NO_RESPONSE:
            return len(BANDS)
        _low, high = self.bounds(index)
        for band, (_label, bound) in enumerate(BANDS):
            if bound is None or (high is not None and high <= bound):
                return band
        return len(BANDS) - 1

    def percentiles(self, histogram: Counter[int], points: Iterable[float] = POINTS
                    ) -> list[float | None]:
        """Percentiles of the answered leads: nearest rank within an exact bin
        (as aggregate.seconds_percentiles), spread evenly within a wider one
        (as aggregate.percentiles within an hour), to the second."""
        answered = sorted((b, n) for b, n in histogram.items() if b != NO_RESPONSE and n)
        total = sum(n for _b, n in answered)
        found: list[float | None] = []
        for point in points:
            if not total:
                found.append(None)
                continue
            wanted, running = point * total, 0
            for index, n in answered:
                if running + n >= wanted:
                    low, high = self.bounds(index)
                    if high is None:
                        found.append(float(low))
                    elif high - low == 1:
                        found.append(float(high))
                    else:
                        found.append(float(round(low + (high - low) * (wanted - running) / n)))
                    break
                running += n
        return found


# Policy, qualifier and team: 5 s steps up to 5 min, 30 s up to 30 min, 5 min
# up to 2 h, 30 min up to a day, 6 h up to a week, then days (281 bins).
FINE = Scale([(0, 1), (5 * MINUTE, 5), (30 * MINUTE, 30), (2 * HOUR, 5 * MINUTE),
              (DAY, 30 * MINUTE), (7 * DAY, 6 * HOUR), (91 * DAY, DAY)])
# Hour of day and weekday: fewer bins (58), fewer groups for the database to sort.
COARSE = Scale([(0, 1), (MINUTE, 15), (5 * MINUTE, MINUTE), (30 * MINUTE, 5 * MINUTE),
                (HOUR, 10 * MINUTE), (DAY, HOUR), (7 * DAY, DAY), (91 * DAY, 7 * DAY)])


@dataclass
class Profile:
    """The response times of one group of leads (a policy, a qualifier, an hour)."""

    scale: Scale
    histogram: Counter[int] = field(default_factory=Counter)
    breaches: int = 0

    def add(self, bin_index: int, n: int, breached: int = 0) -> None:
        self.histogram[bin_index] += n
        self.breaches += breached

    @property
    def leads(self) -> int:
        return sum(self.histogram.values())

    @property
    def never(self) -> int:
        return self.histogram[NO_RESPONSE]

    def within(self, seconds: int) -> int:
        limit = self.scale.highs.index(seconds)
        return sum(n for b, n in self.histogram.items() if 0 <= b <= limit)

    def row(self) -> dict[str, Any]:
        leads = self.leads
        median, p80, p95 = self.scale.percentiles(self.histogram)

        def share(k: int) -> float | None:
            return k / leads if leads else None
        return {"leads": leads, "answered": leads - self.never,
                "median": median, "p80": p80, "p95": p95,
                "within_5m": share(self.within(5 * MINUTE)),
                "within_1h": share(self.within(HOUR)),
                "within_24h": share(self.within(DAY)),
                "never": self.never, "breaches": self.breaches}


@dataclass
class Outcomes:
    """Leads of one response-time band and how many were contacted, qualified, won."""

    leads: int = 0
    contacted: int = 0
    qualified: int = 0
    won: int = 0

    def add(self, leads: int, contacted: int, qualified: int, won: int) -> None:
        self.leads += leads
        self.contacted += contacted
        self.qualified += qualified
        self.won += won


def _profiles(scale: Scale) -> defaultdict[Any, Profile]:
    return defaultdict(lambda: Profile(scale))


@dataclass
class Gathered:
    policies: defaultdict[str, Profile] = field(default_factory=lambda: _profiles(FINE))
    qualifiers: defaultdict[int | None, Profile] = field(
        default_factory=lambda: _profiles(FINE))
    teams: defaultdict[int | None, Profile] = field(default_factory=lambda: _profiles(FINE))
    hours: defaultdict[int, Profile] = field(default_factory=lambda: _profiles(COARSE))
    weekdays: defaultdict[int, Profile] = field(default_factory=lambda: _profiles(COARSE))
    total: Profile = field(default_factory=lambda: Profile(FINE))
    bands: list[Outcomes] = field(default_factory=lambda: [Outcomes() for _ in BAND_LABELS])


def profile_columns(first: Column) -> list[Column]:
    return [first, Column("leads", "Leads with a clock"), Column("answered", "Answered"),
            Column("median", "Median", "seconds"), Column("p80", "80% within", "seconds"),
            Column("p95", "95% within", "seconds"),
            Column("within_5m", "Within 5 min", "percent"),
            Column("within_1h", "Within 1 h", "percent"),
            Column("within_24h", "Within 24 h", "percent"),
            Column("never", "Never answered"), Column("breaches", "SLA breached")]


def person_name(user: User) -> str:
    return user.get_full_name() or user.username


def offset_spans(zone: tzinfo, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
    """[(start, UTC offset in minutes)] of the spans of constant offset of
    `zone` from `since` to `until`: the offset is looked at every hour, a
    change found to the minute. A few spans a year (daylight saving time)."""
    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset() or timedelta(0)
        return int(delta.total_seconds() // 60)
    at = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    spans = [(at, offset(at))]
    while at < until:
        following = at + timedelta(hours=1)
        if offset(following) != spans[-1][1]:
            low, high = at, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == spans[-1][1] else (low, middle)
            spans.append((high.replace(second=0, microsecond=0), offset(high)))
        at = following
    return spans


class Epoch(Func):
    """Whole seconds since 1970 of a datetime column, computed by the database
    (SQLite's strftime in C, not Django's per-row Python function)."""

    output_field = IntegerField()

    def __init__(self, column: str) -> None:
        super().__init__(F(column))

    def as_sql(self, compiler: SQLCompiler, connection: Any, *args: Any,
               **kwargs: Any) -> tuple[str, list[Any]]:  # PostgreSQL
        column, params = compiler.compile(self.source_expressions[0])
        return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint", list(params)

    def as_sqlite(self, compiler: SQLCompiler, connection: Any, *args: Any,
                  **kwargs: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime('%%s', {column}) AS INTEGER)", list(params)


def hour_of_week(zone: tzinfo, since: datetime, until: datetime) -> Expression:
    """The hour of the week (0: Monday 00:00-01:00) in `zone` at which the
    clock started: the UTC seconds plus the zone's offset at that time (a
    CASE over the few spans of constant offset), in integer arithmetic, so
    that no database calls Python per row. 1970-01-01 was a Thursday."""
    spans = offset_spans(zone, since, until)
    offset = Case(*(When(sla_started_at__lt=start, then=Value(spans[i - 1][1] * 60))
                    for i, (start, _off) in enumerate(spans) if i),
                  default=Value(spans[-1][1] * 60), output_field=IntegerField())
    local = Epoch("sla_started_at") + offset
    return ExpressionWrapper((local / Value(HOUR) + Value(3 * 24)) % Value(7 * 24),
                             output_field=IntegerField())


def _flag(**condition: Any) -> Sum:
    return Sum(Case(When(**condition, then=Value(1)), default=Value(0),
                    output_field=IntegerField()))


def gather(facts: QuerySet[CycleFact], zone: tzinfo, since: datetime,
           until: datetime) -> Gathered:
    """Every figure of the report, from the leads of `facts` that had a clock."""
    found = Gathered()
    clocked = facts.filter(sla_started_at__isnull=False)
    for policy, owner, team, bin_index, n, breaches, contacted, qualified, won in (
            clocked.annotate(bin=FINE.sql("response_seconds"))
            .values("sla_policy", "sla_owner_id", "team_id", "bin")
            .annotate(n=Count("pk"), breaches=_flag(sla_breached=True),
                      contacted=_flag(connects__gt=0), qualified=_flag(furthest__gte=QUALIFIED),
                      won=_flag(furthest__gte=WON))
            .order_by().values_list("sla_policy", "sla_owner_id", "team_id", "bin", "n",
                                    "breaches", "contacted", "qualified", "won")):
        for profile in (found.policies[policy], found.qualifiers[owner],
                        found.teams[team], found.total):
            profile.add(bin_index, n, breaches)
        found.bands[FINE.band(bin_index)].add(n, contacted, qualified, won)
    # One integer key (hour of the week, bin): PostgreSQL's planner expects
    # few groups of one column and aggregates them in memory, not by a sort.
    key = ExpressionWrapper(hour_of_week(zone, since, until) * Value(100)
                            + COARSE.sql("response_seconds") + Value(1),
                            output_field=IntegerField())
    for packed, n, breaches in (clocked.annotate(key=key).values("key")
                                .annotate(n=Count("pk"), breaches=_flag(sla_breached=True))
                                .order_by().values_list("key", "n", "breaches")):
        hour_of_the_week, bin_index = divmod(packed, 100)
        found.hours[hour_of_the_week % 24].add(bin_index - 1, n, breaches)
        found.weekdays[hour_of_the_week // 24 + 1].add(bin_index - 1, n, breaches)
    return found


def points_text(value: float) -> str:
    return f"{value * 100:+.1f}".replace("-", "−")


def p_text(p: float | None) -> str:
    if p is None:
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}" if p < 0.01 else f"{p:.2f}"


def effect_sentence(fast: Rate, slow: Rate, diff: Difference) -> str:
    """The "5 minutes vs 30 minutes" effect in a sentence a manager reads."""
    if not fast.n or not slow.n or diff.diff is None:
        which = "within 5 minutes" if not fast.n else "after more than 30 minutes"
        return f"Not enough leads to tell: no lead was answered {which} in this selection."
    assert fast.value is not None and slow.value is not None
    assert diff.low is not None and diff.high is not None
    p_value = p_text(diff.p_value)
    interval = (f"difference {points_text(diff.diff)} points, 95% CI {points_text(diff.low)} "
                f"to {points_text(diff.high)}, "
                f"p {p_value if p_value.startswith('<') else '= ' + p_value}")
    if diff.low <= 0 <= diff.high:
        return (f"Not enough leads to tell: {fast.value:.0%} of the {fast.n:,} leads answered "
                f"within 5 minutes were qualified, and {slow.value:.0%} of the {slow.n:,} "
                f"answered after 30 minutes ({interval}).")
    if slow.value == 0:
        return (f"Leads answered within 5 minutes were qualified {fast.value:.0%} of the time "
                f"(of {fast.n:,}), leads answered after 30 minutes never (of {slow.n:,}); "
                f"{interval}.")
    return (f"Leads answered within 5 minutes were qualified {fast.value / slow.value:.1f}x as "
            f"often as leads answered after 30 minutes: {fast.value:.0%} of {fast.n:,} vs "
            f"{slow.value:.0%} of {slow.n:,} ({interval}).")


@register
class SpeedToLead(Report):
    slug = "speed"
    title = "Speed to lead"
    summary = ("How soon each lead got its first answer from a person, by SLA policy, "
               "qualifier, team, hour and weekday, and how the answer time relates to "
               "contact, qualification and wins.")

    def compute(self, filters: Filters, user: User) -> Result:
        column = "sla_started_at" if filters.basis == "reached" else "entered_at"
        facts = filters.apply(CycleFact.objects.all(), column)
        zone = timezone.get_current_timezone()
        # The first grouped query has ~10,000 groups (policy, owner, team, bin)
        # that the planner estimates from the distinct response times: it
        # sorts the period's clocks and, at PostgreSQL's default work_mem,
        # spills them to disk (measured a third slower).
        with more_work_mem(facts.db):
            found = gather(facts, zone, filters.since, max(filters.until, timezone.now()))
        zone_name = getattr(zone, "key", str(zone))
        result = Result()
        result.tables += [self._policies(found), self._qualifiers(found), self._teams(found),
                          self._hours(found, zone_name), self._weekdays(found, zone_name)]
        bands, effect, sentence = self._bands(found)
        result.tables += [bands, effect]
        result.notes.append(sentence)
        if filters.basis == "reached":
            result.notes.append("Counting clocks started during the period (whenever the lead "
                                "came in).")
        result.charts += self._charts(result)
        return result

    def _policies(self, found: Gathered) -> Table:
        names = {p.segment: (p.get_segment_display(), p.minutes)
                 for p in SlaPolicy.objects.all()}
        table = Table("policies", "First response by SLA policy",
                      profile_columns(Column("policy", "Policy", "text")),
                      note="From the start of the cycle's first SLA clock to the first touch "
                           "by a person, also when it came after a breach. Median, 80% and 95%: "
                           "of the leads answered, from a histogram of response times (5 s "
                           "steps up to 5 min, 30 s up to 30 min, 5 min up to 2 h, then "
                           "wider), spread evenly within a step. Within 5 min, 1 h, 24 h "
                           "(wall-clock time, not business hours): shares of all leads with a "
                           "clock. Breached: past the policy's due time, counted in the team's "
                           "business hours.")
        for segment, profile in sorted(found.policies.items(),
                                       key=lambda item: -item[1].leads):
            label, minutes = names.get(segment, (segment or "no policy", None))
            text = f"{label}, {minutes} min" if minutes is not None else label
            table.rows.append({"policy": text, **profile.row()})
        table.total = {"policy": "All policies", **found.total.row()}
        return table

    def _qualifiers(self, found: Gathered) -> Table:
        people = {user.pk: person_name(user)
                  for user in User.objects.filter(pk__in=[k for k in found.qualifiers if k])}
        table = Table("qualifiers", "By qualifier",
                      profile_columns(Column("qualifier", "Qualifier", "text")),
                      note="The owner of the lead's first clock: whose speed it was (a breach "
                           "hands the lead to a teammate; the answer still counts for the "
                           "first owner). The qualifier filter picks leads by who handed them "
                           "off, else owned them.")
        rows = [({"qualifier": people.get(pk, NOBODY) if pk else NOBODY, **profile.row()})
                for pk, profile in found.qualifiers.items()]
        table.rows = sorted(rows, key=lambda row: (row["qualifier"] == NOBODY,
                                                   row["qualifier"].lower()))
        return table

    def _teams(self, found: Gathered) -> Table:
        names = dict(Team.objects.filter(pk__in=[k for k in found.teams if k])
                     .values_list("pk", "name"))
        table = Table("teams", "By team", profile_columns(Column("team", "Team", "text")),
                      note="The lead's team.")
        rows = [{"team": names.get(pk, NO_TEAM) if pk else NO_TEAM, **profile.row()}
                for pk, profile in found.teams.items()]
        table.rows = sorted(rows, key=lambda row: (row["team"] == NO_TEAM, row["team"].lower()))
        return table

    def _hours(self, found: Gathered, zone_name: str) -> Table:
        table = Table("hours", "By hour of day the clock started",
                      profile_columns(Column("hour", "Hour", "text")),
                      note=f"In your time zone ({zone_name}). Percentiles to within a coarser "
                           "histogram (15 s under a minute, up to an hour between 1 and 24 h). "
                           "Hours with no lead are left out.")
        for hour in range(24):
            profile = found.hours.get(hour)
            if profile is not None and profile.leads:
                table.rows.append({"hour": f"{hour:02d}:00–{(hour + 1) % 24:02d}:00",
                                   **profile.row()})
        return table

    def _weekdays(self, found: Gathered, zone_name: str) -> Table:
        table = Table("weekdays", "By weekday the clock started",
                      profile_columns(Column("weekday", "Weekday", "text")),
                      note=f"In your time zone ({zone_name}).")
        for day in range(1, 8):
            profile = found.weekdays.get(day, Profile(COARSE))
            table.rows.append({"weekday": WEEKDAYS[day - 1], **profile.row()})
        return table

    def _bands(self, found: Gathered) -> tuple[Table, Table, str]:
        total = sum(b.leads for b in found.bands)
        bands = Table("bands", "Conversion by first-response time", [
            Column("band", "Answered", "text"), Column("leads", "Leads"),
            Column("share", "Share of leads", "percent"),
            Column("contacted", "Contacted (a conversation)", "rate"),
            Column("qualified", "Qualified (handed off)", "rate"),
            Column("won", "Won", "rate")],
            note="Contacted: at least one touch in which the lead and a qualifier spoke or "
                 "wrote to each other. Qualified: reached the handoff to sales. Leads still "
                 "open count as not (yet) converted; each rate has its 95% interval.")
        for label, outcome in zip(BAND_LABELS, found.bands, strict=True):
            bands.rows.append({
                "band": label, "leads": outcome.leads,
                "share": outcome.leads / total if total else None,
                "contacted": rate(outcome.contacted, outcome.leads),
                "qualified": rate(outcome.qualified, outcome.leads),
                "won": rate(outcome.won, outcome.leads)})
        fast = found.bands[FAST]
        slow = Outcomes()
        for outcome in found.bands[SLOW_FROM:len(BANDS)]:
            slow.add(outcome.leads, outcome.contacted, outcome.qualified, outcome.won)
        effect = Table("effect", "Answered within 5 minutes vs after 30 minutes", [
            Column("outcome", "Outcome", "text"),
            Column("fast", "Within 5 min", "rate"), Column("slow", "After 30 min", "rate"),
            Column("ratio", "Times as often", "number"),
            Column("difference", "Difference", "percent"),
            Column("low", "Difference, 95% low", "percent"),
            Column("high", "Difference, 95% high", "percent"),
            Column("p_value", "p-value", "text")],
            note="This database's own number: leads answered within 5 minutes against leads "
                 "answered after more than 30 minutes (never answered left out). Newcombe's "
                 "interval for the difference, two-proportion z-test. An observation, not an "
                 "experiment: leads answered fast may differ in other ways (hot requests are "
                 "both answered faster and likelier to buy); a segment test measures the effect "
                 "itself.")
        sentence = ""
        for key, label in (("qualified", "Qualified"), ("contacted", "Contacted"),
                           ("won", "Won")):
            fast_rate = rate(getattr(fast, key), fast.leads)
            slow_rate = rate(getattr(slow, key), slow.leads)
            diff = difference(fast_rate.k, fast_rate.n, slow_rate.k, slow_rate.n)
            effect.rows.append({
                "outcome": label, "fast": fast_rate, "slow": slow_rate,
                "ratio": (fast_rate.value / slow_rate.value
                          if fast_rate.value is not None and slow_rate.value else None),
                "difference": diff.diff, "low": diff.low, "high": diff.high,
                "p_value": p_text(diff.p_value)})
            if key == "qualified":
                sentence = effect_sentence(fast_rate, slow_rate, diff)
        return bands, effect, sentence

    def _charts(self, result: Result) -> list[Chart]:
        bands = result.table("bands")
        hours = result.table("hours")
        assert bands is not None and hours is not None

        def values(rows: list[dict[str, Any]], key: str) -> list[float | None]:
            return [row[key].value if isinstance(row[key], Rate) else row[key] for row in rows]
        return [
            Chart("bands-chart", {
                "type": "bar", "format": "count", "title": "Leads by first-response time",
                "labels": [row["band"] for row in bands.rows],
                "datasets": [{"label": "Leads", "data": values(bands.rows, "leads")}]}),
            Chart("conversion-chart", {
                "type": "bar", "format": "percent",
                "title": "Conversion by first-response time",
                "labels": [row["band"] for row in bands.rows],
                "datasets": [{"label": "Contacted", "data": values(bands.rows, "contacted")},
                             {"label": "Qualified", "data": values(bands.rows, "qualified")},
                             {"label": "Won", "data": values(bands.rows, "won")}]}),
            Chart("hours-chart", {
                "type": "bar", "format": "seconds", "format2": "count",
                "title": "Median first response by hour the clock started",
                "labels": [row["hour"][:5] for row in hours.rows],
                "datasets": [{"label": "Median", "data": values(hours.rows, "median")},
                             {"label": "Leads", "data": values(hours.rows, "leads"),
                              "axis": "y2", "kind": "line"}]}),
        ]
