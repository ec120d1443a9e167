"""The filters every report shares, read from a query string.

    form = FilterForm(request.GET)
    if form.is_valid():
        filters = form.filters()            # a Filters
        facts = filters.apply(CycleFact.objects.all())

Periods are in the viewer's time zone (the one active for the request):
"March" means March where the manager sits. A period is split into buckets
(months, quarters or years) for the time series; `Filters.bucket(column)` is
a CASE over the bucket boundaries, so the grouping runs in the database
without a per-row date function (SQLite would call back into Python for each
of a million rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from leadgate.intake.models import Campaign, Inquiry, Source
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Team, User

from .facts import BANDS
from .models import CycleFact

PERIODS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "this_year": "This year",
    "last_year": "Last year",
    "last_12_months": "Last 12 months",
    "custom": "From … to …",
}
GROUPINGS = {"month": "Month", "quarter": "Quarter", "year": "Year"}
BASES = {
    "entered": "Cohorts: leads that came in",
    "reached": "Stages reached in the period",
}
CYCLES = {"": "All cycles", "first": "First cycle", "returning": "Returning (cycle 2+)"}
GRADES = ["A", "B", "C", "D"]
# A range longer than this is refused: buckets and tables stay readable.
MOST_DAYS = 5 * 366
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec"]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_dates(name: str, today: date) -> tuple[date, date]:
    """(first day, day after the last) of a named period around `today`."""
    month = _month_start(today)
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    year = date(today.year, 1, 1)
    return {
        "this_month": (month, _add_months(month, 1)),
        "last_month": (_add_months(month, -1), month),
        "this_quarter": (quarter, _add_months(quarter, 3)),
        "last_quarter": (_add_months(quarter, -3), quarter),
        "this_year": (year, _add_months(year, 12)),
        "last_year": (_add_months(year, -12), year),
        "last_12_months": (_add_months(month, -11), _add_months(month, 1)),
    }[name]


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date  # the day after the last
    label: str


def buckets(start: date, end: date, grouping: str) -> list[Bucket]:
    """The months, quarters or years from `start` to `end`, the first and
    last cut to the period."""
    step = {"month": 1, "quarter": 3, "year": 12}[grouping]
    if grouping == "month":
        first = _month_start(start)
    elif grouping == "quarter":
        first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    else:
        first = date(start.year, 1, 1)
    found = []
    while first < end:
        after = _add_months(first, step)
        if grouping == "month":
            label = f"{MONTH_NAMES[first.month - 1]} {first.year}"
        elif grouping == "quarter":
            label = f"Q{(first.month - 1) // 3 + 1} {first.year}"
        else:
            label = str(first.year)
        found.append(Bucket(max(first, start), min(after, end), label))
        first = after
    return found


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # the day after the last
    grouping: str = "month"
    basis: str = "entered"
    sources: tuple[int, ...] = ()
    campaigns: tuple[int, ...] = ()
    countries: tuple[str, ...] = ()
    industry: str = ""
    band: str = ""
    grade: str = ""
    team: int | None = None
    qualifier: int | None = None
    channel: str = ""
    cycle: str = ""

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def since(self) -> datetime:
        return _aware(self.start)

    @property
    def until(self) -> datetime:
        return _aware(self.end)

    def buckets(self) -> list[Bucket]:
        return buckets(self.start, self.end, self.grouping)

    def segment(self) -> Q:
        """Everything but the period."""
        q = Q()
        if self.sources:
            q &= Q(source_id__in=self.sources)
        if self.campaigns:
            q &= Q(campaign_id__in=self.campaigns)
        if self.countries:
            q &= Q(country__in=self.countries)
        if self.industry:
            q &= Q(industry__iexact=self.industry)
        if self.band:
            q &= Q(employee_band=self.band)
        if self.grade:
            q &= Q(grade__startswith=self.grade)
        if self.team is not None:
            q &= Q(team_id=self.team)
        if self.qualifier is not None:
            q &= Q(qualifier_id=self.qualifier)
        if self.channel:
            q &= Q(channel=self.channel)
        if self.cycle == "first":
            q &= Q(cycle=1)
        elif self.cycle == "returning":
            q &= Q(cycle__gt=1)
        return q

    def within(self, column: str = "entered_at") -> Q:
        return Q(**{f"{column}__gte": self.since, f"{column}__lt": self.until})

    def apply(self, facts: QuerySet[CycleFact], column: str = "entered_at") -> QuerySet[CycleFact]:
        """The rows of the segment whose `column` falls in the period."""
        return facts.filter(self.segment() & self.within(column))

    def bucket(self, column: str = "entered_at") -> Case:
        """The index of the bucket `column` falls in (None outside the period)."""
        return Case(*(When(**{f"{column}__lt": _aware(b.end)}, then=Value(i))
                      for i, b in enumerate(self.buckets())), output_field=IntegerField())

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": (self.end - timedelta(days=1)).isoformat(),
                "grouping": self.grouping, "basis": self.basis, "sources": list(self.sources),
                "campaigns": list(self.campaigns), "countries": list(self.countries),
                "industry": self.industry, "employee_band": self.band, "grade": self.grade,
                "team": self.team, "qualifier": self.qualifier, "channel": self.channel,
                "cycle": self.cycle}


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


class FilterForm(forms.Form):
    # Shown first; the others are the segment, behind "More filters".
    PERIOD_FIELDS = ("period", "start", "end", "by", "basis")
    DEFAULTS = {"period": "last_12_months", "by": "month", "basis": "entered"}
    period = forms.ChoiceField(choices=PERIODS.items(), required=False, initial="last_12_months")
    start = forms.DateField(required=False, label="From",
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To",
                          widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(choices=GROUPINGS.items(), required=False, initial="month",
                           label="By")
    basis = forms.ChoiceField(choices=BASES.items(), required=False, initial="entered",
                              label="Count")
    source = forms.ModelMultipleChoiceField(queryset=Source.objects.order_by("name"),
                                            required=False)
    campaign = forms.ModelMultipleChoiceField(queryset=Campaign.objects.order_by("name"),
                                              required=False)
    country = forms.CharField(required=False, max_length=200,
                              help_text="two-letter codes, comma-separated (DE, FR)")
    industry = forms.CharField(required=False, max_length=100)
    band = forms.ChoiceField(choices=[("", "Any size"), *((b, b) for b in BANDS)],
                             required=False, label="Employees")
    grade = forms.ChoiceField(choices=[("", "Any fit"), *((g, f"Fit {g}") for g in GRADES)],
                              required=False, label="Fit")
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False,
                                  empty_label="All teams")
    qualifier = forms.ModelChoiceField(
        queryset=User.objects.filter(groups__name=Role.QUALIFIER).order_by(
            "first_name", "last_name", "username"),
        required=False, empty_label="All qualifiers")
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Inquiry.Channel.choices],
                                required=False)
    cycle = forms.ChoiceField(choices=CYCLES.items(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["qualifier"].label_from_instance = (  # type: ignore[attr-defined]
            lambda user: user.get_full_name() or user.username)

    @classmethod
    def from_query(cls, query: Any) -> FilterForm:
        """The form of a request's query string; the defaults when it has none
        of the form's fields (so the page shows the period it computes)."""
        if not any(name in query for name in cls.base_fields):
            return cls(cls.DEFAULTS)
        return cls(query)

    @property
    def segment_is_set(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name not in self.PERIOD_FIELDS)

    def clean_country(self) -> tuple[str, ...]:
        codes = tuple(dict.fromkeys(
            part.strip().upper() for part in self.cleaned_data["country"].split(",")
            if part.strip()))
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise forms.ValidationError(f"not a two-letter country code: {', '.join(bad)}")
        return codes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        period = data.get("period") or "last_12_months"
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None:
                self.add_error("start", "give the first day of the period")
            if end is None:
                self.add_error("end", "give the last day of the period")
            if start and end:
                if end < start:
                    self.add_error("end", "the last day comes before the first")
                elif (end - start).days > MOST_DAYS:
                    self.add_error("end", "a period of five years at most")
        return data

    def filters(self, today: date | None = None) -> Filters:
        data = self.cleaned_data
        period = data.get("period") or "last_12_months"
        if period == "custom":
            start, end = data["start"], data["end"] + timedelta(days=1)
        else:
            start, end = period_dates(period, today or timezone.localdate())
        return Filters(
            start=start, end=end, grouping=data.get("by") or "month",
            basis=data.get("basis") or "entered",
            sources=tuple(s.pk for s in data.get("source") or ()),
            campaigns=tuple(c.pk for c in data.get("campaign") or ()),
            countries=data.get("country") or (), industry=data.get("industry") or "",
            band=data.get("band") or "", grade=data.get("grade") or "",
            team=data["team"].pk if data.get("team") else None,
            qualifier=data["qualifier"].pk if data.get("qualifier") else None,
            channel=data.get("channel") or "", cycle=data.get("cycle") or "")

    def errors_by_field(self) -> dict[str, str]:
        return {name: " ".join(str(m) for m in messages) for name, messages in self.errors.items()}
