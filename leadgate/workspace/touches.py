"""`log_touch()`: record one attempt to reach a lead, with what comes next.

A touch is never saved without a next step (a task due in the future) or a
verdict: that is how no lead is left behind. Everything a touch implies
happens in one transaction: the touch, the lead's open tasks closed, the next
task, qualification answers, the stage moves, the SLA clock stopped, the
owner's queue told; the lead is rescored once it is committed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.lifecycle import CLOSED, IllegalMove, Stage
from leadgate.leads.models import Lead, Task, Touch, User
from leadgate.leads.transitions import advance
from leadgate.routing.sla import stop_clock
from leadgate.scoring.rules import rescore_on_commit

from . import attempts as attempt_policy
from .frameworks import AnswerError, clean_answers, current_answers, framework_for, sales_ready
from .models import Framework, Qualification

Verdict = Qualification.Verdict

# Why a lead is not a fit: one of these, always.
DISQUALIFY_REASONS = [
    "no budget",
    "no need",
    "no authority",
    "competitor chosen",
    "wrong company size",
    "student/job seeker",
    "duplicate",
    "other",
]
VERDICTS = [Verdict.SALES_READY, Verdict.LONG_TERM, Verdict.NOT_A_FIT, Verdict.UNRESPONSIVE]
# A touch on a lead in these stages starts working it.
START_WORKING = {Stage.INQUIRY, Stage.MQL}
RECONTACT_TIME = time(10, 0)  # lead-local, on the re-contact date
HANDOFF_TITLE = "Hand off to sales"


class TouchError(ValueError):
    """A touch that cannot be saved; `field` names the form field at fault."""

    def __init__(self, field: str, message: str, missing: list[str] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.missing = missing or []


class NextStep(NamedTuple):
    title: str
    due_at: datetime
    kind: str = Task.Kind.FOLLOW_UP


def _choice(value: str, choices: Any, field: str) -> str:
    value = (value or "").strip()
    if value not in choices.values:
        raise TouchError(field, f"{field}: choose one of {', '.join(choices.values)}")
    return value


def _next_step(raw: Any, now: datetime) -> NextStep:
    if isinstance(raw, dict):
        due: Any = raw.get("due_at")  # checked below
        raw = NextStep(raw.get("title", ""), due, raw.get("kind") or Task.Kind.FOLLOW_UP)
    elif not isinstance(raw, NextStep):
        raw = NextStep(*raw)
    title = (raw.title or "").strip()
    if not title:
        raise TouchError("next_title", "the next step needs a title")
    if len(title) > 200:
        raise TouchError("next_title", "the next step's title is at most 200 characters")
    if not isinstance(raw.due_at, datetime) or timezone.is_naive(raw.due_at):
        raise TouchError("next_due", "the next step needs a due time")
    if raw.due_at <= now:
        raise TouchError("next_due", "the next step must be due in the future")
    kind = raw.kind or Task.Kind.FOLLOW_UP
    if kind not in Task.Kind.values:
        raise TouchError("next_kind", f"next_kind: choose one of {', '.join(Task.Kind.values)}")
    return NextStep(title, raw.due_at, kind)


def log_touch(
    lead: Lead,
    actor: User | None,
    *,
    channel: str,
    disposition: str,
    notes: str = "",
    direction: str = Touch.Direction.OUTBOUND,
    duration_seconds: int = 0,
    next_step: NextStep | tuple | dict | None = None,
    verdict: str | None = None,
    answers: dict[str, Any] | None = None,
    reason: str = "",
    recontact_on: date | None = None,
    framework: Framework | None = None,
    at: datetime | None = None,
) -> Touch:
    """Save a touch and everything it implies, or raise TouchError (nothing saved).

    Either `next_step` (title, due_at in the future, kind) or `verdict`:
    - sales_ready: the framework's short-term questions must be met (else the
      error names the missing keys); a "Hand off to sales" task due now;
    - long_term: `recontact_on` required; the lead goes to nurture with a
      re-contact task at 10:00 lead-local on that date;
    - not_a_fit: `reason` from DISQUALIFY_REASONS; the lead is disqualified;
    - unresponsive: only once the attempt policy is met; the lead goes to nurture.
    """
    now = at or timezone.now()
    channel = _choice(channel, Touch.Channel, "channel")
    disposition = _choice(disposition, Touch.Disposition, "disposition")
    direction = _choice(direction, Touch.Direction, "direction")
    notes = (notes or "").strip()
    if len(notes) > 10_000:
        raise TouchError("notes", "notes are at most 10,000 characters")
    try:
        duration_seconds = int(duration_seconds or 0)
    except (TypeError, ValueError):
        raise TouchError("duration_seconds", "the duration is a number of seconds") from None
    if not 0 <= duration_seconds <= 24 * 3600:
        raise TouchError("duration_seconds", "the duration is 0 to 86,400 seconds")
    verdict = (verdict or "").strip() or None
    step: NextStep | None = None
    if verdict is None:
        if next_step is None:
            raise TouchError(
                "next_step", "a touch needs a next step with a due time, or a verdict"
            )
        step = _next_step(next_step, now)
    elif verdict not in VERDICTS:
        raise TouchError("verdict", f"verdict: choose one of {', '.join(VERDICTS)}")
    reason = (reason or "").strip()
    if verdict == Verdict.NOT_A_FIT and reason not in DISQUALIFY_REASONS:
        raise TouchError(
            "reason", f"not a fit needs a reason: one of {', '.join(DISQUALIFY_REASONS)}"
        )
    if verdict == Verdict.LONG_TERM:
        if not isinstance(recontact_on, date):
            raise TouchError("recontact_on", "long-term needs a re-contact date")
        if recontact_on <= now.astimezone(attempt_policy.lead_zone(lead)).date():
            raise TouchError("recontact_on", "the re-contact date must be after today")
    if lead.stage in CLOSED:
        raise TouchError("stage", f"the lead's cycle is closed ({lead.stage}): no touch on it")
    if framework is None and (answers or verdict == Verdict.SALES_READY):
        framework = framework_for(lead)
    try:
        cleaned = clean_answers(framework, answers or {})
    except AnswerError as error:
        raise TouchError(f"answer_{error.key}", str(error)) from None

    try:
        with transaction.atomic():
            return _save(
                lead, actor, now=now, step=step, verdict=verdict, reason=reason,
                recontact_on=recontact_on, framework=framework, answers=cleaned,
                touch=Touch(
                    lead=lead, channel=channel, disposition=disposition, direction=direction,
                    duration_seconds=duration_seconds, notes=notes, actor=actor, at=now,
                ),
            )
    except IllegalMove as error:
        field = "verdict" if verdict else error.field
        raise TouchError(field, str(error)) from None


def _save(
    lead: Lead, actor: User | None, *, now: datetime, step: NextStep | None,
    verdict: str | None, reason: str, recontact_on: date | None,
    framework: Framework | None, answers: dict[str, Any], touch: Touch,
) -> Touch:
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    lead.stage, lead.cycle, lead.owner_id = locked.stage, locked.cycle, locked.owner_id
    if lead.stage in CLOSED:
        raise TouchError("stage", f"the lead's cycle is closed ({lead.stage}): no touch on it")
    touch.cycle = lead.cycle
    touch.save()
    assignee_id = lead.owner_id or (actor.pk if actor else None)

    Task.objects.filter(lead=lead, done_at__isnull=True).update(done_at=now)
    if step is not None:
        Task.objects.create(
            lead=lead, assignee_id=assignee_id, kind=step.kind, title=step.title,
            due_at=step.due_at, created_by=actor, created_at=now,
        )

    merged: dict[str, Any] = {}
    if framework is not None and (answers or verdict == Verdict.SALES_READY):
        merged = {**current_answers(lead, framework), **answers}
    if verdict == Verdict.SALES_READY:
        ready, missing = sales_ready(framework, merged)
        if not ready:
            raise TouchError(
                "answers",
                "sales-ready needs these questions met: " + ", ".join(missing),
                missing=missing,
            )

    if lead.stage in START_WORKING:
        advance(lead, Stage.WORKING, by=actor, reason=f"{touch.get_channel_display()}: "
                f"{touch.get_disposition_display()}".lower())

    if answers or verdict:
        qualification = Qualification.objects.create(
            lead=lead, cycle=lead.cycle, framework=framework.kind if framework else "",
            answers=merged, verdict=verdict or "", reason=reason,
            recontact_on=recontact_on if verdict == Verdict.LONG_TERM else None,
            by=actor, at=now,
        )
        if verdict:
            events.record("verdict.given", lead, actor=actor, at=now,
                          data={"qualification": qualification.pk, "verdict": verdict})
    if verdict == Verdict.SALES_READY:
        Task.objects.create(
            lead=lead, assignee_id=assignee_id, kind=Task.Kind.OTHER, title=HANDOFF_TITLE,
            due_at=now, created_by=actor, created_at=now,
        )
    elif verdict == Verdict.LONG_TERM:
        assert recontact_on is not None
        advance(lead, Stage.NURTURE, by=actor, reason=f"long-term: re-contact on {recontact_on}")
        Task.objects.create(
            lead=lead, assignee_id=assignee_id, kind=Task.Kind.RECONTACT,
            title="Re-contact (long-term)",
            due_at=attempt_policy.local_at(lead, recontact_on, RECONTACT_TIME),
            created_by=actor, created_at=now,
        )
    elif verdict == Verdict.NOT_A_FIT:
        advance(lead, Stage.DISQUALIFIED, by=actor, reason=f"not a fit: {reason}")
    elif verdict == Verdict.UNRESPONSIVE:
        gap = attempt_policy.unresponsive_gap(lead)  # counts this touch
        if gap:
            raise TouchError("verdict", f"too early to close as unresponsive: {gap}")
        advance(lead, Stage.NURTURE, by=actor,
                reason=f"unresponsive after {attempt_policy.attempts(lead)} attempts")

    stop_clock(touch)
    events.record_many([events.touched(touch)])
    rescore_on_commit(lead.pk)
    return touch


def recontact_due(lead: Lead, day: date) -> datetime:
    """When a re-contact on `day` is due: 10:00 lead-local."""
    return attempt_policy.local_at(lead, day, RECONTACT_TIME)


def default_next_step(lead: Lead, now: datetime | None = None) -> NextStep:
    """What the touch form proposes: the next attempt of the plan."""
    due = attempt_policy.suggest_next_attempt(lead, now, logging_now=True)
    return NextStep("Call again", due, Task.Kind.FOLLOW_UP)

