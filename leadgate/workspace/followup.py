"""No lead left behind: every open lead on the desk has an owner and a next
step due. `ensure_next_steps()` (every 5 minutes, see workspace.tasks) walks
the leads in primary-key order for the ones to fix, BATCH at a time (keyset:
pk > the last one of the batch before, so a run reads each lead once and never
starts over: see suspects()), and fixes each batch in a short transaction
(its open tasks and alerts read by lead, on indexes task_lead_open and the
alert's lead); `aging()` lists leads untouched for N days.

What it fixes, one alert per lead and cause at most:
- a lead without an owner is routed again (someone may be available now),
  without a new alert when it waits in a pool with its open NOBODY_AVAILABLE
  alert; otherwise (its owner was removed, say) a NO_OWNER alert says so;
- a lead without an open task gets a follow-up due now, for its owner, and a
  NO_NEXT_STEP alert. A routed lead always has one (its first call, made with
  the assignment), so this is a slip elsewhere, not the fate of new leads.

Leads whose steps after intake have not run yet are left to them (they route
the lead and give it its first call) for INTAKE_GRACE after they arrive.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from leadgate.leads.lifecycle import ON_DESK
from leadgate.leads.models import Lead, LeadQuerySet, Task, Touch
from leadgate.routing.assign import route
from leadgate.routing.models import Alert

BATCH = 500
DESK_STAGES = sorted(ON_DESK)
INTAKE_GRACE = timedelta(hours=1)
Kind = Alert.Kind
CHECKED = (Kind.NOBODY_AVAILABLE, Kind.NO_OWNER, Kind.NO_NEXT_STEP)


def _route(lead: Lead) -> Any:
    """Route the lead again with routing.assign.route(), raising no alert of
    its own (the check records its own): the Assignment, or None when nothing
    changed (it still waits where it was)."""
    return route(lead, alert=False)


def ensure_next_steps(now: datetime | None = None, *, batch: int = BATCH) -> dict[str, int]:
    """Check every open lead on the desk (see the module's docstring). Returns
    {"no_owner": new NO_OWNER alerts, "no_next_step": follow-ups created,
    "routed": leads without an owner that routing gave one}."""
    now = now or timezone.now()
    totals: Counter[str] = Counter(no_owner=0, no_next_step=0, routed=0)
    last: int | None = 0
    while last is not None:
        last, unowned = _check_batch(last, now, batch, totals)
        for lead in unowned:
            # Outside the batch's transaction: routing takes its own locks.
            assignment = _route(lead)
            if assignment is not None and assignment.to_user_id is not None:
                totals["routed"] += 1
    return dict(totals)


def suspects(after: int, now: datetime, size: int) -> list[int]:
    """The next `size` leads after primary key `after` that are on the desk
    (their steps after intake done, or older than INTAKE_GRACE) without an
    owner or without an open task, in primary-key order.

    One statement that walks the primary key from `after` and stops at the
    batch's end (an open task is one probe of index task_lead_open per lead on
    the desk). The stage is compared through LOWER() (stages are lower case)
    so that no index serves it: compared as a column, SQLite reads index
    lead_stage_created instead and sorts every lead on the desk, once per batch."""
    open_task = Task.objects.filter(lead=OuterRef("pk"), done_at__isnull=True)
    return list(
        Lead.objects.alias(stage_plain=Lower("stage"), has_task=Exists(open_task))
        .filter(pk__gt=after, stage_plain__in=DESK_STAGES)
        .filter(Q(processed_at__isnull=False) | Q(created_at__lt=now - INTAKE_GRACE))
        .filter(Q(owner__isnull=True) | Q(has_task=False))
        .order_by("pk").values_list("pk", flat=True)[:size])


def _check_batch(after: int, now: datetime, size: int,
                 totals: Counter[str]) -> tuple[int | None, list[Lead]]:
    """One batch: the next suspects (see suspects()), locked (skip_locked: a
    lead someone is saving right now is checked next time) and fixed in one
    short transaction. Returns the last primary key of the batch (None: the
    walk is done) and the leads without an owner, to route."""
    ids = suspects(after, now, size)
    if not ids:
        return None, []
    with transaction.atomic():
        rows = list(Lead.objects.on_desk().filter(pk__in=ids).order_by("pk")
                    .select_for_update(skip_locked=True)
                    .values_list("pk", "owner_id", "team_id", "score_rank"))
        # Again under the lock: a touch may have set a next step meanwhile.
        with_task = _with_open_task([row[0] for row in rows])
        unowned = [row[0] for row in rows if row[1] is None]
        bare = [row for row in rows if row[0] not in with_task]
        alerted = set(
            Alert.objects.filter(lead_id__in=[row[0] for row in rows],
                                 resolved_at__isnull=True, kind__in=CHECKED)
            .values_list("lead_id", "kind"))
        leads = list(Lead.objects.filter(pk__in=unowned).select_related("account", "team")
                     .order_by("pk")) if unowned else []
        alerts = [
            Alert(kind=Kind.NO_OWNER, lead=lead, team_id=lead.team_id, created_at=now,
                  message=f"{lead} had no owner: routed again")
            for lead in leads
            if (lead.pk, Kind.NOBODY_AVAILABLE) not in alerted
            and (lead.pk, Kind.NO_OWNER) not in alerted
        ]
        totals["no_owner"] += len(alerts)
        Task.objects.bulk_create([
            Task(lead_id=pk, assignee_id=owner_id, kind=Task.Kind.FOLLOW_UP,
                 title="Follow up (no next step was set)", due_at=now, created_at=now,
                 rank=rank)
            for pk, owner_id, _team, rank in bare
        ])
        totals["no_next_step"] += len(bare)
        alerts += [
            Alert(kind=Kind.NO_NEXT_STEP, lead_id=pk, team_id=team_id, created_at=now,
                  message=f"Lead {pk} had no next step: a follow-up due now was created")
            for pk, _owner, team_id, _rank in bare if (pk, Kind.NO_NEXT_STEP) not in alerted
        ]
        Alert.objects.bulk_create(alerts)
    return ids[-1], leads


def _with_open_task(lead_ids: list[int]) -> set[int]:
    """Which of these leads have an open task (index task_lead_open)."""
    return set(Task.objects.open().filter(lead_id__in=lead_ids)
               .values_list("lead_id", flat=True))


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
