"""The fixed part of the demo company: its users and teams, sources and
campaigns with their monthly costs, and what the response clocks need to
know of them (the SLA policies, each team's SLA and desk hours), kept as
the ids and figures the lead generator (`seed._Batch`) reads."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from leadgate.intake.models import Campaign, CampaignCost, Source
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Team, User
from leadgate.routing.availability import team_schedule
from leadgate.routing.models import SlaPolicy

from .clocks import LUNCH, OpenHours
from .segment_tests import DemoTest
from .words import DAY, RESPONSE_MINUTES, SOURCES, TEAMS, USERS

SPAN = 365 * DAY  # the demo's year of leads, up to now


class DemoError(Exception):
    """The database is not fit for demo data (it already holds leads, say)."""


@dataclass
class Company:
    """The fixed part of the demo company, as the ids the lead generator needs."""

    qualifiers: dict[str, list[tuple[int, int]]]  # region -> [(user id, team id)]
    sales: list[int] = field(default_factory=list)
    sources: list[tuple[int, str, list[int]]] = field(default_factory=list)  # id, kind, campaigns
    source_cum: list[float] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (role, username)
    # Speed to lead: each qualifier's median first answer (minutes of work),
    # their team and its members, the team's SLA hours and desk hours (less
    # lunch), the active SLA policies by segment.
    speed: dict[int, float] = field(default_factory=dict)
    team_of: dict[int, int] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)
    sla_hours: dict[int, OpenHours] = field(default_factory=dict)
    desk_hours: dict[int, OpenHours] = field(default_factory=dict)
    policies: dict[str, SlaPolicy] = field(default_factory=dict)
    arrivals: list[float] = field(default_factory=list)  # arrival_curve() over the year
    tests: list[DemoTest] = field(default_factory=list)  # the segment tests leads join


def check_empty() -> None:
    if Lead.objects.exists():
        raise DemoError("the database already holds leads: demo data only goes into an "
                        "empty database (e.g. point LEADGATE_SQLITE_PATH at a new file)")
    taken = User.objects.filter(username__in=[user[0] for user in USERS])
    if taken.exists():
        names = ", ".join(sorted(taken.values_list("username", flat=True)))
        raise DemoError(f"demo users already exist ({names}): use an empty database")
    if Source.objects.filter(name__in=[source[0] for source in SOURCES]).exists():
        raise DemoError("demo sources already exist: use an empty database")


def create_company(leads: int, password: str, rng: random.Random, now: datetime) -> Company:
    # Hashing is deliberately slow: hash once, reuse the hash for every demo user.
    hashed = make_password(password)
    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    if len(groups) != len(Role.values):
        raise DemoError("role groups are missing: run `leadgate migrate` first")
    # The first team takes the leads no routing rule sends elsewhere: no new lead is unrouted.
    teams = {region: Team.objects.create(name=name, time_zone=tz, is_default=index == 0)
             for index, (region, name, tz) in enumerate(TEAMS)}
    company = Company(qualifiers={region: [] for region in teams})
    for username, first, last, role, region in USERS:
        team = teams.get(region)
        user = User.objects.create_user(
            username=username, email=f"{username}@leadgate.example", first_name=first,
            last_name=last, team=team, time_zone=team.time_zone if team else "UTC",
            is_staff=role in (Role.ADMIN, Role.MANAGER), is_superuser=role == Role.ADMIN,
        )
        user.password = hashed
        user.save(update_fields=["password"])
        user.groups.add(groups[role])
        if role == Role.QUALIFIER:
            assert team is not None, f"qualifier {username} needs a team"
            company.qualifiers[region].append((user.pk, team.pk))
            company.speed[user.pk] = RESPONSE_MINUTES.get(username, 10)
            company.team_of[user.pk] = team.pk
            company.members.setdefault(team.pk, []).append(user.pk)
        elif role == Role.SALES:
            company.sales.append(user.pk)
        if role not in dict(company.logins):
            company.logins.append((role, username))
    months = cost_periods(now)
    for name, kind, share, cost_per_lead, campaigns in SOURCES:
        source = Source.objects.create(name=name, kind=kind)
        campaign_ids = []
        for campaign_name, campaign_share in campaigns:
            campaign = Campaign.objects.create(name=campaign_name, source=source,
                                               starts_on=months[0][0])
            campaign_ids += [campaign.pk] * round(campaign_share * 20)
            # Costs follow the expected lead volume of the month (the first
            # and the current one in part), so the cost per lead stays
            # realistic whatever --leads is.
            per_period = leads * share * campaign_share * cost_per_lead
            CampaignCost.objects.bulk_create(
                CampaignCost(campaign=campaign, period_start=first, period_end=last,
                             amount=Decimal(f"{per_period * part * rng.uniform(0.85, 1.15):.2f}"))
                for first, last, part in months
            )
        company.sources.append((source.pk, kind, campaign_ids))
        company.source_cum.append((company.source_cum or [0])[-1] + share)
    _clock_settings(company, teams.values(), now)
    return company


def cost_periods(now: datetime) -> list[tuple[date, date, float]]:
    """The demo's months (in the site's time zone) as cost periods: first day,
    last day, and the share of the year's leads that arrived in them. The first
    starts with the demo's year, the current one ends today."""
    zone = timezone.get_current_timezone()
    begin = timezone.localtime(now - timedelta(seconds=SPAN), zone)
    end = timezone.localtime(now, zone)
    periods, month = [], begin.date().replace(day=1)
    while month <= end.date():
        following = (month + timedelta(days=32)).replace(day=1)
        lo = max(datetime.combine(month, time(0), tzinfo=zone), begin)
        hi = min(datetime.combine(following, time(0), tzinfo=zone), end)
        periods.append((lo.date(), min(following - timedelta(days=1), end.date()),
                        max(0.0, (hi - lo).total_seconds() / SPAN)))
        month = following
    return periods


def _clock_settings(company: Company, teams: Iterable[Team], now: datetime) -> None:
    """What the response clocks need: the active policies, each team's SLA
    hours (its business hours, as `routing.sla.due_time` counts them) and desk
    hours (less lunch) over the demo's year and a little after."""
    company.policies = {policy.segment: policy for policy in SlaPolicy.objects.filter(
        active=True)}
    first, last = now.timestamp() - SPAN - 7 * DAY, now.timestamp() + 90 * DAY
    for team in teams:
        schedule = team_schedule(team)
        if schedule.has_open_time:
            company.sla_hours[team.pk] = OpenHours(schedule, first, last)
            company.desk_hours[team.pk] = OpenHours(schedule, first, last, LUNCH)
