"""The nurture engine: enrolling a lead, taking its steps when due, resting
it between cycles, and letting it go: out of its cadence (`leave()`) or back
to the desk (`come_back()`).

Steps are rows with a due time that a sweep takes (`run_due()`, every few
seconds), never queue countdowns. The sweep locks a batch of due enrollments
(skip_locked on PostgreSQL: two workers take different ones) and takes each
step in a savepoint: the StepRun's unique (enrollment, step, cycle) and the
compare-and-set on the enrollment's position make a step happen at most once
on SQLite too, where there are no row locks. An email step queues its email
in the outbox in the same transaction (one key per step: nurture:<enrollment>:
<step>:<cycle>), so a step done is an email queued, and the outbox sends it.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.lifecycle import IllegalMove, Role, Stage
from leadgate.leads.models import Lead, Task, User
from leadgate.leads.transitions import advance
from leadgate.lib.write_budget import WriteBudget
from leadgate.mail.models import OutboundEmail, Suppression
from leadgate.mail.outbox import Email, queue_emails
from leadgate.mail.suppression import suppressed
from leadgate.routing import experiments
from leadgate.routing.assign import route
from leadgate.routing.models import SlaPolicy
from leadgate.routing.sla import start_segment_clocks

from . import conditions, templating, timing
from .models import Cadence, CadenceVersion, Enrollment, Step, StepRun

logger = logging.getLogger(__name__)

Status, Trigger, Exit = Enrollment.Status, Enrollment.Trigger, Enrollment.Exit
BATCH = 100
SWEEP_SECONDS = 1.0
# Kinds of email that count toward a lead's frequency cap: those written to the lead.
CAPPED = (OutboundEmail.Kind.NURTURE, OutboundEmail.Kind.PERSONAL)
NOT_SENT = (OutboundEmail.Status.FAILED, OutboundEmail.Status.SUPPRESSED)
# What each suppression reason ends an enrollment with.
SUPPRESSION_EXIT = {
    Suppression.Reason.UNSUBSCRIBED: Exit.UNSUBSCRIBED,
    Suppression.Reason.HARD_BOUNCE: Exit.BOUNCED,
    Suppression.Reason.COMPLAINT: Exit.COMPLAINED,
    Suppression.Reason.DO_NOT_CONTACT: Exit.DO_NOT_CONTACT,
}


class NurtureError(ValueError):
    """A request the engine refuses; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- enrolling -----------------------------------------------------------------------


def _cadence_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in
            Cadence.objects.filter(archived_at__isnull=True).values_list("pk", "name")]


# A cadence test: a lead enrolled without a cadence named takes its arm's.
CADENCE_TEST = experiments.register(experiments.Kind(
    "cadence", "Nurture cadence", experiments.ENROLLMENT, "Cadence", _cadence_choices))


def tested_cadence(lead: Lead, now: datetime) -> Cadence | None:
    """The cadence of the lead's arm in the running cadence test (the lead
    joins the test now if it is in its segment), or None."""
    experiments.assign([lead], experiments.ENROLLMENT, now=now)
    arm = experiments.arm_value(lead, CADENCE_TEST.slug)
    return Cadence.objects.filter(pk=arm, archived_at__isnull=True).first() if arm else None


def first_cadence() -> Cadence | None:
    """The cadence a new enrollment takes when none is named: the one marked
    first, else the only cadence in use (not archived)."""
    live = Cadence.objects.filter(archived_at__isnull=True)
    marked = live.filter(role=Cadence.Role.FIRST).first()
    if marked is not None:
        return marked
    candidates = list(live.exclude(role=Cadence.Role.QUARTERLY)[:2])
    return candidates[0] if len(candidates) == 1 else None


def _steps(version: CadenceVersion, cache: dict[int, list[Step]] | None = None) -> list[Step]:
    if cache is None:
        return version.ordered_steps()
    if version.pk not in cache:
        cache[version.pk] = version.ordered_steps()
    return cache[version.pk]


def _choose_variants(steps: list[Step]) -> dict[str, str]:
    """A/B: one variant per email step, at random, recorded on the enrollment."""
    return {str(step.pk): random.choice([variant.label for variant in step.variants.all()])
            for step in steps if step.kind in Step.EMAILS and step.variants.all()}


def live_enrollment(lead: Lead | int) -> Enrollment | None:
    return (Enrollment.objects.filter(lead_id=getattr(lead, "pk", lead), status__in=Enrollment.LIVE)
            .select_related("version__cadence").first())


def enroll(lead: Lead, *, trigger: str, cadence: Cadence | None = None, by: User | None = None,
           now: datetime | None = None, reason: str = "") -> Enrollment:
    """Enroll `lead` in `cadence` (default: first_cadence()), moving it to
    nurture first when it is elsewhere (the lifecycle decides whether it may:
    IllegalMove). NurtureError names the field when there is no cadence to
    take, it has no steps, or the lead already has a live enrollment."""
    now = now or timezone.now()
    if trigger not in Trigger.values:
        raise NurtureError("trigger", f"one of {', '.join(Trigger.values)}")
    with transaction.atomic():
        locked = (Lead.objects.select_for_update(of=("self",))
                  .select_related("account", "team").get(pk=lead.pk))
        current = live_enrollment(locked)
        if current is not None:
            raise NurtureError("lead", f"already enrolled in {current.version.cadence.name} "
                                       "(stop it first)")
        cadence = cadence or tested_cadence(locked, now) or first_cadence()
        if cadence is None:
            raise NurtureError("cadence", "no cadence to enroll in: name one, or mark one as "
                                          "the first cadence on the nurture pages")
        # Locked as the editor locks it (cadences.save_steps): an edit decides
        # whether the current version is in use, and this enrollment is not
        # made in between (it would start a version whose steps then change).
        cadence = Cadence.objects.select_for_update().get(pk=cadence.pk)
        if cadence.archived_at is not None:
            raise NurtureError("cadence", f"{cadence.name} is archived")
        version = cadence.current_version()
        steps = _steps(version) if version is not None else []
        if version is None or not steps:
            raise NurtureError("cadence", f"{cadence.name} has no steps yet")
        if locked.stage != Stage.NURTURE:
            advance(locked, Stage.NURTURE, by=by,
                    reason=reason.strip() or f"nurture: {cadence.name}")
            lead.stage, lead.cycle = locked.stage, locked.cycle
        return _start(locked, version, steps, trigger=trigger, by=by, now=now)


def _start(lead: Lead, version: CadenceVersion, steps: list[Step], *, trigger: str,
           by: User | None, now: datetime, number: int | None = None) -> Enrollment:
    """The enrollment row and its event, for a locked lead in nurture."""
    if number is None:
        last = (Enrollment.objects.filter(lead=lead, lead_cycle=lead.cycle)
                .aggregate(last=Max("number"))["last"])
        number = (last or 0) + 1
    calendar = timing.calendar_for(lead)
    enrollment = Enrollment.objects.create(
        lead=lead, lead_cycle=lead.cycle, number=number, version=version, trigger=trigger,
        enrolled_by=by, started_at=now, variants=_choose_variants(steps),
        next_due_at=timing.due_after(steps[0], calendar, now))
    events.record("nurture.enrolled", lead, actor=by, at=now, data={
        "enrollment": enrollment.pk, "cadence": version.cadence_id, "version": version.number,
        "name": version.cadence.name, "number": number, "trigger": trigger,
        "why": Trigger(trigger).label})
    return enrollment


def enroll_if_needed(lead_id: int, trigger: str, *,
                     now: datetime | None = None) -> Enrollment | None:
    """A lead that entered nurture gets its enrollment (the reaction to the
    move): none when it has one, left nurture meanwhile, or no cadence exists
    (the check alerts the managers then)."""
    lead = Lead.objects.filter(pk=lead_id, stage=Stage.NURTURE).first()
    if lead is None or live_enrollment(lead) is not None:
        return None
    try:
        return enroll(lead, trigger=trigger, now=now)
    except (NurtureError, IllegalMove, IntegrityError) as error:
        logger.info("lead %s in nurture not enrolled: %s", lead_id, error)
        return None


# --- taking steps ----------------------------------------------------------------------


def run_due(now: datetime | None = None, *, batch: int | None = None,
            seconds: float | None = None) -> Counter[str]:
    """Take the steps that are due and start the cycles whose rest is over,
    a batch (at most `batch`) per transaction, for about `seconds` (the next
    run goes on). Counts what happened, by outcome; "more due" when the time
    ran out before the due steps did."""
    now = now or timezone.now()
    batch = batch or BATCH
    seconds = SWEEP_SECONDS if seconds is None else seconds
    done: Counter[str] = Counter()
    started = time.monotonic()
    cache: dict[int, list[Step]] = {}
    # Each transaction about a tenth of a second (on SQLite it holds the one
    # write lock that the web requests and the other workers wait for).
    budget = WriteBudget(first=10, most=batch)
    while True:
        size = budget.size
        ids = list(Enrollment.objects.filter(status=Status.ACTIVE, next_due_at__lte=now)
                   .order_by("next_due_at").values_list("pk", flat=True)[:size])
        if not ids:
            break
        with budget.transaction(len(ids), transaction.atomic):
            rows = list(Enrollment.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(pk__in=ids, status=Status.ACTIVE, next_due_at__lte=now)
                        .select_related("lead__account", "lead__owner", "lead__team",
                                        "version__cadence").order_by("next_due_at", "pk"))
            for enrollment in rows:
                try:
                    with transaction.atomic():
                        done[take_step(enrollment, now, cache)] += 1
                except IntegrityError:
                    done["taken elsewhere"] += 1  # another worker took the step (SQLite)
        if len(ids) < size:
            break
        if time.monotonic() - started >= seconds:
            done["more due"] = 1
            break
    done.update(start_next_cycles(now, batch=batch))
    return done


def take_step(enrollment: Enrollment, now: datetime,
              cache: dict[int, list[Step]] | None = None) -> str:
    """Take the enrollment's due step; what happened ("email", "task", "wait",
    "skipped", "postponed", "capped", "suppressed", "rested", "left")."""
    lead = enrollment.lead
    if lead.stage != Stage.NURTURE:
        _end(enrollment, Exit.LEFT_NURTURE, f"the lead is in {lead.stage}", now=now)
        return "left"
    steps = _steps(enrollment.version, cache)
    if enrollment.position >= len(steps):
        rest(enrollment, now)
        return "rested"
    step = steps[enrollment.position]
    calendar = timing.calendar_for(lead)
    if not timing.in_window(step, calendar, now):
        # Late past the window's end (a backlog, a capped email): its next opening.
        _postpone(enrollment, timing.next_in_window(step, calendar, now))
        return "postponed"
    why_not = conditions.unmet(step.condition, lead, enrollment, now)
    if why_not:
        _run(enrollment, step, StepRun.Status.SKIPPED, now, detail=why_not[:300])
        _advance(enrollment, steps, now)
        return "skipped"
    if step.kind == Step.Kind.AUTO_EMAIL:
        return _email_step(enrollment, step, steps, calendar, now)
    if step.makes_task:
        task = _task_for(enrollment, step, lead, now)
        _run(enrollment, step, StepRun.Status.DONE, now, task=task,
             variant=enrollment.variants.get(str(step.pk), ""))
        _advance(enrollment, steps, now)
        return "task"
    _run(enrollment, step, StepRun.Status.DONE, now)
    _advance(enrollment, steps, now)
    return "wait"


def _variant(enrollment: Enrollment, step: Step) -> Any:
    variants = list(step.variants.all())
    if not variants:
        return None
    label = enrollment.variants.get(str(step.pk))
    return next((variant for variant in variants if variant.label == label), variants[0])


def emails_in_window(lead_id: int, now: datetime) -> list[datetime]:
    """When the emails counted by the frequency cap were queued, oldest first."""
    since = now - timedelta(days=settings.LEADGATE_EMAIL_CAP_DAYS)
    return list(OutboundEmail.objects.filter(lead_id=lead_id, kind__in=CAPPED,
                                             created_at__gt=since)
                .exclude(status__in=NOT_SENT).order_by("created_at")
                .values_list("created_at", flat=True))


def _email_step(enrollment: Enrollment, step: Step, steps: list[Step],
                calendar: timing.Calendar, now: datetime) -> str:
    lead = enrollment.lead
    if not lead.email or lead.email_invalid:
        _run(enrollment, step, StepRun.Status.SKIPPED, now, detail="no valid email address")
        _advance(enrollment, steps, now)
        return "skipped"
    blocked = Suppression.objects.filter(address__in=suppressed([lead.email])).first()
    if blocked is not None:
        _run(enrollment, step, StepRun.Status.SUPPRESSED, now,
             detail=f"{blocked.get_reason_display()}")
        leave(lead, SUPPRESSION_EXIT[Suppression.Reason(blocked.reason)],
              detail=f"{lead.email} is suppressed ({blocked.get_reason_display().lower()})",
              now=now)
        return "suppressed"
    cap = settings.LEADGATE_EMAIL_CAP_COUNT
    if cap > 0:
        recent = emails_in_window(lead.pk, now)
        if len(recent) >= cap:
            free = recent[-cap] + timedelta(days=settings.LEADGATE_EMAIL_CAP_DAYS)
            _postpone(enrollment, timing.next_in_window(step, calendar, max(free, now)))
            return "capped"
    variant = _variant(enrollment, step)
    context = templating.context_for(lead)
    try:
        subject = templating.render(variant.subject, context)
        text = templating.render(variant.text_body, context)
        html = templating.render(variant.html_body, context, html=True)
    except (templating.TemplateProblem, AttributeError) as error:
        _run(enrollment, step, StepRun.Status.SKIPPED, now,
             detail=f"the template could not be filled in: {error}"[:300])
        _advance(enrollment, steps, now)
        return "skipped"
    [(email, _new)] = queue_emails([Email(
        key=f"nurture:{enrollment.pk}:{step.pk}:{enrollment.number}",
        kind=OutboundEmail.Kind.NURTURE, to=(lead.email,), subject=subject,
        body=text, html_body=html, lead=lead, track=True)])
    _run(enrollment, step, StepRun.Status.DONE, now, email=email, variant=variant.label)
    _advance(enrollment, steps, now)
    return "email"


def _task_for(enrollment: Enrollment, step: Step, lead: Lead, now: datetime) -> Task:
    variant = _variant(enrollment, step)
    words = step.get_kind_display().split(" (")[0]
    title = words
    if variant is not None:
        try:
            title = templating.render(variant.subject, templating.context_for(lead))
        except templating.TemplateProblem:
            title = variant.subject
    notes = step.instructions
    # A template problem leaves the words as written: a person reads them.
    with contextlib.suppress(templating.TemplateProblem):
        notes = templating.render(notes, templating.context_for(lead)) if notes else ""
    return Task.objects.create(lead=lead, assignee_id=lead.owner_id, kind=Task.Kind.NURTURE,
                               title=f"Nurture: {title}"[:200], notes=notes, due_at=now,
                               created_at=now, rank=lead.score_rank)


def _run(enrollment: Enrollment, step: Step, status: str, now: datetime, **fields: Any) -> StepRun:
    run = StepRun.objects.create(enrollment=enrollment, step=step, cycle=enrollment.number,
                                 status=status, at=now, **fields)
    events.record("nurture.stepped", enrollment.lead, at=now, data={
        "enrollment": enrollment.pk, "step": step.pk, "position": step.position,
        "kind": step.kind, "status": status, "email": run.email_id, "task": run.task_id})
    return run


def _save(enrollment: Enrollment, expected_position: int, **fields: Any) -> None:
    """Update the enrollment only while it is as this sweep read it (no row
    locks on SQLite): a lost race raises, and the savepoint undoes the step."""
    updated = Enrollment.objects.filter(pk=enrollment.pk, status=enrollment.status,
                                        position=expected_position).update(**fields)
    if not updated:
        raise IntegrityError(f"enrollment {enrollment.pk} changed meanwhile")
    for name, value in fields.items():
        setattr(enrollment, name, value)


def _advance(enrollment: Enrollment, steps: list[Step], now: datetime) -> None:
    position = enrollment.position + 1
    if position >= len(steps):
        _save(enrollment, enrollment.position, position=position, last_step_at=now)
        rest(enrollment, now)
        return
    calendar = timing.calendar_for(enrollment.lead)
    _save(enrollment, enrollment.position, position=position, last_step_at=now,
          next_due_at=timing.due_after(steps[position], calendar, now))


def _postpone(enrollment: Enrollment, until: datetime) -> None:
    _save(enrollment, enrollment.position, next_due_at=until)


# --- cycles --------------------------------------------------------------------------


def rest(enrollment: Enrollment, now: datetime) -> None:
    """The cadence is done: the lead rests until the next cycle (a quarter
    once its cycles are spent)."""
    days = (settings.LEADGATE_NURTURE_REST_DAYS
            if enrollment.number < settings.LEADGATE_NURTURE_MAX_CYCLES
            else settings.LEADGATE_NURTURE_QUARTERLY_DAYS)
    until = now + timedelta(days=days)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Status.RESTING, rest_until=until,
                                                       next_due_at=None)
    enrollment.status, enrollment.rest_until, enrollment.next_due_at = Status.RESTING, until, None
    events.record("nurture.rested", enrollment.lead_id, cycle=enrollment.lead_cycle, at=now,
                  owner=None, data={"enrollment": enrollment.pk, "until": until})


def next_cadence(enrollment: Enrollment) -> tuple[Cadence, str]:
    """The cadence of the cycle after `enrollment`, and the trigger it is
    enrolled with: the next track while cycles remain, then the quarterly
    cadence (or the same track when none is marked)."""
    cadence = enrollment.version.cadence
    if enrollment.number < settings.LEADGATE_NURTURE_MAX_CYCLES:
        following = cadence.next_cadence or cadence
        if following.archived_at is None:
            return following, Trigger.NEXT_CYCLE
        return first_cadence() or cadence, Trigger.NEXT_CYCLE
    quarterly = Cadence.objects.filter(role=Cadence.Role.QUARTERLY,
                                       archived_at__isnull=True).first()
    return quarterly or cadence, Trigger.QUARTERLY


def start_next_cycles(now: datetime, *, batch: int = BATCH) -> Counter[str]:
    """Resting enrollments whose rest is over: finished, and the next cycle
    enrolled (a lead that left nurture meanwhile: its enrollment exits)."""
    done: Counter[str] = Counter()
    ids = list(Enrollment.objects.filter(status=Status.RESTING, rest_until__lte=now)
               .order_by("rest_until").values_list("pk", flat=True)[:batch])
    for pk in ids:
        with transaction.atomic():
            enrollment = (Enrollment.objects.select_for_update(skip_locked=True, of=("self",))
                          .select_related("lead", "version__cadence")
                          .filter(pk=pk, status=Status.RESTING, rest_until__lte=now).first())
            if enrollment is None:
                continue
            lead = (Lead.objects.select_for_update(of=("self",))
                    .select_related("account", "team").get(pk=enrollment.lead_id))
            if lead.stage != Stage.NURTURE:
                _end(enrollment, Exit.LEFT_NURTURE, f"the lead is in {lead.stage}", now=now)
                done["left"] += 1
                continue
            cadence, trigger = next_cadence(enrollment)
            cadence = Cadence.objects.select_for_update().get(pk=cadence.pk)  # see enroll()
            version = cadence.current_version()
            steps = _steps(version) if version is not None else []
            if version is None or not steps:
                # Nothing to send: rest another while rather than drop the lead.
                Enrollment.objects.filter(pk=pk).update(
                    rest_until=now + timedelta(days=settings.LEADGATE_NURTURE_QUARTERLY_DAYS))
                done["no steps"] += 1
                continue
            Enrollment.objects.filter(pk=pk).update(status=Status.FINISHED, ended_at=now,
                                                    rest_until=None)
            _start(lead, version, steps, trigger=trigger, by=None, now=now,
                   number=enrollment.number + 1)
            done["next cycle"] += 1
    return done


# --- leaving ---------------------------------------------------------------------------


def _end(enrollment: Enrollment, reason: str, detail: str = "", *, by: User | None = None,
         now: datetime | None = None) -> None:
    """Exit the enrollment: no further step; its open nurture tasks are closed."""
    now = now or timezone.now()
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Status.EXITED, ended_at=now, exit_reason=reason, exit_detail=detail[:300],
        next_due_at=None, rest_until=None)
    enrollment.status, enrollment.exit_reason = Status.EXITED, reason
    Task.objects.open().filter(lead_id=enrollment.lead_id, kind=Task.Kind.NURTURE).update(
        done_at=now)
    events.record("nurture.exited", enrollment.lead_id, actor=by, cycle=enrollment.lead_cycle,
                  at=now, owner=None,
                  data={"enrollment": enrollment.pk, "reason": reason, "detail": detail[:300],
                        "why": Exit(reason).label if reason in Exit.values else reason})


# Exits that end the buying cycle: the person asked not to be emailed or cannot be.
CLOSING = {Exit.UNSUBSCRIBED: "unsubscribed from nurture", Exit.COMPLAINED: "marked our email "
           "as spam", Exit.BOUNCED: "email bounced: no working address",
           Exit.DO_NOT_CONTACT: "do not contact"}


def leave(lead: Lead | int, reason: str, *, detail: str = "", by: User | None = None,
          now: datetime | None = None) -> Enrollment | None:
    """The lead leaves its cadence at once (the next step is never taken),
    for `reason` (Enrollment.Exit). An unsubscribe, a complaint, a hard bounce
    or do-not-contact also closes its cycle (disqualified, with the reason):
    nurture can no longer reach it. Returns the exited enrollment, if any."""
    now = now or timezone.now()
    with transaction.atomic():
        row = Lead.objects.select_for_update().get(pk=getattr(lead, "pk", lead))
        enrollment = live_enrollment(row)
        if enrollment is not None:
            _end(enrollment, reason, detail, by=by, now=now)
        if reason in CLOSING and row.stage == Stage.NURTURE:
            advance(row, Stage.DISQUALIFIED, by=None, reason=CLOSING[Exit(reason)])
        return enrollment


def stop(lead: Lead, *, reason: str = Exit.MANUAL, detail: str = "",
         by: User | None = None) -> Enrollment | None:
    """Stop the lead's cadence by hand and give the lead back to the desk
    (working, with its owner and a next step): a lead in nurture without a
    cadence would be left behind."""
    enrollment = live_enrollment(lead)
    come_back(lead, trigger=reason, detail=detail or "nurture stopped by hand",
              segment=None, target=Stage.WORKING, by=by)
    return enrollment


# --- coming back -----------------------------------------------------------------------


def _can_own(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_role(Role.QUALIFIER)


def come_back(lead: Lead | int, *, trigger: str, detail: str, segment: str | None,
              target: str = Stage.MQL, by: User | None = None,
              now: datetime | None = None) -> Lead | None:
    """The nurtured lead is ready: out of its cadence (exit `trigger`), back on
    the desk at `target` with an owner (its qualifier when still one, else
    routed), a "came back from nurture" task due now, and an SLA clock of
    `segment`'s policy (None: no clock, a person is already on it). None when
    the lead is not in nurture (it came back already)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (Lead.objects.select_for_update(of=("self",)).select_related("owner")
               .get(pk=getattr(lead, "pk", lead)))
        if row.stage != Stage.NURTURE:
            return None
        enrollment = live_enrollment(row)
        if enrollment is not None:
            _end(enrollment, trigger, detail, by=by, now=now)
        # The detail says it all ('replied "Budget is back"'); else the trigger's name.
        what = detail or (Exit(trigger).label.lower() if trigger in Exit.values else trigger)
        advance(row, target, by=by, reason=f"came back from nurture: {what}"[:500])
        if not _can_own(row.owner):
            route(row, now=now, force=True)
        task = Task.objects.create(
            lead=row, assignee_id=row.owner_id, kind=Task.Kind.CAME_BACK,
            title=f"Came back from nurture: {what}"[:200],
            due_at=now, created_at=now, created_by=by, rank=row.score_rank)
        if segment is not None:
            start_segment_clocks([(row, segment)], now=now)
        events.record("nurture.returned", row, actor=by, at=now, data={
            "enrollment": enrollment.pk if enrollment else None, "trigger": trigger,
            "detail": detail[:300], "to": target, "task": task.pk})
        return row


RETURNED = SlaPolicy.Segment.RETURNED
HOT = SlaPolicy.Segment.HOT_INBOUND
