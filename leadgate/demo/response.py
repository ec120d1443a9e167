"""Speed to lead in the demo: each lead's response clock, as `routing.sla`
runs it. An arrival (or a return from nurture) starts the clock; the owner
answers after their own pace in their working hours (`clocks`); a clock
that runs out is breached and the lead goes to a teammate with a clock of
their own; the first touch stops the running clock. The clock is planned
when it starts (`start`) and written as it ran once the walk knows what
happened first (`settle`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol

from leadgate.routing.models import Assignment, SlaClock

from .clocks import ts
from .company import Company
from .words import MINUTE, SEGMENT_PACE

# A breached clock hands the lead to a teammate (the policies escalate) at most this often.
MAX_ESCALATIONS = 2
Clock, Why = SlaClock.State, Assignment.Why


class Plan:
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


class Walked(Protocol):
    """What the clock reads and writes of a lead the demo walks (`seed._Lead`)."""

    id: int
    owner: int
    team: int
    cycle: int
    t: float
    segment: str
    clock: Plan | None
    first: tuple[float, str, str, Any] | None
    speed: float
    due: float | None
    arm: tuple[int, float | None] | None


class ResponseClocks:
    """The clocks of one batch of leads: drawn from the batch's RNG, written
    with its `add(model, **fields)`."""

    def __init__(self, company: Company, rng: random.Random, add: Callable[..., Any]):
        self.company, self.rng, self._add = company, rng, add

    def start(self, lead: Walked) -> None:
        """Plan the response clock the lead's arrival (or return from nurture)
        starts: when its owner will answer it; past the due time, the breach
        check escalates it to a teammate, whose own clock starts then (at most
        MAX_ESCALATIONS times; nobody is available outside the team's hours).
        Written by `settle` once the walk knows what happened first."""
        self.settle(lead, lead.t, "open")  # none should be left running, but be sure
        lead.speed, lead.first = 1.0, None
        policy = self.company.policies.get(lead.segment)
        if policy is None:
            return
        rng, company = self.rng, self.company
        hours = company.sla_hours.get(lead.team)
        owner, start, legs = lead.owner, int(lead.t), []
        # A response-time test's arm sets the first clock of the cycle the
        # lead joined in (the escalated ones take the policy's, as
        # `sla._breach` starts them, and so do later clocks, as
        # `sla.start_segment_clocks` does), and the owner paces the lead by the
        # clock they see: given longer, it waits behind more of the queue,
        # though not in proportion.
        minutes, pace = policy.minutes, 1.0
        if lead.arm is not None and (lead.arm[1] is None or lead.t < lead.arm[1]):
            minutes, pace = lead.arm[0], (lead.arm[0] / policy.minutes) ** 0.5
        lead.arm = None
        for escalated in range(MAX_ESCALATIONS + 1):
            allowed = (policy.minutes if escalated else minutes) * MINUTE
            due = (hours.add(start, allowed) if hours is not None and policy.business_hours
                   else start + allowed)
            answered = self._answer(owner, start, lead.segment,
                                    0.5 if escalated else pace)
            breach = due + rng.randint(1, 8)  # the check runs every few seconds
            legs.append((owner, start, due, answered, breach))
            others = [user for user in company.members.get(lead.team, ()) if user != owner]
            if (answered <= due or not policy.escalate or escalated == MAX_ESCALATIONS
                    or not others or hours is None or not hours.is_open(breach)):
                break
            owner, start = rng.choice(others), breach
        lead.clock = Plan(policy.pk, legs)

    def _answer(self, owner: int, start: int, segment: str, pace: float) -> int:
        """When `owner` first answers a lead that reached their desk at `start`:
        a pause of their working time around their own median times `pace`
        (an escalation comes with the manager's alert: quicker), counted from
        the desk's next opening, behind the queue that built up meanwhile,
        when it came in outside their hours or over lunch."""
        rng = self.rng
        minutes = (self.company.speed.get(owner, 10) * SEGMENT_PACE.get(segment, 1.0)
                   * rng.lognormvariate(0, 0.8) * pace)
        hours = self.company.desk_hours.get(self.company.team_of.get(owner, -1))
        if hours is None:
            return int(start + max(minutes, 1.5) * MINUTE)
        if not hours.is_open(start):
            minutes += rng.uniform(0, 40)
        return hours.add(start, max(minutes, 1.5) * MINUTE)

    def settle(self, lead: Walked, until: float, how: str) -> Any:
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
                          note=f"SLA breached (due {ts(plan.legs[number - 1][2]):%Y-%m-%d %H:%M}"
                               " UTC)", by_id=None, at=ts(start))
                lead.owner = owner
            clock = self._add(SlaClock, lead_id=lead.id, cycle=lead.cycle, policy_id=plan.policy,
                              owner_id=owner, state=Clock.BREACHED, started_at=ts(start),
                              due_at=ts(due), stopped_at=None, touch_id=None,
                              response_seconds=None, breached_at=ts(breach))
            if number + 1 < len(plan.legs) and plan.legs[number + 1][1] <= at:
                continue  # breached and escalated
            if at >= breach:
                return None  # breached: what came later does not stop it
            clock.breached_at = None
            if how == "touch":  # stop_clock: met, or breached by the touch itself
                clock.state = Clock.MET if at <= due else Clock.BREACHED
                clock.breached_at = None if at <= due else ts(at)
                clock.stopped_at, clock.response_seconds = ts(at), at - start
                stopped = clock
            elif how == "leave":  # off the desk: the clock no longer applies
                clock.state, clock.stopped_at = Clock.CANCELLED, ts(at)
            else:
                clock.state, lead.due = Clock.RUNNING, due
        return stopped
