"""Demo data: a realistic, reproducible company with a year of leads.

`generate()` fills an empty database with users, teams, sources, campaigns with
monthly costs, accounts and leads with the records their histories imply
(touches, qualifications, handoffs, outcomes, open tasks, assignments, SLA
clocks). Each lead is walked: the demo's odds pick where it heads next and
when, and the lifecycle's table (`lifecycle.TRANSITIONS`, through
`demo.paths`) gives the moves that take it there, one StageChange each.

Speed to lead is played as routing would run it (`demo.clocks`): each
inquiry starts its SLA clock; the owner answers after their own pace in
their working hours; a clock that runs out is breached and the lead goes to a
teammate with a clock of their own; the first touch (which moves the lead to
working) stops the running clock. The sooner the first answer, the likelier
the walk qualifies the lead.

It must scale to a million leads, so leads are generated in batches: each batch
has its own RNG derived from the seed (the data never depends on what the
database held before), primary keys are assigned here, after the current
maximum, so children point at parents without a round trip, and each batch is
written (`rows.insert_rows`) in one transaction, then dropped from memory.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from leadgate.intake.models import Campaign, CampaignCost, Inquiry, Source
from leadgate.leads.history import lead_with_past, past_move
from leadgate.leads.lifecycle import CLOSED, ON_DESK, Role, Stage
from leadgate.leads.models import (
    Account,
    Handoff,
    Lead,
    Outcome,
    StageChange,
    Task,
    Team,
    Touch,
    User,
)
from leadgate.leads.records import RejectReason
from leadgate.lib.instances import Instances
from leadgate.lib.normalize import company_key
from leadgate.lib.vendor import vendor
from leadgate.routing.availability import team_schedule
from leadgate.routing.models import Assignment, SlaClock, SlaPolicy
from leadgate.workspace.models import Qualification

from .clocks import LUNCH, OpenHours, arrival, arrival_curve, speed_factor
from .nurture import seed_nurture
from .paths import START, WAYS
from .rows import insert_rows
from .words import (
    ANSWERS,
    BUYING_PLANS,
    CHANNELS,
    CORES,
    COUNTRIES,
    COUNTRY_CUM,
    DAY,
    DISPOSITIONS,
    DISQUALIFY_EARLY,
    DISQUALIFY_NURTURE,
    DISQUALIFY_WORKING,
    DOMAIN_FORMS,
    EMAIL_PATTERNS,
    EMPLOYEES,
    FIRST_NAMES,
    FORMS,
    HOUR,
    LAST_NAMES,
    LEGAL_FORMS,
    LOST_REASONS,
    MESSAGES,
    MINUTE,
    NEEDS,
    NEXT_STEPS,
    NOTES,
    NURTURE_EARLY,
    NURTURE_WORKING,
    PAINS,
    PREFIXES,
    QUALITY,
    REJECT_REASONS,
    REJECTS,
    RESPONSE_MINUTES,
    SEGMENT_PACE,
    SOURCES,
    TEAMS,
    TITLES,
    TOUCH_CHANNELS,
    USERS,
    UTM,
    pick,
)

DEFAULT_SEED = 20240501
DEFAULT_PASSWORD = "leadgate-demo"  # noqa: S105 - the documented demo login
SPAN = 365 * DAY
INQUIRY, MQL, WORKING, QUALIFIED = Stage.INQUIRY, Stage.MQL, Stage.WORKING, Stage.QUALIFIED
ACCEPTED, OPPORTUNITY, WON, LOST = Stage.ACCEPTED, Stage.OPPORTUNITY, Stage.WON, Stage.LOST
NURTURE, DISQUALIFIED, REJECTED = Stage.NURTURE, Stage.DISQUALIFIED, Stage.REJECTED
# Written parents first, so foreign keys hold inside each batch's transaction.
MODELS = (Account, Lead, Inquiry, StageChange, Touch, Task, Qualification, Handoff, Outcome,
          Assignment, SlaClock)
# A breached clock hands the lead to a teammate (the policies escalate) at most this often.
MAX_ESCALATIONS = 2
Segment, Clock, Why = SlaPolicy.Segment, SlaClock.State, Assignment.Why
REJECT_CODES = {text: code for code, text, _weight in REJECTS}


def company_name(index: int, rng: random.Random, country: str) -> tuple[str, str, str]:
    """Name, domain (without TLD) and industry of the account number `index`.
    A fixed stride scrambles the order; past the list size a number keeps it unique."""
    size = len(PREFIXES) * len(CORES) * len(DOMAIN_FORMS)
    mixed = (index * 7919) % size
    prefix, rest = PREFIXES[mixed % len(PREFIXES)], mixed // len(PREFIXES)
    (core, industry), form = CORES[rest % len(CORES)], DOMAIN_FORMS[rest // len(CORES)]
    suffix = str(index // size + 1) if index >= size else ""
    domain = form.format(f"{prefix}{core}".lower()) + suffix
    return f"{prefix} {core} {rng.choice(LEGAL_FORMS[country])}", domain, industry


def phone(pattern: str, rng: random.Random) -> str:
    return "".join(str(rng.randint(2, 9)) if ch == "N" else str(rng.randint(0, 9))
                   if ch == "X" else ch for ch in pattern)


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


def _create_company(leads: int, password: str, rng: random.Random, now: datetime) -> Company:
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


# Instances without Model.__init__, which costs more than the whole insert at a
# million leads. Callable defaults (now, dict) are evaluated once: callers pass
# those fields.
_INSTANCES = Instances()


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


class _Plan:
    """A response clock as it will run unless the lead leaves the desk first:
    its legs (owner, started, due, answered, breached), the first for the
    owner, each next one for the teammate the breach escalated it to."""

    __slots__ = ("policy", "legs")

    def __init__(self, policy: int, legs: list[tuple[int, int, int, int, int]]):
        self.policy, self.legs = policy, legs

    @property
    def answered(self) -> int:
        return self.legs[-1][3]

    def owner_at(self, at: float) -> int:
        return next(leg[0] for leg in reversed(self.legs) if leg[1] <= at)


class _Lead:
    """A lead while it is walked through the funnel (times in epoch seconds)."""

    __slots__ = ("id", "owner", "team", "rep", "hot", "segment", "quality", "stage", "cycle",
                 "t", "work_start", "handoff", "amount", "title", "person", "clock", "first",
                 "speed", "due")
    id: int
    owner: int  # user ids
    team: int
    rep: int
    hot: bool
    segment: str  # the SLA segment of its last inquiry
    clock: _Plan | None  # the response clock running, not yet written
    # The first touch of the cycle, when the lead is picked up: at, channel,
    # disposition, the clock it stops.
    first: tuple[float, str, str, Any] | None
    speed: float  # clocks.speed_factor of the cycle's first answer
    due: float | None  # the running clock's due time, at the end of the walk
    quality: tuple[float, float]
    stage: str
    cycle: int
    t: float
    work_start: float
    handoff: Any
    amount: Decimal
    title: str
    person: dict[str, str]


class _Batch:
    """The rows of one batch of leads, built in memory and written in one go."""

    def __init__(self, company: Company, ids: dict, rng: random.Random, now: float):
        self.company, self.ids, self.rng, self.now = company, ids, rng, now
        self.rows: dict[type, list] = {model: [] for model in MODELS}

    def _add(self, model, **fields):
        return self._keep(model, _INSTANCES.new(model, **fields))

    def _keep(self, model, obj):
        """Give `obj` the next id of its model and keep it for the batch's insert."""
        pk = self.ids[model]
        self.ids[model] = pk + 1
        obj.id = pk
        self.rows[model].append(obj)
        return obj

    def build(self, first_index: int, count: int, total: int, start: float, account_base: int):
        rng = self.rng
        n_accounts = math.ceil(count / 3)
        # Every account gets at least one lead; the others spread at random.
        slots = list(range(n_accounts)) + [rng.randrange(n_accounts)
                                           for _ in range(count - n_accounts)]
        rng.shuffle(slots)
        # Leads arrive over the year in key order, most on weekdays in office hours.
        curve = self.company.arrivals
        times = [arrival(curve, start, (first_index + i + rng.random()) / total)
                 for i in range(count)]
        first_seen: dict[int, float] = {}
        for slot, t in zip(slots, times, strict=True):
            first_seen.setdefault(slot, t)
        accounts = [self._account(account_base + k, first_seen[k]) for k in range(n_accounts)]
        for slot, t in zip(slots, times, strict=True):
            self._lead(accounts[slot], t)

    def _account(self, index: int, created: float) -> tuple:
        rng = self.rng
        code, _, tld, region, phone_format, cities = COUNTRIES[
            bisect_right(COUNTRY_CUM, rng.random() * COUNTRY_CUM[-1])]
        name, domain, industry = company_name(index, rng, code)
        domain = f"{domain}.{tld}"
        city, state, tz = rng.choice(cities)
        employees = rng.randint(*rng.choice(EMPLOYEES))
        owner, team = rng.choice(self.company.qualifiers[region])
        account = self._add(
            Account, name=name, name_key=company_key(name), domain=domain,
            website=f"https://www.{domain}", industry=industry,
            employees=employees, annual_revenue=Decimal(employees * rng.randint(90, 320) * 1000),
            country=code, state=state, city=city, owner_id=owner, created_at=_ts(created),
        )
        # Leads of one company go to the account's qualifier and one sales rep.
        rep = self.company.sales[index % len(self.company.sales)]
        return account, code, tz, phone_format, owner, team, rep, employees

    def _lead(self, account_info: tuple, created: float) -> None:
        rng = self.rng
        account, country, tz, phone_format, owner, team, rep, employees = account_info
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = rng.choice(EMAIL_PATTERNS).format(f=first.lower(), l=last.lower(),
                                                  i=first[0].lower())
        email = f"{local}@{account.domain}"
        number = phone(phone_format, rng) if rng.random() < 0.88 else ""
        source_id, kind, campaigns = self.company.sources[
            bisect_right(self.company.source_cum, rng.random() * self.company.source_cum[-1])]
        campaign_id = rng.choice(campaigns)
        lead = _Lead()
        lead.id, self.ids[Lead] = self.ids[Lead], self.ids[Lead] + 1
        lead.owner, lead.team, lead.rep, lead.title = owner, team, rep, rng.choice(TITLES)
        lead.quality, lead.stage, lead.cycle, lead.t = QUALITY[kind], "", 1, created
        lead.work_start, lead.handoff, lead.clock, lead.first, lead.due = created, None, None, \
            None, None
        # A deal with a bigger company is worth more (log-normal around the size).
        lead.amount = Decimal(round(8000 * (employees / 50) ** 0.45 * rng.lognormvariate(0, 0.4)))
        lead.person = {"first_name": first, "last_name": last, "email": email, "phone": number,
                       "company": account.name, "title": lead.title, "country": country}
        self._inquiry(lead, source_id, campaign_id, kind)
        self._go(lead, START, 0, None, "received")
        # Routing gave it to the account's qualifier; the clock starts on arrival.
        self._add(Assignment, lead_id=lead.id, cycle=1, from_user_id=None, to_user_id=owner,
                  team_id=team, why=Why.ACCOUNT_OWNER, rule_id=None, note="", by_id=None,
                  at=_ts(created))
        self._start_clock(lead)
        self._walk(lead)
        self._settle(lead, self.now, "open")
        self._open_task(lead)
        # The lead at the stage its walk reached (leads.history: the bulk path).
        self.rows[Lead].append(lead_with_past(
            _INSTANCES, id=lead.id, first_name=first, last_name=last, email=email, phone=number,
            title=lead.title, company_name=account.name, domain=account.domain, country=country,
            time_zone=tz,
            account_id=account.id, source_id=source_id, campaign_id=campaign_id,
            stage=lead.stage, cycle=lead.cycle, stage_changed_at=_ts(lead.t), owner_id=lead.owner,
            team_id=team, created_at=_ts(created), processed_at=_ts(created),
            updated_at=_ts(self.now),
        ))

    def _inquiry(self, lead: _Lead, source_id: int, campaign_id: int, kind: str) -> None:
        rng = self.rng
        channel = rng.choice(CHANNELS[kind])
        payload = dict(lead.person, utm_campaign=f"campaign-{campaign_id}")
        payload["utm_source"], payload["utm_medium"] = UTM[kind]
        if channel == "form":
            form = rng.choice(FORMS)
            payload.update(form=form, page=f"/{form}", message=rng.choice(MESSAGES))
            lead.hot = form in ("demo-request", "contact-sales")
        elif channel == "api":
            payload["partner_ref"] = f"P-{rng.randint(1000, 9999)}"
            lead.hot = rng.random() < 0.2
        else:
            payload["file"] = f"{kind}-leads-{_ts(lead.t):%Y-%m}.csv"
            lead.hot = False
        # The clock it starts (routing.sla.segment_of).
        lead.segment = (Segment.HOT_INBOUND if lead.hot else Segment.IMPORTED
                        if channel == "import" else Segment.INBOUND)
        self._add(Inquiry, lead_id=lead.id, cycle=lead.cycle, channel=channel,
                  source_id=source_id, campaign_id=campaign_id, is_hot=lead.hot,
                  payload=payload, received_at=_ts(lead.t))

    def _go(self, lead: _Lead, target: str, delay: float, by, reason: str = "") -> bool:
        """Take the lead to `target` by the lifecycle's moves (`paths.WAYS`), the
        `delay` shared among them; False if it stopped short, a move being due
        in the future. `reason` goes with the last move and any that needs one."""
        moves = WAYS.get((lead.stage, target))
        if moves is None:
            raise DemoError(f"the lifecycle has no way from '{lead.stage}' to '{target}'")
        step = delay / len(moves)
        for move in moves:
            if not self._move(lead, move.target, step, by,
                              reason if move.target == target or move.reason_required else ""):
                return False
        return True

    def _move(self, lead: _Lead, target: str, delay: float, by, reason: str = "") -> bool:
        """Record one move `delay` seconds after the previous one; if that moment
        is still in the future, record nothing: the lead waits where it is."""
        at = lead.t + max(delay, MINUTE if lead.stage else 0)
        if at > self.now:
            return False
        if lead.stage == WORKING:
            self._touches(lead, at, target, reason)
        if target == START and lead.stage:  # a returning person opens a new cycle
            lead.cycle += 1
        self._keep(StageChange, past_move(
            _INSTANCES, lead_id=lead.id, cycle=lead.cycle, from_stage=lead.stage,
            to_stage=target, at=_ts(at), by_id=by, reason=reason))
        lead.stage, lead.t = target, at
        if target == WORKING:
            lead.work_start = at
        return True

    def _walk(self, lead: _Lead) -> None:
        """Move the lead along the funnel until its cycle ends, it stalls, or its
        next move would lie in the future. The odds (where it heads from each
        stage) give B2B conversion rates; the moves that take it there are the
        lifecycle's (`_go`). A lead on the desk is picked up (`_work`) or put
        aside (`_leave`) when its owner answers (the clock's plan); the sooner
        they answered, the likelier it is qualified (`lead.speed`)."""
        rng, r = self.rng, self.rng.random
        p_mql, p_qualify = lead.quality
        recycled = renurtured = False
        while True:
            stage, x = lead.stage, r()
            if stage == INQUIRY:
                if x < p_mql:  # hot requests skip the MQL queue and get called at once
                    ok = (self._work(lead, rng.uniform(1, 10) * MINUTE) if lead.hot
                          else self._go(lead, MQL, self._scoring_delay(lead), None))
                elif x < p_mql + (1 - p_mql) * 0.5:
                    ok = self._leave(lead, NURTURE, pick(rng, NURTURE_EARLY),
                                     rng.uniform(0.2, 48) * HOUR)
                elif x < p_mql + (1 - p_mql) * 0.94:
                    ok = self._leave(lead, DISQUALIFIED, pick(rng, DISQUALIFY_EARLY),
                                     rng.uniform(0.2, 48) * HOUR)
                else:
                    return  # nobody worked it: the revenue gap the reports show
            elif stage == MQL:
                if x < 0.86:
                    ok = self._work(lead, rng.expovariate(1 / (6 * HOUR)))
                elif x < 0.98:
                    target, reasons = ((NURTURE, NURTURE_EARLY) if x < 0.95
                                       else (DISQUALIFIED, DISQUALIFY_EARLY))
                    ok = self._leave(lead, target, pick(rng, reasons), rng.uniform(1, 72) * HOUR)
                else:
                    return
            elif stage == WORKING:
                delay = rng.uniform(2, 25) * DAY
                if x < p_qualify * (0.3 if recycled else 1.0) * lead.speed:
                    ok = self._qualify(lead, delay)
                elif x < 0.62:
                    ok = self._go(lead, NURTURE, delay, lead.owner, pick(rng, NURTURE_WORKING))
                    if ok and r() < 0.6:
                        self._qualification(lead, "long_term")
                elif x < 0.97:
                    reason = pick(rng, DISQUALIFY_WORKING)
                    ok = self._go(lead, DISQUALIFIED, delay, lead.owner, reason)
                    if ok and not reason.startswith("Unreachable") and r() < 0.4:
                        self._qualification(lead, "not_a_fit")
                else:
                    ok = False  # still being worked
            elif stage == QUALIFIED:
                ok = self._decide(lead, x < 0.76, rng.uniform(4 * HOUR, 5 * DAY))
            elif stage == REJECTED:  # recycled: back to work once, nurture, or out
                delay = rng.uniform(1, 10) * DAY
                if not recycled and x < 0.5:
                    recycled = True
                    ok = self._go(lead, WORKING, delay, lead.owner,
                                  "Recycled after sales feedback")
                elif x < 0.8:
                    ok = self._go(lead, NURTURE, delay, lead.owner, pick(rng, NURTURE_WORKING))
                else:
                    ok = self._go(lead, DISQUALIFIED, delay, lead.owner,
                                  pick(rng, REJECT_REASONS))
            elif stage == ACCEPTED:
                if x < 0.6:
                    ok = self._outcome(lead, OPPORTUNITY, rng.uniform(2, 20) * DAY)
                elif x < 0.85:
                    ok = self._outcome(lead, LOST, rng.uniform(3, 30) * DAY,
                                       pick(rng, LOST_REASONS))
                else:
                    ok = self._go(lead, NURTURE, rng.uniform(3, 30) * DAY, lead.rep,
                                  "Project postponed by the customer")
            elif stage == OPPORTUNITY:
                delay = rng.uniform(20, 100) * DAY
                ok = (self._outcome(lead, WON, delay) if x < 0.28
                      else self._outcome(lead, LOST, delay, pick(rng, LOST_REASONS)))
            elif stage == NURTURE:
                if not renurtured and x < 0.12:
                    renurtured = True
                    ok = self._go(lead, MQL, rng.uniform(30, 150) * DAY, None,
                                  "Re-engaged: score crossed the MQL threshold")
                    if ok:  # nurture hands it back with a clock of its own
                        lead.segment = Segment.RETURNED
                        self._start_clock(lead)
                elif x < 0.22:
                    ok = self._go(lead, DISQUALIFIED, rng.uniform(20, 200) * DAY, None,
                                  pick(rng, DISQUALIFY_NURTURE))
                else:
                    return  # stays in nurture
            elif stage in CLOSED:  # won, lost, disqualified: a few people come back
                if lead.cycle > 1 or x >= (0.15 if stage == WON else 0.06):
                    return
                ok = self._go(lead, START, rng.uniform(30, 200) * DAY, None,
                              "returned: new cycle")
                if ok:
                    recycled = renurtured = False
                    source_id, kind, campaigns = rng.choice(self.company.sources)
                    self._inquiry(lead, source_id, rng.choice(campaigns), kind)
                    self._start_clock(lead)
            else:
                return  # a stage the demo has no odds for: the lead stays there
            if not ok:
                if lead.stage == WORKING:  # the touches so far on a lead still worked
                    self._touches(lead, min(self.now, lead.work_start + 30 * DAY), "", "")
                return

    # --- speed to lead: the response clock, as routing.sla runs it ---------------------------

    def _start_clock(self, lead: _Lead) -> None:
        """Plan the response clock the lead's arrival (or return from nurture)
        starts: when its owner will answer it; past the due time, the breach
        check escalates it to a teammate, whose own clock starts then (at most
        MAX_ESCALATIONS times; nobody is available outside the team's hours).
        Written by `_settle` once the walk knows what happened first."""
        self._settle(lead, lead.t, "open")  # none should be left running, but be sure
        lead.speed, lead.first = 1.0, None
        policy = self.company.policies.get(lead.segment)
        if policy is None:
            return
        rng, company = self.rng, self.company
        hours = company.sla_hours.get(lead.team)
        owner, start, legs = lead.owner, int(lead.t), []
        for escalated in range(MAX_ESCALATIONS + 1):
            allowed = policy.minutes * MINUTE
            due = (hours.add(start, allowed) if hours is not None and policy.business_hours
                   else start + allowed)
            answered = self._answer(owner, start, lead.segment, escalated > 0)
            breach = due + rng.randint(1, 8)  # the check runs every few seconds
            legs.append((owner, start, due, answered, breach))
            others = [user for user in company.members.get(lead.team, ()) if user != owner]
            if (answered <= due or not policy.escalate or escalated == MAX_ESCALATIONS
                    or not others or hours is None or not hours.is_open(breach)):
                break
            owner, start = rng.choice(others), breach
        lead.clock = _Plan(policy.pk, legs)

    def _answer(self, owner: int, start: int, segment: str, escalated: bool) -> int:
        """When `owner` first answers a lead that reached their desk at `start`:
        a pause of their working time around their own median (an escalation
        comes with the manager's alert: quicker), counted from the desk's next
        opening, behind the queue that built up meanwhile, when it came in
        outside their hours or over lunch."""
        rng = self.rng
        minutes = (self.company.speed.get(owner, 10) * SEGMENT_PACE.get(segment, 1.0)
                   * rng.lognormvariate(0, 0.8) * (0.5 if escalated else 1.0))
        hours = self.company.desk_hours.get(self.company.team_of.get(owner, -1))
        if hours is None:
            return int(start + max(minutes, 1.5) * MINUTE)
        if not hours.is_open(start):
            minutes += rng.uniform(0, 40)
        return hours.add(start, max(minutes, 1.5) * MINUTE)

    def _settle(self, lead: _Lead, until: float, how: str) -> Any:
        """Write the planned clock as it ran until `until`, when the owner
        first touched the lead (`how` "touch"), it left the desk ("leave"), or
        now, the lead still waiting ("open"). Each escalation reassigns the
        lead. Returns the clock the touch stopped, if it stopped one (a clock
        breached before the touch stays breached, without a response)."""
        plan, lead.clock, lead.due = lead.clock, None, None
        if plan is None:
            return None
        at, stopped = int(until), None
        for number, (owner, start, due, _answered, breach) in enumerate(plan.legs):
            if start > at:
                break
            if number:
                self._add(Assignment, lead_id=lead.id, cycle=lead.cycle, from_user_id=lead.owner,
                          to_user_id=owner, team_id=lead.team, why=Why.SLA_BREACH, rule_id=None,
                          note=f"SLA breached (due {_ts(plan.legs[number - 1][2]):%Y-%m-%d %H:%M}"
                               " UTC)", by_id=None, at=_ts(start))
                lead.owner = owner
            clock = self._add(SlaClock, lead_id=lead.id, cycle=lead.cycle, policy_id=plan.policy,
                              owner_id=owner, state=Clock.BREACHED, started_at=_ts(start),
                              due_at=_ts(due), stopped_at=None, touch_id=None,
                              response_seconds=None, breached_at=_ts(breach))
            if number + 1 < len(plan.legs) and plan.legs[number + 1][1] <= at:
                continue  # breached and escalated
            if at >= breach:
                return None  # breached: what came later does not stop it
            clock.breached_at = None
            if how == "touch":  # stop_clock: met, or breached by the touch itself
                clock.state = Clock.MET if at <= due else Clock.BREACHED
                clock.breached_at = None if at <= due else _ts(at)
                clock.stopped_at, clock.response_seconds = _ts(at), at - start
                stopped = clock
            elif how == "leave":  # off the desk: the clock no longer applies
                clock.state, clock.stopped_at = Clock.CANCELLED, _ts(at)
            else:
                clock.state, lead.due = Clock.RUNNING, due
        return stopped

    def _scoring_delay(self, lead: _Lead) -> float:
        """Scoring makes an inquiry an MQL within minutes, before its first call."""
        delay = self.rng.uniform(1, 8) * MINUTE
        if lead.clock is not None:
            delay = min(delay, (lead.clock.answered - lead.t) / 2)
        return delay

    def _work(self, lead: _Lead, delay: float) -> bool:
        """The owner's first touch, when their clock says (`delay` without a
        clock), moves the lead to working (as logging a touch does) and stops
        the clock."""
        rng, plan = self.rng, lead.clock
        at = max(plan.answered if plan is not None else lead.t + delay, lead.t + MINUTE)
        if at > self.now:
            return False
        began = plan.legs[0][1] if plan is not None else lead.t
        owner = plan.owner_at(at) if plan is not None else lead.owner
        # A call within minutes finds the person still at their desk more often.
        connect = 0.5 if at - began <= 5 * MINUTE else 0.35 if at - began <= HOUR else 0.22
        channel = "call" if rng.random() < 0.8 else "email"
        disposition = ("sent" if channel == "email" else "connected" if rng.random() < connect
                       else rng.choice(("no_answer", "no_answer", "voicemail_left", "busy",
                                        "gatekeeper")))
        reason = f"{Touch.Channel(channel).label}: {Touch.Disposition(disposition).label}"
        if not self._go(lead, WORKING, at - lead.t, owner, reason.lower()):
            return False
        at = min(max(at, lead.work_start), self.now)
        lead.first = (at, channel, disposition, self._settle(lead, at, "touch"))
        lead.speed = speed_factor(at - began)
        return True

    def _leave(self, lead: _Lead, target: str, reason: str, delay: float) -> bool:
        """The owner puts the lead aside (nurture, disqualified) without a
        touch when their clock says they got to it (`delay` without a clock)."""
        plan = lead.clock
        at = max(plan.answered if plan is not None else lead.t + delay, lead.t + MINUTE)
        owner = plan.owner_at(at) if plan is not None else lead.owner
        if not self._go(lead, target, at - lead.t, owner, reason):
            return False
        self._settle(lead, lead.t, "leave")
        return True

    def _qualification(self, lead: _Lead, verdict: str) -> dict:
        rng = self.rng
        budgets, authority, timeframes = ANSWERS[verdict]
        answers = {"budget": rng.choice(budgets), "need": rng.choice(NEEDS),
                   "authority": f"{lead.title}, {rng.choice(authority)}",
                   "timeframe": rng.choice(timeframes)}
        self._add(Qualification, lead_id=lead.id, cycle=lead.cycle, framework="bant",
                  answers=answers, verdict=verdict, by_id=lead.owner, at=_ts(lead.t))
        return answers

    def _qualify(self, lead: _Lead, delay: float) -> bool:
        if not self._go(lead, QUALIFIED, delay, lead.owner):
            return False
        answers = self._qualification(lead, "sales_ready")
        dossier = dict(answers, pains=self.rng.sample(PAINS, 2),
                       buying_plan=self.rng.choice(BUYING_PLANS))
        lead.handoff = self._add(
            Handoff, lead_id=lead.id, cycle=lead.cycle, from_user_id=lead.owner,
            to_user_id=lead.rep, dossier=dossier, status="pending", created_at=_ts(lead.t),
        )
        return True

    def _decide(self, lead: _Lead, accept: bool, delay: float) -> bool:
        """The rep accepts, or rejects with a reason from the list and a few
        words (as handoff.flow.reject records them)."""
        text = "" if accept else pick(self.rng, REJECT_REASONS)
        code = REJECT_CODES.get(text, "")
        reason = f"rejected by sales: {RejectReason(code).label}: {text}" if code else ""
        if not self._go(lead, ACCEPTED if accept else REJECTED, delay, lead.rep, reason):
            return False
        handoff = lead.handoff
        handoff.status = "accepted" if accept else "rejected"
        handoff.decided_at, handoff.decided_by_id = _ts(lead.t), lead.rep
        handoff.reject_reason, handoff.decision_reason = code, text
        return True

    def _outcome(self, lead: _Lead, kind: str, delay: float, reason: str = "") -> bool:
        if not self._go(lead, kind, delay, lead.rep, reason):
            return False
        amount = None
        if kind == WON:
            amount = (lead.amount * Decimal(self.rng.uniform(0.8, 1.05))).quantize(Decimal(1))
        elif kind == OPPORTUNITY:
            amount = lead.amount
        self._add(Outcome, lead_id=lead.id, cycle=lead.cycle, kind=kind, amount=amount,
                  reason=reason, by_id=lead.rep, at=_ts(lead.t))
        return True

    def _touches(self, lead: _Lead, end: float, target: str, reason: str) -> None:
        """The owner's touches while the lead was in `working`, before `end`."""
        rng = self.rng
        unreachable = reason.startswith("Unreachable")
        count = (rng.randint(6, 9) if unreachable
                 else rng.randint(2, 6) if target == QUALIFIED else rng.randint(1, 4))
        # The first touch: the one that picked the lead up (`_work`), or
        # within the hour of taking it back to work.
        picked, lead.first = lead.first, None
        if picked is not None:
            first, stopped = picked[0], picked[3]
            if first >= end - MINUTE:
                count = 1
        else:
            first, stopped = lead.work_start + rng.uniform(0.5, 60) * MINUTE, None
            if first >= end - MINUTE:
                return
        times = sorted([first] + [rng.uniform(first, end - MINUTE) for _ in range(count - 1)])
        for i, at in enumerate(times):
            channel = rng.choice(TOUCH_CHANNELS)
            disposition = rng.choice(DISPOSITIONS[channel])
            if i == 0 and picked is not None:
                channel, disposition = picked[1], picked[2]
            if unreachable and disposition in ("connected", "replied", "call_back",
                                               "not_interested"):
                disposition = "no_answer" if channel == "call" else "sent"
            if target == QUALIFIED and i == len(times) - 1:
                channel, disposition = "meeting", "connected"
            elif target == QUALIFIED and i == len(times) - 2 and channel == "call":
                disposition = "meeting_booked"  # the call that set up that meeting
            connected = disposition in ("connected", "meeting_booked")
            duration = (rng.randint(900, 3600) if channel == "meeting"
                        else rng.randint(120, 1500) if connected
                        else rng.randint(10, 45) if channel == "call" else 0)
            touch = self._add(Touch, lead_id=lead.id, cycle=lead.cycle, channel=channel,
                              direction="inbound" if disposition == "replied" else "outbound",
                              disposition=disposition, duration_seconds=duration,
                              notes=rng.choice(NOTES) if connected else "",
                              actor_id=lead.owner, at=_ts(at))
            if i == 0 and stopped is not None:
                stopped.touch_id = touch.id

    def _open_task(self, lead: _Lead) -> None:
        """Every lead still on a desk has its next step."""
        if lead.stage not in ON_DESK:
            return
        titles, due_in = NEXT_STEPS[Stage(lead.stage)]
        due = lead.t + due_in * self.rng.uniform(0.5, 1.5)
        self._add(Task, lead_id=lead.id, assignee_id=lead.owner, title=self.rng.choice(titles),
                  # The first call is due when the running clock runs out (routing.sla).
                  due_at=_ts(lead.due if lead.due is not None else due),
                  created_by_id=None if lead.stage == INQUIRY else lead.owner,
                  created_at=_ts(lead.t))

    def write(self) -> None:
        for model in MODELS:
            insert_rows(model, self.rows[model])


def generate(leads: int = 5000, seed: int = DEFAULT_SEED, *, password: str = DEFAULT_PASSWORD,
             batch_size: int = 10_000, progress: bool = False) -> dict:
    """Fill an empty database with a demo company and `leads` leads over the last
    twelve months; the same seed gives the same data. Returns a summary."""
    if leads < 1 or batch_size < 1:
        raise DemoError("--leads and --batch-size must be at least 1")
    check_empty()
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        company = _create_company(leads, password, random.Random(f"{seed}:company"), now)
    company.arrivals = arrival_curve(now.timestamp() - SPAN, SPAN, [tz for *_, tz in TEAMS])
    if vendor() == "sqlite":  # PostgreSQL: its own settings
        # A bigger page cache keeps index inserts fast once tables outgrow the default 2 MB.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    ids = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in MODELS}
    first_ids = dict(ids)
    from tqdm import tqdm

    with tqdm(total=leads, unit="lead", disable=not progress, desc="demo") as bar:
        for number in range(math.ceil(leads / batch_size)):
            first = number * batch_size
            count = min(batch_size, leads - first)
            batch = _Batch(company, ids, random.Random(f"{seed}:batch:{number}"), now.timestamp())
            batch.build(first, count, leads, now.timestamp() - SPAN,
                        number * math.ceil(batch_size / 3))
            with transaction.atomic():
                batch.write()
            bar.update(count)
    # Keys were assigned here, so PostgreSQL's sequences must catch up.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(MODELS)):
            cursor.execute(sql)
    # The cadences, and what nurture did with every lead the walk took there.
    nurtured = seed_nurture(now, seed, since=now - timedelta(seconds=SPAN))
    rows = {model.__name__: ids[model] - first_ids[model] for model in MODELS}
    return {"seed": seed, "leads": leads, "password": password, "logins": company.logins,
            "now": now,
            "rows": {**rows, **{name: rows.get(name, 0) + count
                                for name, count in nurtured.items()}}}
