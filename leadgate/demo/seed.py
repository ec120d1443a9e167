"""Demo data: a realistic, reproducible company with a year of leads.

`generate()` fills an empty database with users, teams, sources, campaigns with
monthly costs, accounts and leads with the records their histories imply
(touches, qualifications, handoffs, outcomes, open tasks, assignments, SLA
clocks). Each lead is walked: the demo's odds pick where it heads next and
when, and the lifecycle's table (`lifecycle.TRANSITIONS`, through
`demo.paths`) gives the moves that take it there, one StageChange each.

The company itself (users, teams, sources, campaigns and their costs) is
`demo.company`'s. Speed to lead is played as routing would run it
(`demo.response`): each inquiry starts its SLA clock; the owner answers after
their own pace in their working hours; a clock that runs out is breached and
the lead goes to a teammate with a clock of their own; the first touch (which
moves the lead to working) stops the running clock. The sooner the first
answer, the likelier the walk qualifies the lead. An inquiry that arrives in
a running segment test's segment joins one of its arms (`demo.segment_tests`);
a response-time arm sets its clock.

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
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from leadgate.intake.models import Inquiry
from leadgate.leads.history import lead_with_past, past_move
from leadgate.leads.lifecycle import CLOSED, ON_DESK, Stage
from leadgate.leads.models import Account, Handoff, Lead, Outcome, StageChange, Task, Touch
from leadgate.leads.records import RejectReason
from leadgate.lib.instances import Instances
from leadgate.lib.normalize import company_key
from leadgate.lib.vendor import vendor
from leadgate.routing.models import Assignment, ExperimentAssignment, SlaClock, SlaPolicy
from leadgate.workspace.models import Qualification

from .clocks import arrival, arrival_curve, speed_factor, ts
from .company import SPAN, Company, DemoError, check_empty, create_company
from .nurture import seed_nurture
from .paths import START, WAYS
from .response import Plan, ResponseClocks
from .rows import insert_rows
from .segment_tests import RESPONSE_TIME, seed_tests
from .words import (
    ANSWERS,
    BUYING_PLANS,
    CHANNELS,
    COUNTRIES,
    COUNTRY_CUM,
    DAY,
    DISPOSITIONS,
    DISQUALIFY_EARLY,
    DISQUALIFY_NURTURE,
    DISQUALIFY_WORKING,
    EMAIL_PATTERNS,
    EMPLOYEES,
    FIRST_NAMES,
    FORMS,
    HOUR,
    LAST_NAMES,
    LOST_REASONS,
    MESSAGES,
    MINUTE,
    NEEDS,
    NEXT_STEPS,
    NOTES,
    NURTURE_EARLY,
    NURTURE_WORKING,
    PAINS,
    QUALITY,
    REJECT_REASONS,
    REJECTS,
    TEAMS,
    TITLES,
    TOUCH_CHANNELS,
    UTM,
    company_name,
    phone,
    pick,
)

DEFAULT_SEED = 20240501
DEFAULT_PASSWORD = "leadgate-demo"  # noqa: S105 - the documented demo login
INQUIRY, MQL, WORKING, QUALIFIED = Stage.INQUIRY, Stage.MQL, Stage.WORKING, Stage.QUALIFIED
ACCEPTED, OPPORTUNITY, WON, LOST = Stage.ACCEPTED, Stage.OPPORTUNITY, Stage.WON, Stage.LOST
NURTURE, DISQUALIFIED, REJECTED = Stage.NURTURE, Stage.DISQUALIFIED, Stage.REJECTED
# Written parents first, so foreign keys hold inside each batch's transaction.
MODELS = (Account, Lead, Inquiry, StageChange, Touch, Task, Qualification, Handoff, Outcome,
          Assignment, SlaClock, ExperimentAssignment)
Segment, Why = SlaPolicy.Segment, Assignment.Why
REJECT_CODES = {text: code for code, text, _weight in REJECTS}


# Instances without Model.__init__, which costs more than the whole insert at a
# million leads. Callable defaults (now, dict) are evaluated once: callers pass
# those fields.
_INSTANCES = Instances()


class _Lead:
    """A lead while it is walked through the funnel (times in epoch seconds)."""

    __slots__ = ("id", "owner", "team", "rep", "hot", "segment", "quality", "stage", "cycle",
                 "t", "work_start", "handoff", "amount", "title", "person", "clock", "first",
                 "speed", "due", "tests", "arm")
    id: int
    owner: int  # user ids
    team: int
    rep: int
    hot: bool
    segment: str  # the SLA segment of its last inquiry
    clock: Plan | None  # the response clock running, not yet written
    # The first touch of the cycle, when the lead is picked up: at, channel,
    # disposition, the clock it stops.
    first: tuple[float, str, str, Any] | None
    speed: float  # clocks.speed_factor of the cycle's first answer
    due: float | None  # the running clock's due time, at the end of the walk
    tests: tuple[int, ...]  # the segment tests it joined
    # Its arm in a response-time test: minutes to the first call, and until
    # when (epoch seconds, None: still running) the test gives them.
    arm: tuple[int, float | None] | None
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
        self.clocks = ResponseClocks(company, rng, self._add)

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
            country=code, state=state, city=city, owner_id=owner, created_at=ts(created),
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
        lead.tests, lead.arm = (), None
        # A deal with a bigger company is worth more (log-normal around the size).
        lead.amount = Decimal(round(8000 * (employees / 50) ** 0.45 * rng.lognormvariate(0, 0.4)))
        lead.person = {"first_name": first, "last_name": last, "email": email, "phone": number,
                       "company": account.name, "title": lead.title, "country": country}
        self._inquiry(lead, source_id, campaign_id, kind)
        self._go(lead, START, 0, None, "received")
        # Routing gave it to the account's qualifier; the clock starts on arrival.
        self._add(Assignment, lead_id=lead.id, cycle=1, from_user_id=None, to_user_id=owner,
                  team_id=team, why=Why.ACCOUNT_OWNER, rule_id=None, note="", by_id=None,
                  at=ts(created))
        self._join_tests(lead)
        self.clocks.start(lead)
        self._walk(lead)
        self.clocks.settle(lead, self.now, "open")
        self._open_task(lead)
        # The lead at the stage its walk reached (leads.history: the bulk path).
        self.rows[Lead].append(lead_with_past(
            _INSTANCES, id=lead.id, first_name=first, last_name=last, email=email, phone=number,
            title=lead.title, company_name=account.name, domain=account.domain, country=country,
            time_zone=tz,
            account_id=account.id, source_id=source_id, campaign_id=campaign_id,
            stage=lead.stage, cycle=lead.cycle, stage_changed_at=ts(lead.t), owner_id=lead.owner,
            team_id=team, created_at=ts(created), processed_at=ts(created),
            updated_at=ts(self.now),
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
            payload["file"] = f"{kind}-leads-{ts(lead.t):%Y-%m}.csv"
            lead.hot = False
        # The clock it starts (routing.sla.segment_of).
        lead.segment = (Segment.HOT_INBOUND if lead.hot else Segment.IMPORTED
                        if channel == "import" else Segment.INBOUND)
        self._add(Inquiry, lead_id=lead.id, cycle=lead.cycle, channel=channel,
                  source_id=source_id, campaign_id=campaign_id, is_hot=lead.hot,
                  payload=payload, received_at=ts(lead.t))

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
            to_stage=target, at=ts(at), by_id=by, reason=reason))
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
                        self.clocks.start(lead)
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
                    self._join_tests(lead)
                    self.clocks.start(lead)
            else:
                return  # a stage the demo has no odds for: the lead stays there
            if not ok:
                if lead.stage == WORKING:  # the touches so far on a lead still worked
                    self._touches(lead, min(self.now, lead.work_start + 30 * DAY), "", "")
                return

    def _join_tests(self, lead: _Lead) -> None:
        """At intake, routed and before its clock starts (`experiments.assign`):
        an arm of each test running then whose segment the inquiry is in, at
        random by the arms' shares, once per test."""
        for test in self.company.tests:
            if (test.experiment in lead.tests or not test.running_at(lead.t)
                    or not test.joins(lead.segment)):
                continue
            arm, value, _weight = self.rng.choices(test.arms, [arm[2] for arm in test.arms])[0]
            lead.tests += (test.experiment,)
            self._add(ExperimentAssignment, experiment_id=test.experiment, arm_id=arm,
                      lead_id=lead.id, cycle=lead.cycle, at=ts(lead.t))
            if test.kind == RESPONSE_TIME:
                lead.arm = (int(value), test.stopped)

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
        lead.first = (at, channel, disposition, self.clocks.settle(lead, at, "touch"))
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
        self.clocks.settle(lead, lead.t, "leave")
        return True

    def _qualification(self, lead: _Lead, verdict: str) -> dict:
        rng = self.rng
        budgets, authority, timeframes = ANSWERS[verdict]
        answers = {"budget": rng.choice(budgets), "need": rng.choice(NEEDS),
                   "authority": f"{lead.title}, {rng.choice(authority)}",
                   "timeframe": rng.choice(timeframes)}
        self._add(Qualification, lead_id=lead.id, cycle=lead.cycle, framework="bant",
                  answers=answers, verdict=verdict, by_id=lead.owner, at=ts(lead.t))
        return answers

    def _qualify(self, lead: _Lead, delay: float) -> bool:
        if not self._go(lead, QUALIFIED, delay, lead.owner):
            return False
        answers = self._qualification(lead, "sales_ready")
        dossier = dict(answers, pains=self.rng.sample(PAINS, 2),
                       buying_plan=self.rng.choice(BUYING_PLANS))
        lead.handoff = self._add(
            Handoff, lead_id=lead.id, cycle=lead.cycle, from_user_id=lead.owner,
            to_user_id=lead.rep, dossier=dossier, status="pending", created_at=ts(lead.t),
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
        handoff.decided_at, handoff.decided_by_id = ts(lead.t), lead.rep
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
                  reason=reason, by_id=lead.rep, at=ts(lead.t))
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
                              actor_id=lead.owner, at=ts(at))
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
                  due_at=ts(lead.due if lead.due is not None else due),
                  created_by_id=None if lead.stage == INQUIRY else lead.owner,
                  created_at=ts(lead.t))

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
        company = create_company(leads, password, random.Random(f"{seed}:company"), now)
        company.tests = seed_tests(now)
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
