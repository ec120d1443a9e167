"""What nurture does when something happens to a lead (the event stream's
consumer `nurture`, run every few seconds after commit):

- a lead that entered nurture is enrolled (the long-term verdict, the
  attempts exhausted, sales' rejection, by hand); a lost opportunity too, by
  setting (LEADGATE_NURTURE_LOST: a new buying cycle, in nurture);
- a lead moved out of nurture by hand leaves its cadence, and so does one
  handed off;
- a nurtured lead comes back to the desk on a hot inquiry (mql, the hot SLA
  clock), a reply (working, the `returned` clock), a meeting booked
  (working, no clock: someone is on it) or a grade that meets the MQL rule
  (mql, the `returned` clock);
- an unsubscribe, a complaint, a hard bounce or do-not-contact ends its
  cadence and its cycle (engine.leave);
- a reply shows on the lead's timeline as an inbound email touch, and opens
  and clicks by a person become marketing activities, which engagement
  scoring counts (an open alone never brings a lead back: a scanner or a
  preview pane opens mail too).

Handlers look at the lead as it is now, so a replayed event does no harm;
events older than STALE bring nobody back (a consumer started on an old
database reads history it must not act on again).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from leadgate.intake.models import Activity, Inquiry
from leadgate.leads import events
from leadgate.leads.lifecycle import IllegalMove, Stage
from leadgate.leads.models import Event, Lead, Task, Touch
from leadgate.scoring.models import RuleSet
from leadgate.scoring.rules import grade_meets_mql, rescore_on_commit

from . import engine
from .models import Enrollment

logger = logging.getLogger(__name__)
Trigger, Exit = Enrollment.Trigger, Enrollment.Exit
STALE = timedelta(days=1)

KINDS = {"stage.moved", "inquiry.received", "email.replied", "email.opened", "email.clicked",
         "email.unsubscribed", "email.bounced", "email.complained", "lead.suppressed",
         "touch.logged", "handoff.sent", "score.graded"}
ENDS = {"email.unsubscribed": Exit.UNSUBSCRIBED, "email.bounced": Exit.BOUNCED,
        "email.complained": Exit.COMPLAINED, "lead.suppressed": Exit.DO_NOT_CONTACT}
ACTIVITY = {"email.opened": Activity.Kind.EMAIL_OPEN, "email.clicked": Activity.Kind.EMAIL_CLICK}


def trigger_of(event: Event) -> str:
    """Why a lead entered nurture, from its stage.moved event."""
    data = event.data or {}
    reason = str(data.get("reason") or "").lower()
    if data.get("from") == Stage.REJECTED or reason.startswith("sales rejected"):
        return Trigger.SALES_REJECTED
    if reason.startswith("long-term"):
        return Trigger.LONG_TERM
    if reason.startswith("unresponsive"):
        return Trigger.UNRESPONSIVE
    if reason.startswith("lost opportunity"):
        return Trigger.LOST
    return Trigger.MANUAL


def _in_nurture(lead_id: int | None) -> bool:
    return lead_id is not None and Lead.objects.filter(pk=lead_id, stage=Stage.NURTURE).exists()


def _fresh(event: Event) -> bool:
    return event.at >= timezone.now() - STALE


@events.subscribe("nurture", KINDS)
def react(batch: list[Event]) -> None:
    for event in batch:
        if event.lead_id is None:
            continue
        try:
            # A savepoint each: an event not acted on leaves nothing half done.
            with transaction.atomic():
                HANDLERS[event.kind](event, event.lead_id)
        except (IllegalMove, engine.NurtureError) as error:
            # The lead moved meanwhile (someone was quicker), or there is no
            # cadence to take it (the check alerts the managers): nothing to do.
            logger.info("nurture: %s of lead %s not acted on: %s", event.kind, event.lead_id,
                        error)


def _moved(event: Event, lead_id: int) -> None:
    data = event.data or {}
    if data.get("to") == Stage.NURTURE:
        engine.enroll_if_needed(lead_id, trigger_of(event))
    elif data.get("from") == Stage.NURTURE:
        current = engine.live_enrollment(lead_id)
        if current is not None:
            engine.leave(lead_id, Exit.LEFT_NURTURE, detail=f"moved to {data.get('to')}")
    if (data.get("to") == Stage.LOST and settings.LEADGATE_NURTURE_LOST and _fresh(event)
            and engine.first_cadence() is not None):
        lead = Lead.objects.filter(pk=lead_id, stage=Stage.LOST).first()
        if lead is not None:
            lead.start_new_cycle(reason="lost opportunity: nurtured in a new cycle")
            engine.enroll(lead, trigger=Trigger.LOST, reason="lost opportunity: nurture")


def _inquiry(event: Event, lead_id: int) -> None:
    data = event.data or {}
    if data.get("created") or not _fresh(event) or not _in_nurture(lead_id):
        return
    inquiry = Inquiry.objects.filter(pk=data.get("inquiry") or 0).first()
    if inquiry is not None and inquiry.is_hot:
        engine.come_back(lead_id, trigger=Exit.HOT_INQUIRY,
                         detail=f"hot {inquiry.get_channel_display().lower()} inquiry",
                         segment=engine.HOT, target=Stage.MQL)


def _replied(event: Event, lead_id: int) -> None:
    data = event.data or {}
    text = str(data.get("text") or "").strip()
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return
    # On the timeline: the lead wrote to us (no actor: it stops no clock).
    touch = Touch.objects.create(lead=lead, cycle=lead.cycle, channel=Touch.Channel.EMAIL,
                                 direction=Touch.Direction.INBOUND,
                                 disposition=Touch.Disposition.REPLIED, notes=text[:5000],
                                 at=event.at)
    Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_REPLY, at=event.at,
                            detail=text[:500], sender="mail",
                            external_id=f"reply:{data.get('inbound') or event.pk}")
    events.record_many([events.touched(touch)])
    rescore_on_commit(lead.pk)
    snippet = " ".join(text.split())[:80]
    if lead.stage == Stage.NURTURE and _fresh(event):
        engine.come_back(lead, trigger=Exit.REPLIED, detail=f'replied "{snippet}"',
                         segment=engine.RETURNED, target=Stage.WORKING)
    elif lead.stage in (Stage.INQUIRY, Stage.MQL, Stage.WORKING, Stage.REJECTED):
        Task.objects.create(lead=lead, assignee_id=lead.owner_id, kind=Task.Kind.FOLLOW_UP,
                            title=f'Replied: "{snippet}"'[:200], due_at=timezone.now(),
                            rank=lead.score_rank)


def _engaged(event: Event, lead_id: int) -> None:
    data = event.data or {}
    Activity.objects.get_or_create(
        sender="mail", lead_id=lead_id, external_id=f"{event.kind}:{event.pk}",
        defaults={"kind": ACTIVITY[event.kind], "at": event.at,
                  "detail": str(data.get("url") or data.get("subject") or "")[:500]})
    rescore_on_commit(lead_id)


def _suppressed(event: Event, lead_id: int) -> None:
    reason = ENDS[event.kind]
    if engine.live_enrollment(lead_id) is not None or _in_nurture(lead_id):
        address = (event.data or {}).get("address") or ""
        engine.leave(lead_id, reason, detail=f"{address}: {Exit(reason).label.lower()}")


def _touched(event: Event, lead_id: int) -> None:
    data = event.data or {}
    if data.get("disposition") != Touch.Disposition.MEETING_BOOKED or not _fresh(event):
        return
    if _in_nurture(lead_id):
        engine.come_back(lead_id, trigger=Exit.MEETING, detail="meeting booked",
                         segment=None, target=Stage.WORKING)


def _handed_off(event: Event, lead_id: int) -> None:
    if engine.live_enrollment(lead_id) is not None:
        engine.leave(lead_id, Exit.HANDOFF, detail="handed off to sales")


def _graded(event: Event, lead_id: int) -> None:
    grade = str((event.data or {}).get("to") or "")
    if not _fresh(event) or not _in_nurture(lead_id):
        return
    ruleset = RuleSet.active_one()
    if ruleset is None or not grade_meets_mql(ruleset, grade):
        return
    # Opens count toward engagement, but never bring a lead back on their own
    # (a scanner or a preview pane opens mail too): some other sign is needed.
    current = engine.live_enrollment(lead_id)
    since = current.started_at if current is not None else event.at - STALE
    if Activity.objects.filter(lead_id=lead_id, at__gte=since).exclude(
            kind=Activity.Kind.EMAIL_OPEN).exists():
        engine.come_back(lead_id, trigger=Exit.MQL,
                         detail=f"grade {grade} meets the MQL rule v{ruleset.version}",
                         segment=engine.RETURNED, target=Stage.MQL)


HANDLERS = {
    "stage.moved": _moved, "inquiry.received": _inquiry, "email.replied": _replied,
    "email.opened": _engaged, "email.clicked": _engaged,
    **{kind: _suppressed for kind in ENDS}, "touch.logged": _touched,
    "handoff.sent": _handed_off, "score.graded": _graded,
}
assert set(HANDLERS) == KINDS
