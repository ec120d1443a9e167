"""No lead left behind, in nurture: every nurtured lead is either enrolled
with a next step due or resting with the date of its next cycle.

`ensure_enrolled()` (every 5 minutes) finds the leads that are not and fixes
them: a lead in nurture without a live enrollment (the reaction that enrolls
it failed, or no cadence existed) is enrolled in the first cadence; an
active enrollment without a due time gets its next step's, a resting one
without an end gets the rest of its cycle. Each fix that needed one raises
a `not_nurtured` alert for the managers (once per lead while open), which
their desk shows; a lead that cannot be enrolled (no cadence at all) keeps
its open alert until someone makes a cadence.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Lead
from leadgate.routing.models import Alert

from . import engine, timing
from .models import Enrollment

# The reaction enrolls a lead within seconds of its move; the check leaves it that long.
GRACE = timedelta(minutes=5)
BATCH = 500
Status = Enrollment.Status


def _alert(lead: Lead, message: str, now: datetime) -> bool:
    if Alert.objects.filter(lead=lead, kind=Alert.Kind.NOT_NURTURED,
                            resolved_at__isnull=True).exists():
        return False
    Alert.objects.create(kind=Alert.Kind.NOT_NURTURED, lead=lead, team_id=lead.team_id,
                         message=message, created_at=now)
    return True


def ensure_enrolled(now: datetime | None = None, *, batch: int = BATCH) -> dict[str, int]:
    """Fix every nurtured lead that has no next step (see the module's
    docstring); counts by fix."""
    now = now or timezone.now()
    totals: Counter[str] = Counter(enrolled=0, not_enrolled=0, due_fixed=0, rest_fixed=0)
    live = Enrollment.objects.filter(lead=OuterRef("pk"), status__in=Enrollment.LIVE)
    last = 0
    while True:
        ids = list(Lead.objects.alias(enrolled=Exists(live))
                   .filter(pk__gt=last, stage=Stage.NURTURE, enrolled=False,
                           stage_changed_at__lt=now - GRACE)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        last = ids[-1]
        for lead in Lead.objects.filter(pk__in=ids).select_related("team"):
            enrollment = engine.enroll_if_needed(lead.pk, Enrollment.Trigger.CHECK, now=now)
            if enrollment is not None:
                totals["enrolled"] += 1
                _alert(lead, f"{lead} was in nurture without a cadence: enrolled in "
                             f"{enrollment.version.cadence.name}", now)
            else:
                totals["not_enrolled"] += 1
                _alert(lead, f"{lead} is in nurture without a cadence, and none could be "
                             "started: mark a first cadence on the nurture pages", now)
    for enrollment in (Enrollment.objects.filter(status=Status.ACTIVE, next_due_at__isnull=True)
                       .select_related("lead__account", "lead__team", "version")[:batch]):
        steps = enrollment.version.ordered_steps()
        if enrollment.position < len(steps):
            due = timing.due_after(steps[enrollment.position],
                                   timing.calendar_for(enrollment.lead), now)
        else:
            due = now  # the sweep rests it
        Enrollment.objects.filter(pk=enrollment.pk, next_due_at__isnull=True).update(
            next_due_at=due)
        totals["due_fixed"] += 1
    for enrollment in Enrollment.objects.filter(status=Status.RESTING,
                                                rest_until__isnull=True)[:batch]:
        engine.rest(enrollment, now)
        totals["rest_fixed"] += 1
    return dict(totals)


def resolve_alerts() -> int:
    """Close the not-nurtured alerts of leads that are now enrolled or out of nurture."""
    live = Enrollment.objects.filter(lead=OuterRef("lead"), status__in=Enrollment.LIVE)
    fixed = (Alert.objects.filter(kind=Alert.Kind.NOT_NURTURED, resolved_at__isnull=True)
             .alias(enrolled=Exists(live))
             .filter(Q(enrolled=True) | ~Q(lead__stage=Stage.NURTURE)))
    return fixed.update(resolved_at=timezone.now())
