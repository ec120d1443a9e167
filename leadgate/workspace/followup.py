"""No lead left behind: every open lead on the desk has an owner and a next
step due. `ensure_next_steps()` (every 5 minutes, see workspace.tasks) finds
the violators in batches (one query each, no per-lead detection), fixes them
and records an Alert managers see; `aging()` lists leads untouched for N days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadgate.leads.models import Lead, LeadQuerySet
from leadgate.routing.models import Alert

from .models import Task, Touch

BATCH = 500


def _route(lead: Lead) -> Any:
    """Route the lead with routing.assign.route() when it is installed."""
    try:
        from leadgate.routing.assign import route
    except ModuleNotFoundError as error:
        if error.name not in ("leadgate.routing.assign",):
            raise
        return None
    return route(lead)


def _open_alert(kind: str) -> Exists:
    return Exists(Alert.objects.filter(lead=OuterRef("pk"), kind=kind, resolved_at__isnull=True))


def unowned() -> QuerySet[Lead]:
    """Open leads on the desk without an owner and without an open alert saying so."""
    return Lead.objects.on_desk().filter(owner__isnull=True).filter(
        ~_open_alert(Alert.Kind.NO_OWNER)
    )


def without_next_step() -> QuerySet[Lead]:
    """Open leads on the desk with no open task."""
    open_task = Task.objects.filter(lead=OuterRef("pk"), done_at__isnull=True)
    return Lead.objects.on_desk().filter(~Exists(open_task))


def _fix_unowned(now: datetime) -> int:
    fixed = 0
    last = 0
    while True:
        with transaction.atomic():
            ids = list(
                unowned().filter(pk__gt=last).order_by("pk")
                .select_for_update(skip_locked=True).values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return fixed
            last = ids[-1]
            leads = list(Lead.objects.filter(pk__in=ids).order_by("pk"))
            Alert.objects.bulk_create([
                Alert(kind=Alert.Kind.NO_OWNER, lead=lead, team_id=lead.team_id,
                      message=f"{lead} had no owner", created_at=now)
                for lead in leads
            ])
        for lead in leads:
            # Outside the batch's transaction: routing takes its own locks.
            _route(lead)
        fixed += len(leads)


def _fix_next_steps(now: datetime) -> int:
    fixed = 0
    while True:
        with transaction.atomic():
            rows = list(
                without_next_step().order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", "owner_id", "team_id", "score_rank")[:BATCH]
            )
            if not rows:
                return fixed
            Task.objects.bulk_create([
                Task(lead_id=pk, assignee_id=owner_id, kind=Task.Kind.FOLLOW_UP,
                     title="Follow up (no next step was set)", due_at=now, created_at=now,
                     rank=rank)
                for pk, owner_id, _team, rank in rows
            ])
            Alert.objects.bulk_create([
                Alert(kind=Alert.Kind.NO_NEXT_STEP, lead_id=pk, team_id=team_id,
                      message=f"Lead {pk} had no next step: a follow-up due now was created",
                      created_at=now)
                for pk, _owner, team_id, _rank in rows
            ])
        fixed += len(rows)
        if len(rows) < BATCH:
            return fixed


def ensure_next_steps(now: datetime | None = None) -> dict[str, int]:
    """Fix every open lead on the desk: without an owner, alert and route it;
    without an open task, create a follow-up due now (for its owner) and alert.
    Returns {"no_owner": n, "no_next_step": m}."""
    now = now or timezone.now()
    no_owner = _fix_unowned(now)
    # After routing, so the new follow-ups go to the new owners.
    no_next_step = _fix_next_steps(now)
    return {"no_owner": no_owner, "no_next_step": no_next_step}


def aging(leads: LeadQuerySet, days: int, now: datetime | None = None) -> QuerySet[Lead]:
    """Of `leads`, the open ones on the desk untouched for `days` days (never
    touched: counted from their arrival), the longest untouched first."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    last_touch = (
        Touch.objects.filter(lead=OuterRef("pk")).values("lead").annotate(last=Max("at"))
        .values("last")
    )
    return (
        leads.on_desk()
        .annotate(last_touch_at=Subquery(last_touch))
        .annotate(quiet_since=Coalesce(F("last_touch_at"), F("created_at")))
        .filter(quiet_since__lt=cutoff)
        .select_related("owner", "account")
        .order_by("quiet_since", "pk")
    )
