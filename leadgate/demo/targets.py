"""The demo's targets: what the manager set, month by month, for the company
and for each qualifier team, near what each month then brought.

A target is set before its month: for the last twelve months (the current
one included) from what the month did (the current one projected to its
end), a few percent above or below, so a scorecard shows months ahead of
plan and months behind; for the next three from the recent run rate with a
little growth. The actual figures are the reports' own: read from the
summary table (`reports.facts`), so run this after `facts.rebuild()`.
"""

from __future__ import annotations

import calendar
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from leadgate.intake.models import CampaignCost
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Team, User
from leadgate.reports.models import CycleFact, Target

Metric = Target.Metric
# Each metric's month: when the cycle reached the stage (inquiries: entered).
WHEN = {Metric.INQUIRIES: "entered_at", Metric.MQLS: "mql_at", Metric.SALS: "accepted_at",
        Metric.OPPORTUNITIES: "opportunity_at", Metric.WON: "won_at"}
MONEY = {Metric.REVENUE, Metric.COST}
PAST, AHEAD = 12, 3  # months with targets: these many up to the current one, and after it


def _month(day: date, shift: int) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def actuals(team: int | None = None) -> dict[str, dict[date, Decimal]]:
    """Per metric, per month (site time zone): what the demo's history brought,
    for a team or (None) the company."""
    zone = timezone.get_current_timezone()
    facts = CycleFact.objects.all() if team is None else CycleFact.objects.filter(team_id=team)
    found: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for metric, name in WHEN.items():
        for month, n in (facts.filter(**{f"{name}__isnull": False})
                         .annotate(month=TruncMonth(name, tzinfo=zone)).values("month")
                         .annotate(n=Count("pk")).order_by().values_list("month", "n")):
            found[metric][month.date()] = Decimal(n)
    for month, total in (facts.filter(won_at__isnull=False)
                         .annotate(month=TruncMonth("won_at", tzinfo=zone)).values("month")
                         .annotate(total=Sum("revenue")).order_by()
                         .values_list("month", "total")):
        found[Metric.REVENUE][month.date()] = total or Decimal(0)
    if team is None:
        for start, amount in CampaignCost.objects.values_list("period_start", "amount"):
            month = start.replace(day=1)
            found[Metric.COST][month] = found[Metric.COST].get(month, Decimal(0)) + amount
    return found


def _rounded(value: float, money: bool) -> Decimal:
    step = Decimal(100 if money and value >= 5000 else 10 if money else 1)
    return (Decimal(value) / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def _values(figures: dict[date, Decimal], months: list[date], now: datetime, money: bool,
            rng: random.Random) -> list[Decimal]:
    """A target per month, near its figure: as many months above as below up
    to the current one (projected to the month's end), a little growth after."""
    current = months[PAST - 1]
    days = calendar.monthrange(current.year, current.month)[1]
    begun = datetime.combine(current, time(0), tzinfo=timezone.get_current_timezone())
    elapsed = max((now - begun).total_seconds() / 86400, 1.0)
    recent = [float(figures.get(_month(current, -k), 0)) for k in (1, 2, 3)]
    run_rate = sum(recent) / 3
    typical = sorted(float(figures.get(month, 0)) for month in months[:PAST])[PAST // 2]
    unit = Decimal(100 if money else 1)
    signs = [1, -1] * (PAST // 2)
    rng.shuffle(signs)
    values = []
    for index, month in enumerate(months):
        actual = figures.get(month, Decimal(0))
        if index < PAST - 1:
            base = float(actual)
        elif index == PAST - 1:
            base = float(actual) * days / min(elapsed, days)
        else:
            base = run_rate * 1.02 ** (index - PAST + 1)
        swing = (signs[index] * rng.uniform(0.04, 0.15) if index < PAST
                 else rng.uniform(0.0, 0.1))
        value = max(_rounded(max(base, typical * 0.3) * (1 + swing), money), unit)
        if index < PAST - 1 and value == actual:  # near, not equal
            value += unit if signs[index] > 0 or value <= unit else -unit
        values.append(value)
    return values


def seed_targets(now: datetime, seed: int) -> int:
    """The manager's targets for every metric, the last twelve months and the
    next three, for the company and (all but cost) for each qualifier team.
    Returns how many were written."""
    rng = random.Random(f"{seed}:targets")
    manager = User.objects.filter(groups__name=Role.MANAGER).order_by("pk").first()
    local_now = timezone.localtime(now)
    current = local_now.date().replace(day=1)
    months = [_month(current, shift) for shift in range(1 - PAST, AHEAD + 1)]
    zone = timezone.get_current_timezone()
    scopes: list[Team | None] = [None, *Team.objects.filter(
        members__groups__name=Role.QUALIFIER).distinct().order_by("pk")]
    rows = []
    for team in scopes:
        figures = actuals(team.pk if team is not None else None)
        for metric in Metric:
            if team is not None and metric == Metric.COST:
                continue  # marketing spends for the company, not for a team
            values = _values(figures[metric], months, now, metric in MONEY, rng)
            for month, value in zip(months, values, strict=True):
                # Set in the last days before the month; months ahead, lately.
                set_at = (datetime.combine(month, time(16), tzinfo=zone)
                          - timedelta(days=rng.uniform(1, 6)) if month <= current
                          else now - timedelta(days=rng.uniform(1, 10)))
                rows.append(Target(month=month, team=team, metric=metric, value=value,
                                   set_by=manager, set_at=min(set_at, now)))
    Target.objects.bulk_create(rows)
    return len(rows)
