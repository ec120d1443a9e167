"""Demo data: a realistic, reproducible company with a year of leads.

`generate()` fills an empty database with users, teams, sources, campaigns with
monthly costs, accounts and leads with the records their histories imply
(touches, qualifications, handoffs, outcomes, open tasks). Each lead is walked:
the demo's odds pick where it heads next and when, and the lifecycle's table
(`lifecycle.TRANSITIONS`, through `demo.paths`) gives the moves that take it
there, one StageChange each.

It must scale to a million leads, so leads are generated in batches: each batch
has its own RNG derived from the seed (the data never depends on what the
database held before), primary keys are assigned here, after the current
maximum, so children point at parents without a round trip, and each batch is
written with `bulk_create` in one transaction, then dropped from memory.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from leadgate.lib.instances import Instances
from leadgate.lib.normalize import company_key
from leadgate.lib.vendor import vendor
from leadgate.workspace.models import Qualification

from .nurture import seed_nurture
from .paths import START, WAYS
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
    SOURCES,
    TEAMS,
    TITLES,
    TOUCH_CHANNELS,
    USERS,
    UTM,
)

DEFAULT_SEED = 20240501
DEFAULT_PASSWORD = "leadgate-demo"  # noqa: S105 - the documented demo login
SPAN = 365 * DAY
INQUIRY, MQL, WORKING, QUALIFIED = Stage.INQUIRY, Stage.MQL, Stage.WORKING, Stage.QUALIFIED
ACCEPTED, OPPORTUNITY, WON, LOST = Stage.ACCEPTED, Stage.OPPORTUNITY, Stage.WON, Stage.LOST
NURTURE, DISQUALIFIED, REJECTED = Stage.NURTURE, Stage.DISQUALIFIED, Stage.REJECTED
# Written parents first, so foreign keys hold inside each batch's transaction.
MODELS = (Account, Lead, Inquiry, StageChange, Touch, Task, Qualification, Handoff, Outcome)



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
        elif role == Role.SALES:
            company.sales.append(user.pk)
        if role not in dict(company.logins):
            company.logins.append((role, username))
    months, month = [], (now - timedelta(seconds=SPAN)).date().replace(day=1)
    while month <= now.date():
        following = (month + timedelta(days=32)).replace(day=1)
        months.append((month, following - timedelta(days=1)))
        month = following
    for name, kind, share, cost_per_lead, campaigns in SOURCES:
        source = Source.objects.create(name=name, kind=kind)
        campaign_ids = []
        for campaign_name, campaign_share in campaigns:
            campaign = Campaign.objects.create(name=campaign_name, source=source,
                                               starts_on=months[0][0])
            campaign_ids += [campaign.pk] * round(campaign_share * 20)
            # Costs follow the expected lead volume, so the cost per lead stays
            # realistic whatever --leads is.
            monthly = leads * share * campaign_share / len(months) * cost_per_lead
            CampaignCost.objects.bulk_create(
                CampaignCost(campaign=campaign, period_start=first, period_end=last,
                             amount=Decimal(f"{monthly * rng.uniform(0.7, 1.3):.2f}"))
                for first, last in months
            )
        company.sources.append((source.pk, kind, campaign_ids))
        company.source_cum.append((company.source_cum or [0])[-1] + share)
    return company


# Instances without Model.__init__, which costs more than the whole insert at a
# million leads. Callable defaults (now, dict) are evaluated once: callers pass
# those fields.
_INSTANCES = Instances()


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


class _Lead:
    """A lead while it is walked through the funnel (times in epoch seconds)."""

    __slots__ = ("id", "owner", "rep", "hot", "quality", "stage", "cycle", "t", "work_start",
                 "handoff", "amount", "title", "person")
    id: int
    owner: int  # user ids
    rep: int
    hot: bool
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
        # Leads arrive evenly over the year, in key order.
        times = [start + (first_index + i + rng.random()) * SPAN / total for i in range(count)]
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
        lead.owner, lead.rep, lead.title = owner, rep, rng.choice(TITLES)
        lead.quality, lead.stage, lead.cycle, lead.t = QUALITY[kind], "", 1, created
        lead.work_start, lead.handoff = created, None
        # A deal with a bigger company is worth more (log-normal around the size).
        lead.amount = Decimal(round(8000 * (employees / 50) ** 0.45 * rng.lognormvariate(0, 0.4)))
        lead.person = {"first_name": first, "last_name": last, "email": email, "phone": number,
                       "company": account.name, "title": lead.title, "country": country}
        self._inquiry(lead, source_id, campaign_id, kind)
        self._go(lead, START, 0, None, "received")
        self._walk(lead)
        self._open_task(lead)
        # The lead at the stage its walk reached (leads.history: the bulk path).
        self.rows[Lead].append(lead_with_past(
            _INSTANCES, id=lead.id, first_name=first, last_name=last, email=email, phone=number,
            title=lead.title, company_name=account.name, domain=account.domain, country=country,
            time_zone=tz,
            account_id=account.id, source_id=source_id, campaign_id=campaign_id,
            stage=lead.stage, cycle=lead.cycle, stage_changed_at=_ts(lead.t), owner_id=owner,
            team_id=team, created_at=_ts(created), processed_at=_ts(created),
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
        lifecycle's (`_go`)."""
        rng, r = self.rng, self.rng.random
        (p_mql, p_qualify), owner, rep = lead.quality, lead.owner, lead.rep
        recycled = renurtured = False
        while True:
            stage, x = lead.stage, r()
            if stage == INQUIRY:
                if x < p_mql:  # hot requests skip the MQL queue and get called at once
                    ok = (self._go(lead, WORKING, rng.uniform(1, 10) * MINUTE, owner)
                          if lead.hot else self._go(lead, MQL, rng.uniform(2, 60) * MINUTE,
                                                    None))
                elif x < p_mql + (1 - p_mql) * 0.5:
                    ok = self._go(lead, NURTURE, rng.uniform(0.2, 48) * HOUR, owner,
                                  rng.choice(NURTURE_EARLY))
                elif x < p_mql + (1 - p_mql) * 0.94:
                    ok = self._go(lead, DISQUALIFIED, rng.uniform(0.2, 48) * HOUR, owner,
                                  rng.choice(DISQUALIFY_EARLY))
                else:
                    return  # nobody worked it: the revenue gap the reports show
            elif stage == MQL:
                if x < 0.86:
                    ok = self._go(lead, WORKING, rng.expovariate(1 / (6 * HOUR)), owner)
                elif x < 0.98:
                    target, reasons = ((NURTURE, NURTURE_EARLY) if x < 0.95
                                       else (DISQUALIFIED, DISQUALIFY_EARLY))
                    ok = self._go(lead, target, rng.uniform(1, 72) * HOUR, owner,
                                  rng.choice(reasons))
                else:
                    return
            elif stage == WORKING:
                delay = rng.uniform(2, 25) * DAY
                if x < p_qualify * (0.3 if recycled else 1.0):
                    ok = self._qualify(lead, delay)
                elif x < 0.62:
                    ok = self._go(lead, NURTURE, delay, owner, rng.choice(NURTURE_WORKING))
                    if ok and r() < 0.6:
                        self._qualification(lead, "long_term")
                elif x < 0.97:
                    reason = rng.choice(DISQUALIFY_WORKING)
                    ok = self._go(lead, DISQUALIFIED, delay, owner, reason)
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
                    ok = self._go(lead, WORKING, delay, owner, "Recycled after sales feedback")
                elif x < 0.8:
                    ok = self._go(lead, NURTURE, delay, owner, rng.choice(NURTURE_WORKING))
                else:
                    ok = self._go(lead, DISQUALIFIED, delay, owner, rng.choice(REJECT_REASONS))
            elif stage == ACCEPTED:
                if x < 0.6:
                    ok = self._outcome(lead, OPPORTUNITY, rng.uniform(2, 20) * DAY)
                elif x < 0.85:
                    ok = self._outcome(lead, LOST, rng.uniform(3, 30) * DAY,
                                       rng.choice(LOST_REASONS))
                else:
                    ok = self._go(lead, NURTURE, rng.uniform(3, 30) * DAY, rep,
                                  "Project postponed by the customer")
            elif stage == OPPORTUNITY:
                delay = rng.uniform(20, 100) * DAY
                ok = (self._outcome(lead, WON, delay) if x < 0.28
                      else self._outcome(lead, LOST, delay, rng.choice(LOST_REASONS)))
            elif stage == NURTURE:
                if not renurtured and x < 0.12:
                    renurtured = True
                    ok = self._go(lead, MQL, rng.uniform(30, 150) * DAY, None,
                                  "Re-engaged: score crossed the MQL threshold")
                elif x < 0.22:
                    ok = self._go(lead, DISQUALIFIED, rng.uniform(20, 200) * DAY, None,
                                  rng.choice(DISQUALIFY_NURTURE))
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
            else:
                return  # a stage the demo has no odds for: the lead stays there
            if not ok:
                if lead.stage == WORKING:  # the touches so far on a lead still worked
                    self._touches(lead, min(self.now, lead.work_start + 30 * DAY), "", "")
                return

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
        reason = "" if accept else self.rng.choice(REJECT_REASONS)
        if not self._go(lead, ACCEPTED if accept else REJECTED, delay, lead.rep, reason):
            return False
        lead.handoff.status = "accepted" if accept else "rejected"
        lead.handoff.decided_at, lead.handoff.decision_reason = _ts(lead.t), reason
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
        # Speed to lead: the first touch within minutes of picking the lead up.
        first = lead.work_start + rng.uniform(0.5, 5 if lead.hot else 60) * MINUTE
        if first >= end - MINUTE:
            return
        times = sorted([first] + [rng.uniform(first, end - MINUTE) for _ in range(count - 1)])
        for i, at in enumerate(times):
            channel = rng.choice(TOUCH_CHANNELS)
            disposition = rng.choice(DISPOSITIONS[channel])
            if unreachable and disposition in ("connected", "replied", "call_back",
                                               "not_interested"):
                disposition = "no_answer" if channel == "call" else "sent"
            if target == QUALIFIED and i == len(times) - 1:
                channel, disposition = "meeting", "connected"
            connected = disposition == "connected"
            duration = (rng.randint(900, 3600) if channel == "meeting"
                        else rng.randint(120, 1500) if connected
                        else rng.randint(10, 45) if channel == "call" else 0)
            self._add(Touch, lead_id=lead.id, cycle=lead.cycle, channel=channel,
                      direction="inbound" if disposition == "replied" else "outbound",
                      disposition=disposition, duration_seconds=duration,
                      notes=rng.choice(NOTES) if connected else "", actor_id=lead.owner,
                      at=_ts(at))

    def _open_task(self, lead: _Lead) -> None:
        """Every lead still on a desk has its next step."""
        if lead.stage not in ON_DESK:
            return
        titles, due_in = NEXT_STEPS[Stage(lead.stage)]
        self._add(Task, lead_id=lead.id, assignee_id=lead.owner, title=self.rng.choice(titles),
                  due_at=_ts(lead.t + due_in * self.rng.uniform(0.5, 1.5)),
                  created_by_id=None if lead.stage == INQUIRY else lead.owner,
                  created_at=_ts(lead.t))

    def write(self) -> None:
        for model in MODELS:
            model.objects.bulk_create(self.rows[model], batch_size=2000)


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
            "rows": {**rows, **{name: rows.get(name, 0) + count
                                for name, count in nurtured.items()}}}
