"""The speed-to-lead clock: started when an inquiry arrives, stopped by the
first human touch, escalated when it runs out.

One running clock per lead at most. A breached clock stays as history (state
breached) and, when the policy escalates, a new running clock starts for the
qualifier the lead goes to, so an escalated lead keeps escalating until someone
acts. Breaches are claimed with select_for_update(skip_locked=True), a batch
of clocks per transaction, so any number of workers can run the check at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from leadgate.intake.models import Inquiry
from leadgate.leads import events
from leadgate.leads.lifecycle import ON_DESK
from leadgate.leads.models import Event, Lead, Task, Team, Touch
from leadgate.lib.business_hours import add_business_time
from leadgate.lib.write_budget import WriteBudget

from . import experiments
from .alerts import manager_emails, raise_alert
from .assign import FIRST_CALL_TITLE, Plan, next_available, reassign
from .availability import team_schedule
from .models import Alert, Assignment, SlaClock, SlaPolicy

logger = logging.getLogger(__name__)
Segment = SlaPolicy.Segment
RUNNING = SlaClock.State.RUNNING


def segment_of(inquiry: Inquiry) -> str | None:
    """The SLA segment of an inquiry, or None when it starts no clock: leads
    typed in by hand or synced from the CRM are somebody's already."""
    channel = inquiry.channel
    if channel in (Inquiry.Channel.MANUAL, Inquiry.Channel.CRM):
        return None
    if inquiry.is_hot:
        return Segment.HOT_INBOUND
    if channel == Inquiry.Channel.IMPORT:
        return Segment.IMPORTED
    return Segment.INBOUND


def due_time(policy: SlaPolicy, team: Team | None, start: datetime,
             minutes: int | None = None) -> datetime:
    """When a clock of this policy started at `start` runs out: counted in the
    team's business hours, or around the clock (also when the team's hours are
    all closed, rather than never). `minutes`: a response-time test's arm
    instead of the policy's."""
    allowed = timedelta(minutes=policy.minutes if minutes is None else minutes)
    schedule = team_schedule(team)
    if policy.business_hours and schedule.has_open_time:
        return add_business_time(schedule, start, allowed)
    return start + allowed


def start_clock(lead: Lead, inquiry: Inquiry, *, now: datetime | None = None) -> SlaClock | None:
    """Start (or tighten) the lead's clock for this inquiry: a batch of one
    (see start_clocks)."""
    return start_clocks([(lead, inquiry)], now=now)[0]


def start_clocks(pairs: Sequence[tuple[Lead, Inquiry]], *,
                 now: datetime | None = None) -> list[SlaClock | None]:
    """Start (or tighten) each lead's clock for its inquiry, in one transaction.
    Returns per pair the running clock, or None when the inquiry starts none
    (manual, CRM, no active policy, the lead gone or not on a qualifier's desk).

    A second inquiry while a clock runs keeps the earliest due time: a hot
    request on a lead already waiting moves its due time closer, a cold one
    changes nothing. The policies, the default team and each due time are
    read or computed once for the batch (the worker starts 25 clocks at once)."""
    return start_segment_clocks([(lead, segment_of(inquiry)) for lead, inquiry in pairs],
                                now=now)


def start_segment_clocks(pairs: Sequence[tuple[Lead, str | None]], *,
                         now: datetime | None = None) -> list[SlaClock | None]:
    """start_clocks() by SLA segment rather than inquiry: also for a lead that
    came back from nurture without one (a reply: Segment.RETURNED)."""
    now = now or timezone.now()
    segments = {segment for _lead, segment in pairs} - {None}
    policies = {policy.segment: policy for policy in
                SlaPolicy.objects.filter(segment__in=segments, active=True)}
    wanted = [(lead, policies.get(segment or "")) for lead, segment in pairs]
    if not any(policy for _lead, policy in wanted):
        return [None] * len(pairs)
    started: list[SlaClock | None] = [None] * len(pairs)
    with transaction.atomic():
        # The lead rows are the lock that keeps "at most one running clock"
        # true when two inquiries of one lead are processed at once.
        locked = {row.pk: row for row in Lead.objects.select_for_update(of=("self",))
                  .select_related("team").order_by("pk")
                  .filter(pk__in=[lead.pk for lead, policy in wanted if policy is not None])}
        running = {clock.lead_id: clock for clock in SlaClock.objects.filter(
            lead_id__in=locked, state=RUNNING).select_related("policy")}
        plan = Plan(now)  # the default team, read once for the batch
        # A response-time test's arm sets the first clock of the cycle the lead
        # joined it in (the response the test measures), not a later clock of
        # another segment, nor the teammate's after a breach.
        arms = experiments.running_arms(locked, experiments.RESPONSE_TIME.slug)
        clocked = set(SlaClock.objects.filter(lead_id__in=arms).values_list("lead_id", "cycle"))
        dues: dict[tuple[int, int | None, str | None], datetime] = {}
        new: list[SlaClock] = []
        tightened: list[tuple[Lead, datetime]] = []
        for number, (lead, policy) in enumerate(wanted):
            row = locked.get(lead.pk)
            if policy is None or row is None or row.stage not in ON_DESK:
                continue
            team = row.team or plan.default_team()
            value, joined_in = arms.get(row.pk, (None, None))
            first_clock = joined_in == row.cycle and (row.pk, row.cycle) not in clocked
            arm = value if first_clock else None
            key = (policy.pk, team.pk if team is not None else None, arm)
            if key not in dues:
                dues[key] = due_time(policy, team, now, int(arm) if arm else None)
            due = dues[key]
            clock = running.get(row.pk)
            if clock is not None:
                if due < clock.due_at:
                    clock.policy, clock.due_at = policy, due
                    if clock.pk is not None:  # else started by this batch, saved below
                        clock.save(update_fields=["policy", "due_at"])
                        tightened.append((row, due))
                started[number] = clock
                continue
            clock = SlaClock(lead=row, cycle=row.cycle, policy=policy, owner_id=row.owner_id,
                             started_at=now, due_at=due)
            running[row.pk] = started[number] = clock
            new.append(clock)
        SlaClock.objects.bulk_create(new)
        _first_calls_due([(clock.lead, clock.due_at) for clock in new], tighten=False)
        _first_calls_due(tightened, tighten=True)
        events.record_many([
            *(_started(clock) for clock in new),
            *(events.new("sla.tightened", row, owner=running[row.pk].owner_id, at=now,
                         data={"clock": running[row.pk].pk, "due_at": due})
              for row, due in tightened)])
    return started


def _started(clock: SlaClock, **data: object) -> events.NewEvent:
    """The `sla.started` event of a clock just started."""
    return events.new("sla.started", clock.lead, owner=clock.owner_id, at=clock.started_at,
                      data={"clock": clock.pk, "policy": clock.policy.segment,
                            "due_at": clock.due_at, **data})


def _first_calls_due(leads: list[tuple[Lead, datetime]], *, tighten: bool) -> None:
    """Each lead's first call is due when its clock runs out: routing made it
    due now when no clock ran yet (`tighten` off: set it), a hotter inquiry
    brings it closer (`tighten`: only earlier). A lead with no next step at all
    gets its first call here, for its owner. A statement per distinct due time
    (a batch started at once shares a few)."""
    if not leads:
        return
    by_due: dict[datetime, list[int]] = {}
    for lead, due in leads:
        by_due.setdefault(due, []).append(lead.pk)
    for due, ids in by_due.items():
        calls = Task.objects.open().filter(lead_id__in=ids, kind=Task.Kind.FIRST_CALL)
        calls.filter(due_at__gt=due).update(due_at=due) if tighten else calls.update(due_at=due)
    if tighten:
        return
    busy = set(Task.objects.open().filter(lead_id__in=[lead.pk for lead, _due in leads])
               .values_list("lead_id", flat=True))
    Task.objects.bulk_create([
        Task(lead=lead, assignee_id=lead.owner_id, kind=Task.Kind.FIRST_CALL,
             title=FIRST_CALL_TITLE, due_at=due, created_at=timezone.now())
        for lead, due in leads if lead.pk not in busy])


def is_human_touch(touch: Touch) -> bool:
    """A person reaching out to the lead. Automatic emails (acknowledgements,
    cadences) have no actor; the lead writing to us is not a response."""
    return touch.actor_id is not None and touch.direction == Touch.Direction.OUTBOUND


def stop_clock(touch: Touch) -> SlaClock | None:
    """Stop the lead's running clock with this touch if it is a human one;
    returns the stopped clock, or None when there was nothing to stop.

    Late but not yet escalated (the check runs every few seconds): the clock is
    recorded as breached, with the stop, so the breach is not lost and the lead
    is not escalated away from someone who just called it."""
    if not is_human_touch(touch):
        return None
    with transaction.atomic():
        clock = (SlaClock.objects.select_for_update()
                 .filter(lead_id=touch.lead_id, state=RUNNING).first())
        if clock is None:
            return None
        at = touch.at
        clock.stopped_at, clock.touch = at, touch
        clock.response_seconds = max(0, int((at - clock.started_at).total_seconds()))
        if at > clock.due_at:
            clock.state, clock.breached_at = SlaClock.State.BREACHED, at
        else:
            clock.state = SlaClock.State.MET
        clock.save(update_fields=["state", "stopped_at", "touch", "response_seconds",
                                  "breached_at"])
        events.record("sla.stopped", touch.lead_id, cycle=clock.cycle, owner=clock.owner_id,
                      actor=touch.actor_id, at=at,
                      data={"clock": clock.pk, "state": clock.state, "touch": touch.pk,
                            "response_seconds": clock.response_seconds})
        return clock


def cancel_clocks(lead: Lead, *, now: datetime | None = None) -> int:
    """The lead left the desk (closed, nurtured, handed off): its running clock
    no longer applies. Returns how many were cancelled."""
    now = now or timezone.now()
    running = list(SlaClock.objects.filter(lead=lead, state=RUNNING).values_list("pk", "owner_id"))
    cancelled = SlaClock.objects.filter(pk__in=[pk for pk, _owner in running]).update(
        state=SlaClock.State.CANCELLED, stopped_at=now)
    events.record_many(events.new("sla.stopped", lead, owner=owner_id, at=now,
                                  data={"clock": pk, "state": SlaClock.State.CANCELLED})
                       for pk, owner_id in running)
    return cancelled


@events.subscribe("sla-clocks", kinds={"stage.moved"})
def cancel_off_the_desk(batch: list[Event]) -> None:
    """Leads that left the desk (handed off, nurtured, closed) and are still
    off it: no response is due any more. The breach check also cancels,
    rather than breaches, the clock of a lead off the desk, should it come
    first."""
    left = {event.lead_id for event in batch if event.data.get("to") not in ON_DESK}
    for lead in Lead.objects.filter(pk__in=left).exclude(stage__in=ON_DESK):
        cancel_clocks(lead)


# Clocks claimed and handled in one transaction, at most: on SQLite each
# transaction waits its turn for the one writer (behind an import's chunks,
# say), so a transaction per clock made a thousand breaches a minute late; and
# every other writer waits for this one, so fifty escalations in one (about a
# second) made an API request beside them wait as long. The batch is sized to
# hold the lock about BREACH_SECONDS (lib.write_budget).
BREACH_BATCH = 50
BREACH_SECONDS = 0.1


def check_breaches(now: datetime | None = None, *, limit: int = 1000) -> int:
    """Act on every running clock that is due: record the breach, alert the
    managers (desk and email), escalate. Returns how many clocks breached.

    Clocks are claimed in batches with skip_locked: a second worker skips the
    clocks the first holds. Each clock is handled in a savepoint, so a
    failure on one lead undoes only that one (it is logged, and left for the
    next check), never the others."""
    now = now or timezone.now()
    breached = handled = 0
    failed: list[int] = []
    budget = WriteBudget(BREACH_SECONDS, first=10, most=BREACH_BATCH)
    while handled < limit:
        with transaction.atomic():
            began = time.perf_counter()
            clocks = list(SlaClock.objects.select_for_update(skip_locked=True)
                          .filter(state=RUNNING, due_at__lte=now).exclude(pk__in=failed)
                          .order_by("due_at", "pk")[:min(budget.size, limit - handled)])
            if not clocks:
                break
            for clock in clocks:
                try:
                    with transaction.atomic():
                        breached += _breach(clock, now)
                except Exception:
                    logger.exception("SLA clock %s of lead %s: the breach could not be "
                                     "recorded", clock.pk, clock.lead_id)
                    failed.append(clock.pk)
            handled += len(clocks)
        budget.took(len(clocks), time.perf_counter() - began)
    return breached


def _breach(clock: SlaClock, now: datetime) -> bool:
    # of=self: the joined team and owner may be null, and PostgreSQL cannot lock
    # the nullable side of an outer join.
    lead = (Lead.objects.select_for_update(of=("self",)).select_related("team", "owner")
            .get(pk=clock.lead_id))
    if lead.stage not in ON_DESK:
        # Left the desk without its clock being cancelled: not a breach.
        clock.state, clock.stopped_at = SlaClock.State.CANCELLED, now
        clock.save(update_fields=["state", "stopped_at"])
        return False
    clock.state, clock.breached_at = SlaClock.State.BREACHED, now
    clock.save(update_fields=["state", "breached_at"])
    policy = clock.policy
    team = lead.team
    late = f"{lead} ({policy.get_segment_display()}, {policy.minutes} min)"
    owner = lead.owner.username if lead.owner is not None else "nobody (team pool)"
    message = f"SLA breached: {late}, due {clock.due_at:%Y-%m-%d %H:%M} UTC, owner {owner}."
    if policy.escalate and team is not None:
        new_owner = next_available(team, exclude=[clock.owner_id, lead.owner_id], now=now)
        if new_owner is not None:
            reassign(lead, new_owner, by=None, why=Assignment.Why.SLA_BREACH, now=now,
                     note=f"SLA breached (due {clock.due_at:%Y-%m-%d %H:%M} UTC)")
            escalated = SlaClock.objects.create(lead=lead, cycle=lead.cycle, policy=policy,
                                                owner=new_owner, started_at=now,
                                                due_at=due_time(policy, team, now))
            events.record_many([_started(escalated, escalated_from=clock.pk)])
            message += f" Reassigned to {new_owner.username}."
        else:
            message += f" Nobody else in {team.name} is available: the lead stays."
    elif policy.escalate:
        message += " The lead has no team to escalate to."
    raise_alert(Alert.Kind.SLA_BREACH, message, subject=f"SLA breached: {lead}",
                email_to=manager_emails(team), lead=lead, team=team, at=now)
    events.record("sla.breached", lead, owner=clock.owner_id, at=now,
                  data={"clock": clock.pk, "policy": policy.segment, "due_at": clock.due_at,
                        "breached_at": now, "escalated_to": lead.owner_id
                        if lead.owner_id != clock.owner_id else None})
    return True


def current_clock(lead: Lead) -> SlaClock | None:
    """The latest clock of the lead's current cycle (running, met, breached or
    cancelled), or None when this cycle started none."""
    return (SlaClock.objects.select_related("policy").filter(lead_id=lead.pk, cycle=lead.cycle)
            .order_by("-started_at", "-pk").first())


def clock_summary(clock: SlaClock | None, now: datetime | None = None) -> dict | None:
    """A clock as the API and the webhooks show it. `breached` is also true for
    a running clock past its due time that the check (every few seconds) has
    not recorded yet; `breached_at` is when the breach was recorded."""
    if clock is None:
        return None
    now = now or timezone.now()
    policy = clock.policy
    return {
        "policy": policy.segment, "minutes": policy.minutes, "state": clock.state,
        "started_at": clock.started_at, "due_at": clock.due_at,
        # Stopped by a touch (a cancelled clock stops without a response).
        "responded_at": clock.stopped_at if clock.response_seconds is not None else None,
        "breached": clock.state == SlaClock.State.BREACHED or (
            clock.state == RUNNING and clock.due_at <= now),
        "breached_at": clock.breached_at,
    }
