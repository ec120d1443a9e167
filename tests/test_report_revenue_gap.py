"""The revenue gap calculator, checked against a plain recomputation from the
record tables (Lead, Inquiry, StageChange, Touch, Outcome, SlaClock, Target):

- `history`: a known history through the real functions (intake, touches,
  handoffs, outcomes, stage moves, SLA clocks), every group of leads not
  followed up and every way out of it, a returning cycle;
- `crowd`: leads made in bulk from records (the real path is too slow for
  the 30+ worked leads a comparable group needs), to see the comparable
  levels fall back and the response and attempts ratios measured.
"""

import csv
import io
import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from leadgate.handoff.flow import accept, reject
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.models import Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Account, Lead, StageChange, Touch
from leadgate.leads.records import Outcome
from leadgate.leads.transitions import advance
from leadgate.lib.proportions import rate
from leadgate.reports import facts
from leadgate.reports.models import Target
from leadgate.reports.revenue_gap_figures import defaults, estimate, lift
from leadgate.routing.models import SlaClock, SlaPolicy
from leadgate.routing.sla import start_clock
from leadgate.workspace.touches import log_touch
from tests.api_helpers import api_get, make_key
from tests.factories import hand_off, make_lead, make_source, make_team, make_user

UTC = timezone.get_fixed_timezone(0)
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
PERIOD = "?period=custom&start=2026-01-01&end=2026-12-31"
SMALL, BIG = 30, 500  # employees: bands 11-50 and 201-1000
BANDS = {SMALL: "11-50", BIG: "201-1000", None: ""}
CLOSED = {"won", "lost", "disqualified"}
SIDE = {"nurture", "disqualified", "rejected", "lost"}
CONNECTED = {"connected", "call_back", "not_interested", "meeting_booked", "replied"}
QUALIFIED, WON = FUNNEL.index(Stage.QUALIFIED), FUNNEL.index(Stage.WON)
DOMAINS = itertools.count(1)


# --- the known history, through the real functions ---------------------------------

@dataclass
class Walk:
    lead: Lead
    handoff: object = None


def arrive(source, employees, at, owner, clock_after=None):
    """A lead from `source` at `at`; its first-response clock started when
    `clock_after` is given (the minutes the first touch will take)."""
    with time_machine.travel(at, tick=False):
        account = Account.objects.create(name="Acme", domain=f"acme{next(DOMAINS)}.example",
                                         employees=employees)
        lead = make_lead(owner=owner, account=account, source=source)
        inquiry = Inquiry.objects.get(lead=lead)
        Inquiry.objects.filter(pk=inquiry.pk).update(source=source, received_at=at)
        if clock_after is not None:
            inquiry.refresh_from_db()
            assert start_clock(lead, inquiry, now=at) is not None
    return Walk(lead)


def step(walk, at, action, alice, mia, sam, amount=None):
    lead = walk.lead
    with time_machine.travel(at, tick=False):
        lead.refresh_from_db()
        later = ("Call again", at + timedelta(days=1))
        if action == "no_answer":
            log_touch(lead, alice, channel="call", disposition="no_answer", next_step=later)
        elif action == "connect":
            log_touch(lead, alice, channel="call", disposition="connected", next_step=later)
        elif action == "handoff":
            walk.handoff = hand_off(lead, alice, sam)
        elif action == "accept":
            accept(walk.handoff, by=sam)
        elif action == "reject":
            reject(walk.handoff, by=sam, reason="no_budget")
        elif action in ("opportunity", "won"):
            record_outcome(lead, kind=action, by=sam, amount=amount)
        elif action == "lost":
            record_outcome(lead, kind="lost", by=sam, reason="went with a competitor")
        elif action == "return":
            advance(lead, "working", by=alice)
        else:
            advance(lead, action, by=mia, reason="" if action == "mql" else f"{action}: why")


# name: (source, employees, days before NOW it came in, clock minutes, steps as
# (hours after it came in, action[, amount]))
PLAN = {
    "untouched_closed": ("webinar", SMALL, 100, None, [(24, "disqualified")]),
    "untouched_open": ("webinar", BIG, 60, None, []),
    "untouched_recent": ("paid", SMALL, 3, None, []),
    "untouched_mql": ("paid", BIG, 40, None, [(1, "mql")]),
    "few_closed": ("webinar", SMALL, 90, 3, [(0.05, "no_answer"), (24, "no_answer"),
                                             (48, "disqualified")]),
    "few_stalled": ("paid", SMALL, 80, 120, [(2, "no_answer"), (30, "no_answer"),
                                             (60, "no_answer")]),
    "few_recent": ("webinar", BIG, 5, None, [(1, "no_answer"), (50, "no_answer")]),
    "talked_once": ("paid", BIG, 70, None, [(1, "connect"), (24, "disqualified")]),
    "six_attempts": ("webinar", SMALL, 120, 4, [(0.05 + 24 * i, "no_answer") for i in range(6)]
                     + [(24 * 7, "disqualified")]),
    "won_fast": ("webinar", SMALL, 150, 3, [(0.05, "handoff"), (5, "accept"),
                                            (30, "opportunity", 20000), (60, "won", 20000)]),
    "won_slow": ("paid", BIG, 140, 180, [(3, "handoff"), (8, "accept"), (40, "won", 50000)]),
    "lost": ("webinar", BIG, 130, None, [(1, "handoff"), (5, "accept"),
                                         (30, "opportunity", 10000), (90, "lost")]),
    "rejected": ("paid", SMALL, 50, None, [(1, "handoff"), (5, "reject")]),
    "open_accepted": ("webinar", SMALL, 45, None, [(1, "handoff"), (5, "accept")]),
    "open_opportunity": ("paid", BIG, 35, None, [(1, "handoff"), (5, "accept"),
                                                 (30, "opportunity", 30000)]),
    "open_qualified": ("webinar", BIG, 20, None, [(1, "handoff")]),
    "open_working": ("paid", SMALL, 10, 90, [(1.5, "connect")]),
    "nurture_then_out": ("webinar", SMALL, 110, None, [(1, "connect"), (24, "nurture"),
                                                       (24 * 30, "disqualified")]),
    "nurture_quiet": ("paid", BIG, 150, None, [(1, "connect"), (24, "nurture")]),
    "nurture_recent": ("webinar", BIG, 30, None, [(1, "connect"), (24, "nurture")]),
    "nurture_won": ("paid", SMALL, 160, None, [(1, "connect"), (24, "nurture"),
                                               (24 * 20, "return"), (24 * 21, "handoff"),
                                               (24 * 22, "accept"), (24 * 25, "won", 15000)]),
    "nurture_lost": ("webinar", SMALL, 170, None, [(1, "connect"), (24, "nurture"),
                                                   (24 * 10, "return"), (24 * 11, "handoff"),
                                                   (24 * 12, "accept"), (24 * 14, "lost")]),
    "nurture_untouched": ("paid", SMALL, 120, None, [(1, "nurture")]),
}
# Which group each cycle is in, as the plan means it (the returning cycle:
# the disqualified "untouched_closed" person back 20 days ago, untouched).
MEANT = {"untouched_closed": 1, "untouched_open": 1, "untouched_mql": 1, "few_closed": 2,
         "few_stalled": 2, "nurture_then_out": 3, "nurture_quiet": 3, "nurture_untouched": 3}


@pytest.fixture
def history(alice, mia, sam):
    sources = {"webinar": make_source("Webinar"), "paid": make_source("Paid search")}
    leads = {}
    for name, (source, employees, days, clock, steps) in PLAN.items():
        came = NOW - timedelta(days=days)
        walk = arrive(sources[source], employees, came, alice, clock)
        for hours, action, *amount in steps:
            step(walk, came + timedelta(hours=hours), action, alice, mia, sam,
                 Decimal(amount[0]) if amount else None)
        leads[name] = walk.lead
    back = leads["untouched_closed"]
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        receive({"email": back.email, "first_name": back.first_name,
                 "last_name": back.last_name}, channel="api", source=sources["paid"])
    facts.refresh(lead.pk for lead in leads.values())
    return leads


# --- a crowd of leads, made from records in bulk -------------------------------------

def crowd_of(specs, now, owner):
    """Leads from (source, employees, count, kind) specs, made as records: an
    inquiry, touches, stage moves, a won outcome, a first-response clock.
    Kinds: "untouched"; worked (6 attempts or a call): "dq", "won:<amount>",
    "nurture" (in nurture since 30 days), "nurturewon:<amount>" (came back and
    won); a "/fast" or "/slow" suffix gives the lead a clock answered in 3 min
    or 3 h."""
    # (A browser test's flushed database has lost the seeded policies.)
    policy = SlaPolicy.objects.filter(active=True).first() or \
        SlaPolicy.objects.create(segment=SlaPolicy.Segment.values[0], minutes=60)
    path = {"dq": ["working", "disqualified"], "nurture": ["working", "nurture"],
            "won": ["working", "qualified", "accepted", "opportunity", "won"],
            "nurturewon": ["working", "nurture", "working", "qualified", "accepted",
                           "opportunity", "won"]}
    made = []
    for number, (source, employees, count, kind) in enumerate(specs):
        outcome, _, speed = kind.partition("/")
        name, _, amount = outcome.partition(":")
        moves = path.get(name, [])
        stage = moves[-1] if moves else "inquiry"
        for i in range(count):
            came = now - timedelta(days=60, hours=number * 100 + i)
            account = Account.objects.create(name="Crowd", domain=f"c{next(DOMAINS)}.example",
                                             employees=employees)
            lead = Lead.objects.create(email=f"c{number}-{i}@crowd.example", source=source,
                                       account=account, stage=stage, owner=owner,
                                       created_at=came)
            Inquiry.objects.create(lead=lead, channel="form", source=source, received_at=came)
            if moves:
                many = i % 2 == 0  # every other worked lead: 6 attempts, else a call
                Touch.objects.bulk_create(
                    Touch(lead=lead, cycle=1, channel="call", direction="outbound",
                          disposition="no_answer" if many or t else "connected", actor=owner,
                          at=came + timedelta(hours=3 if speed == "slow" else 0.05) +
                          timedelta(days=t))
                    for t in range(6 if many else 1))
                StageChange.objects.bulk_create(
                    StageChange(lead=lead, cycle=1, to_stage=to, at=came + timedelta(days=7 + d))
                    for d, to in enumerate(moves))
            if amount:
                Outcome.objects.create(lead=lead, cycle=1, kind="won", amount=Decimal(amount),
                                       at=came + timedelta(days=7 + len(moves)))
            if speed:
                seconds = 180 if speed == "fast" else 3 * 3600
                SlaClock.objects.create(lead=lead, cycle=1, policy=policy, owner=owner,
                                        state="met", started_at=came,
                                        due_at=came + timedelta(hours=1),
                                        stopped_at=came + timedelta(seconds=seconds),
                                        response_seconds=seconds)
            made.append(lead)
    facts.refresh(lead.pk for lead in made)
    return made


@pytest.fixture
def crowd(alice):
    """Source X, small firms: 60 worked (enough on their own); X, big firms:
    10 worked (X has 70: by source); Y: 12 worked (too few: all); and a few
    leads never touched in each, and two with no source at all."""
    x, y = make_source("X"), make_source("Y")
    now = timezone.now()
    specs = crowd_specs(x, y)
    return {"x": x, "y": y, "leads": crowd_of(specs, now, alice), "now": now}


def crowd_specs(x, y):
    """The crowd's make-up (the browser test adds to it)."""
    return [
        (x, SMALL, 4, "won:10000/fast"), (x, SMALL, 26, "dq/fast"),
        (x, SMALL, 1, "won:10000/slow"), (x, SMALL, 29, "dq/slow"),
        (x, SMALL, 5, "untouched"),
        (x, BIG, 1, "won:40000"), (x, BIG, 9, "dq"), (x, BIG, 3, "untouched"),
        (y, SMALL, 12, "dq"), (y, SMALL, 4, "untouched"),
        (None, None, 2, "untouched"),
    ]


# --- the plain recomputation, from the records ---------------------------------------

@dataclass
class Plain:
    lead: Lead
    cycle: int
    moves: list = field(default_factory=list)
    touches: list = field(default_factory=list)
    inquiries: list = field(default_factory=list)
    revenue: Decimal = Decimal(0)
    clock: SlaClock | None = None

    @property
    def current(self):
        return self.cycle == self.lead.cycle

    @property
    def open(self):
        return self.current and self.lead.stage not in CLOSED

    @property
    def entered(self):
        if self.cycle == 1:
            return self.lead.created_at
        return min([i.received_at for i in self.inquiries] + [m.at for m in self.moves])

    @property
    def source(self):
        return self.inquiries[0].source_id if self.inquiries else self.lead.source_id

    @property
    def band(self):
        return BANDS[self.lead.account.employees if self.lead.account else None]

    @property
    def furthest(self):
        return max((FUNNEL.index(Stage(m.to_stage)) for m in self.moves
                    if m.to_stage in FUNNEL), default=0)

    @property
    def won(self):
        return self.furthest == WON

    @property
    def nurtured(self):
        return any(m.to_stage == "nurture" for m in self.moves)

    @property
    def last_side(self):
        side = [m for m in self.moves if m.to_stage in SIDE]
        return side[-1] if side else None

    @property
    def attempts(self):
        return sum(1 for t in self.touches if t.direction == "outbound")

    @property
    def connects(self):
        return sum(1 for t in self.touches if t.disposition in CONNECTED)

    @property
    def last_touch(self):
        return max((t.at for t in self.touches), default=None)

    def group(self, now):
        week, quarter = now - timedelta(days=7), now - timedelta(days=90)
        if self.won:
            return None
        if not self.nurtured and self.furthest < QUALIFIED:
            if not self.touches and (not self.open or self.entered < week):
                return 1
            if self.touches and self.attempts < 6 and not self.connects and (
                    not self.open or self.last_touch < week):
                return 2
        if self.nurtured:
            side = self.last_side
            if side.to_stage == "disqualified":
                return 3
            if self.open and self.lead.stage == "nurture" and side.at < quarter and (
                    self.last_touch is None or self.last_touch < quarter):
                return 3
        return None

    @property
    def worked(self):
        return bool(self.touches) and (self.attempts >= 6 or self.connects > 0
                                       or self.furthest >= QUALIFIED)


def plain_cycles():
    cycles = {}
    for lead in Lead.objects.select_related("account"):
        for number in range(1, lead.cycle + 1):
            cycles[lead.pk, number] = Plain(lead, number)
    for move in StageChange.objects.order_by("at", "pk"):
        cycles[move.lead_id, move.cycle].moves.append(move)
    for touch in Touch.objects.order_by("at", "pk"):
        cycles[touch.lead_id, touch.cycle].touches.append(touch)
    for inquiry in Inquiry.objects.order_by("received_at", "pk"):
        cycles[inquiry.lead_id, inquiry.cycle].inquiries.append(inquiry)
    for outcome in Outcome.objects.filter(kind="won"):
        cycles[outcome.lead_id, outcome.cycle].revenue += outcome.amount or 0
    for clock in SlaClock.objects.order_by("started_at", "pk"):
        cycles[clock.lead_id, clock.cycle].clock = cycles[clock.lead_id, clock.cycle].clock \
            or clock
    return list(cycles.values())


def mean_deal(cycles):
    deals = [c.revenue for c in cycles if c.won and c.revenue > 0]
    return float(sum(deals) / len(deals)) if deals else None


def plain_left(cycles, now):
    """Per group and per (source, band): leads, level, revenue, low, high."""
    worked = [c for c in cycles if c.worked]
    fallback = mean_deal(worked)

    def level_of(source, band):
        alike = [c for c in worked if (c.source, c.band) == (source, band)]
        if len(alike) >= 30:
            return "same source and size", alike
        alike = [c for c in worked if c.source == source]
        if len(alike) >= 30:
            return "same source", alike
        return "all worked leads", worked

    groups = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    cells = {}
    for c in cycles:
        group = c.group(now)
        if group is None:
            continue
        level, alike = level_of(c.source, c.band)
        won = rate(sum(1 for a in alike if a.won), len(alike))
        deal = mean_deal(alike) or fallback
        for key in (group, "total"):
            groups[key][0] += 1
            groups[key][1] += won.value * deal
            groups[key][2] += won.low * deal
            groups[key][3] += won.high * deal
        cell = cells.setdefault((c.source, c.band), {"level": level, "leads": 0,
                                                      "worked": len(alike)})
        cell["leads"] += 1
    return groups, cells


def plain_chances(cycles):
    furthest = [c.furthest for c in cycles]
    reached = [sum(1 for f in furthest if f >= i) for i in range(WON + 1)]
    steps = [reached[i] / reached[i - 1] for i in range(1, WON + 1)]
    chance = [math.prod(steps[i:]) for i in range(WON + 1)]
    return reached, steps, chance


def json_of(client, user, query=""):
    client.force_login(user)
    answer = client.get(f"/reports/revenue-gap/{PERIOD}{query}&format=json")
    assert answer.status_code == 200, answer.content
    return {table["id"]: table for table in answer.json()["tables"]}


def by_group(tables):
    rows = {row["group"]: row for row in tables["left"]["rows"]}
    return [rows["Never touched"], rows["Touched, under 6 attempts"],
            rows["Dropped from nurture"]]


# --- leads not followed up ----------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_it_puts_each_lead_not_followed_up_in_its_group(client, history, mia):
    cycles = plain_cycles()
    plain = Counter(c.group(NOW) for c in cycles)
    meant = Counter(MEANT.values()) + Counter({1: 1})  # the returning cycle
    assert [plain[g] for g in (1, 2, 3)] == [meant[g] for g in (1, 2, 3)]
    named = {c.lead.pk: c.group(NOW) for c in cycles if c.cycle == 1}
    assert {name: named[lead.pk] for name, lead in history.items() if named[lead.pk]} == MEANT
    rows = by_group(json_of(client, mia))
    assert [row["leads"] for row in rows] == [plain[1], plain[2], plain[3]]


@time_machine.travel(NOW, tick=False)
def test_it_values_them_at_the_conversion_and_deal_of_worked_leads(client, history, mia):
    cycles = plain_cycles()
    groups, _cells = plain_left(cycles, NOW)
    tables = json_of(client, mia)
    for number, row in enumerate(by_group(tables), start=1):
        leads, revenue, low, high = groups[number]
        assert row["leads"] == leads
        assert row["compared"] == "all worked leads"  # too few worked for any group
        assert row["revenue"] == pytest.approx(revenue)
        assert (row["low"], row["high"]) == (pytest.approx(low), pytest.approx(high))
    total = tables["left"]["total"]
    assert total["revenue"] == pytest.approx(groups["total"][1]) and total["revenue"] > 0
    worked = [c for c in cycles if c.worked]
    assert by_group(tables)[0]["conversion"] == pytest.approx(
        sum(c.won for c in worked) / len(worked))
    assert by_group(tables)[0]["deal"] == pytest.approx(mean_deal(worked))


@time_machine.travel(NOW, tick=False)
def test_it_counts_per_source_what_the_groups_hold(client, history, mia):
    cycles = plain_cycles()
    per_source = Counter((c.source, c.group(NOW)) for c in cycles if c.group(NOW))
    names = {lead.source_id: lead.source.name for lead in history.values()}
    rows = {row["source"]: row for row in json_of(client, mia)["left-by-source"]["rows"]}
    for source, name in names.items():
        assert [rows[name][f"group{g}"] for g in (1, 2, 3)] == \
            [per_source[source, g] for g in (1, 2, 3)]
    assert sum(row["leads"] for row in rows.values()) == sum(per_source.values())


def test_it_falls_back_to_the_source_then_to_all_worked_leads(client, crowd, mia):
    cycles = plain_cycles()
    _groups, cells = plain_left(cycles, crowd["now"])
    client.force_login(mia)
    start = (crowd["now"] - timedelta(days=300)).date()
    answer = client.get(f"/reports/revenue-gap/?period=custom&start={start}"
                        f"&end={crowd['now'].date()}&format=json")
    rows = {(row["source"], row["band"]): row for row in
            next(t for t in answer.json()["tables"] if t["id"] == "comparables")["rows"]}
    x, y = crowd["x"], crowd["y"]
    expected = {("X", "11-50"): ("same source and size", 60),
                ("X", "201-1000"): ("same source", 70),
                ("Y", "11-50"): ("all worked leads", 82),
                ("No source", "size unknown"): ("all worked leads", 82)}
    assert {key: (row["level"], row["worked"]) for key, row in rows.items()} == expected
    plain = {("X", "11-50"): cells[x.pk, "11-50"], ("X", "201-1000"): cells[x.pk, "201-1000"],
             ("Y", "11-50"): cells[y.pk, "11-50"], ("No source", "size unknown"):
             cells[None, ""]}
    for key, cell in plain.items():
        assert (rows[key]["level"], rows[key]["worked"], rows[key]["leads"]) == \
            (cell["level"], cell["worked"], cell["leads"])
    assert rows["X", "11-50"]["rate"]["k"] == 5 and rows["X", "201-1000"]["rate"]["k"] == 6
    assert rows["X", "11-50"]["deal"] == 10000
    assert rows["X", "201-1000"]["deal"] == pytest.approx(90000 / 6)


# --- the gap ------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_it_takes_won_inbound_and_nurture_from_the_gap(client, history, mia):
    cycles = plain_cycles()
    Target.objects.create(month=date(2026, 3, 1), metric="revenue", value=Decimal(400000))
    won = sum(c.revenue for c in cycles if c.won and any(
        m.to_stage == "won" and m.at.year == 2026 for m in c.moves))
    deal = mean_deal(cycles)
    _reached, _steps, chance = plain_chances(cycles)
    stage_now = {"rejected": "working"}
    inbound = sum(chance[FUNNEL.index(Stage(stage_now.get(c.lead.stage, c.lead.stage)))]
                  for c in cycles if c.open and c.lead.stage != "nurture") * deal
    nurtured = [c for c in cycles if c.nurtured]
    in_nurture = sum(1 for c in cycles if c.open and c.lead.stage == "nurture")
    nurture = in_nurture * sum(c.won for c in nurtured) / len(nurtured) * deal
    rows = {row["line"]: row["amount"] for row in json_of(client, mia)["gap"]["rows"]}
    assert rows["Goal"] == 400000
    assert rows["Won in the period"] == pytest.approx(float(won)) and won == 85000
    assert rows["Expected from open inbound"] == pytest.approx(inbound) and inbound > 0
    assert rows["Expected from nurture"] == pytest.approx(nurture) and nurture > 0
    gap = json_of(client, mia)["gap"]["total"]["amount"]
    assert gap == pytest.approx(400000 - float(won) - inbound - nurture)


@time_machine.travel(NOW, tick=False)
def test_it_gives_the_new_leads_needed_at_the_current_conversion(client, history, mia):
    cycles = plain_cycles()
    Target.objects.create(month=date(2026, 6, 1), metric="revenue", value=Decimal(900000))
    tables = json_of(client, mia)
    gap = tables["gap"]["total"]["amount"]
    conversion = sum(c.won for c in cycles) / len(cycles)
    current = tables["needed"]["rows"][0]
    assert current["conversion"] == pytest.approx(conversion)
    assert current["leads"] == math.ceil(gap / (conversion * mean_deal(cycles)))
    low, high = (row["leads"] for row in tables["needed"]["rows"][1:])
    assert low > current["leads"] > high  # a lower conversion needs more leads


@time_machine.travel(NOW, tick=False)
def test_it_sums_the_revenue_targets_of_the_months_in_the_period(client, history, mia, team):
    for month, value in ((1, 31000), (2, 50000), (3, 60000), (4, 99999)):
        Target.objects.create(month=date(2026, month, 1), metric="revenue", value=value)
    Target.objects.create(month=date(2026, 2, 1), metric="won", value=7)
    Target.objects.create(month=date(2026, 2, 1), metric="revenue", value=5000, team=team)
    client.force_login(mia)

    def goal(query):
        answer = client.get(f"/reports/revenue-gap/?period=custom&{query}&format=json")
        return next(t for t in answer.json()["tables"] if t["id"] == "gap")["rows"][0]

    # January from the 15th: 17 of its 31 days.
    assert goal("start=2026-01-15&end=2026-03-31")["amount"] == 17000 + 50000 + 60000
    assert goal(f"start=2026-01-01&end=2026-03-31&team={team.pk}")["amount"] == 5000
    other = make_team("Nobody's targets")
    assert goal(f"start=2026-01-01&end=2026-03-31&team={other.pk}")["amount"] is None


@time_machine.travel(NOW, tick=False)
def test_it_takes_a_goal_typed_in_the_query(client, history, mia):
    Target.objects.create(month=date(2026, 3, 1), metric="revenue", value=Decimal(400000))
    tables = json_of(client, mia, "&goal=1,250,000")
    assert tables["gap"]["rows"][0] == {"line": "Goal", "amount": 1250000.0,
                                        "how": "the goal typed"}
    won_and_expected = sum(row["amount"] for row in tables["gap"]["rows"][1:])
    assert tables["gap"]["total"]["amount"] == pytest.approx(1250000 - won_and_expected)


def test_it_answers_a_bad_goal_with_its_name(client, mia):
    client.force_login(mia)
    for bad in ("lots", "-5", "0", "1e400", "NaN"):
        answer = client.get(f"/reports/revenue-gap/?goal={bad}&format=json")
        assert answer.status_code == 400, bad
        assert "goal" in answer.json()["errors"]
    page = client.get("/reports/revenue-gap/?goal=lots")
    assert page.status_code == 400
    assert "goal: the goal is an amount" in page.content.decode()
    csv_answer = client.get("/reports/revenue-gap/?goal=lots&format=csv")
    assert csv_answer.status_code == 400


def test_it_takes_the_goal_through_the_api_too(history):
    key = make_key(scopes=("read",))
    answer = api_get(key, "/reports/revenue-gap", period="this_year", goal="300000")
    assert answer.status_code == 200
    gap = next(t for t in answer.json()["tables"] if t["id"] == "gap")
    assert gap["rows"][0]["amount"] == 300000
    bad = api_get(key, "/reports/revenue-gap", goal="a lot")
    assert bad.status_code == 422
    assert bad.json()["field"] == "goal"


# --- the what-if inputs -------------------------------------------------------------

def test_it_measures_the_response_and_attempts_effects(client, crowd, mia):
    cycles = [c for c in plain_cycles()]
    clocked = [c for c in cycles if c.clock]
    fast = [c for c in clocked if c.clock.response_seconds <= 300]
    slow = [c for c in clocked if c.clock.response_seconds > 300]
    many = [c for c in cycles if c.attempts >= 6]
    few = [c for c in cycles if c.attempts < 6]

    def conversion(group):
        return sum(c.won for c in group) / len(group)

    client.force_login(mia)
    start = (crowd["now"] - timedelta(days=300)).date()
    answer = client.get(f"/reports/revenue-gap/?period=custom&start={start}"
                        f"&end={crowd['now'].date()}&format=json").json()
    rows = next(t for t in answer["tables"] if t["id"] == "effects")["rows"]
    assert rows[0]["share"] == pytest.approx(len(fast) / len(clocked))
    assert rows[0]["ratio"] == pytest.approx(conversion(fast) / conversion(slow))
    assert (rows[0]["yes"]["k"], rows[0]["yes"]["n"]) == (4, 30)
    assert rows[1]["share"] == pytest.approx(len(many) / len(cycles))
    assert rows[1]["ratio"] == pytest.approx(conversion(many) / conversion(few))


def test_it_scales_the_conversion_by_the_measured_ratio():
    # A third answered fast, converting 3x as well: everyone fast lifts the
    # conversion by 3 / (1/3 * 3 + 2/3) = 1.8.
    assert lift(1.0, 1 / 3, 3.0) == pytest.approx(1.8)
    assert lift(0.5, 0.5, 3.0) == 1.0
    assert lift(0.9, 0.2, None) == 1.0
    inputs = {"goal": 100000.0, "won": 20000.0, "deal": 10000.0,
              "open": [10, 0, 5, 0, 0, 2], "stages": [0.5, 1.0, 0.4, 1.0, 1.0, 0.5],
              "in_nurture": 20, "nurture_won": 0.05, "long_term": 100,
              "nurtured_share": 0.2, "fast_share": 1 / 3, "fast_ratio": 3.0,
              "attempted_share": 0.5, "attempted_ratio": None}
    measured = estimate(inputs, defaults(inputs))
    # 10 leads at inquiry x 0.1 + 5 working x 0.2 + 2 opportunities x 0.5 = 3 deals.
    assert measured["inbound"] == pytest.approx(30000)
    assert measured["nurture"] == pytest.approx(20 * 0.05 * 10000)
    assert measured["gap"] == pytest.approx(100000 - 20000 - 30000 - 10000)
    assert measured["leads"] == math.ceil(40000 / (0.1 * 10000))
    faster = estimate(inputs, {**defaults(inputs), "fast": 1.0, "nurtured": 0.7})
    assert faster["conversion"] == pytest.approx(0.18)
    assert faster["inbound"] == pytest.approx((10 * 0.18 + 5 * 0.2 + 2 * 0.5) * 10000)
    assert faster["nurture"] == pytest.approx((20 + 0.5 * 100) * 0.05 * 10000)


# --- the page, the exports, who may read it --------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_it_exports_the_same_numbers_as_csv(client, history, mia):
    tables = json_of(client, mia)
    answer = client.get(f"/reports/revenue-gap/{PERIOD}&format=csv&table=left")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Group", "Leads", "Compared with"]
    assert [int(row[1]) for row in rows[1:4]] == [row["leads"] for row in by_group(tables)]
    assert [float(row[5]) for row in rows[1:4]] == \
        [pytest.approx(row["revenue"]) for row in by_group(tables)]


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_what_if_controls_with_the_measured_inputs(client, history, mia):
    client.force_login(mia)
    page = client.get(f"/reports/revenue-gap/{PERIOD}&source={history['lost'].source_id}")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="revenue-gap-inputs"' in body and "js/revenue_gap.js" in body
    for label in ("Answered within 5 minutes (%)", "Given 6+ attempts (%)",
                  "Long-term leads nurtured (%)", "Opportunity → won (%)"):
        assert f">{label}</label>" in body
    assert f'<input type="hidden" name="source" value="{history["lost"].source_id}">' in body
    assert "<script>" not in body and "style=" not in body


def test_it_refuses_other_roles_and_sends_strangers_to_log_in(client, alice, sam, charlie):
    assert client.get("/reports/revenue-gap/").status_code == 302
    for user in (alice, sam, charlie):
        client.force_login(user)
        assert client.get("/reports/revenue-gap/").status_code == 403
        assert client.get("/reports/revenue-gap/?format=json").status_code == 403
    marketing = make_user("maud", "marketing")
    client.force_login(marketing)
    assert client.get("/reports/revenue-gap/").status_code == 200


def test_it_answers_a_bad_filter_with_its_name(client, mia):
    client.force_login(mia)
    answer = client.get("/reports/revenue-gap/?period=custom&start=2026-05-01&format=json")
    assert answer.status_code == 400
    assert "end" in answer.json()["errors"]
