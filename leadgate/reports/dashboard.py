"""The manager's dashboard: the few numbers that matter today, each linking
to the page that lists what it counts.

- SLA breaches open now: leads on the desk whose first response is late and
  still not given: a breached clock of the current cycle that no human touch
  followed and no newer clock replaced (an escalation starts one), or a
  running clock past its due time the breach check has not recorded yet;
- unworked leads: leads on the desk that no person has touched in their
  current cycle (a touch logged by someone, either way; an automatic
  acknowledgement is not work), and how long the oldest has waited since its
  cycle began;
- handoffs waiting for sales: pending handoffs, the oldest, and how many are
  past their acceptance due time;
- this month against target: SALs, won deals and revenue so far (as the
  scorecard counts them), against the month's company target and against the
  share of it the days gone so far call for.

A handful of indexed queries (the SLA clocks by state, leads by stage with a
probe of their touches, handoffs by status, the summary table by month).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadgate.leads.lifecycle import ON_DESK
from leadgate.leads.models import Lead
from leadgate.leads.records import Handoff, Touch
from leadgate.routing.models import Alert, SlaClock

from .filters import _add_months, _aware
from .models import CycleFact, Target
from .scorecard import LABELS, Number, month_label, ratio, stage_actuals, targets_of

Metric = Target.Metric
MONTH_METRICS = [Metric.SALS, Metric.WON, Metric.REVENUE]


def human_touch() -> Q:
    """A person reaching out to the lead (routing.sla.is_human_touch)."""
    return Q(actor__isnull=False, direction=Touch.Direction.OUTBOUND)


def open_breaches(now: datetime) -> dict[str, Any]:
    """Leads on the desk whose first response is late now, and the earliest
    due time among them."""
    newer = SlaClock.objects.filter(lead_id=OuterRef("lead_id"),
                                    started_at__gt=OuterRef("started_at"))
    answered = Touch.objects.filter(human_touch(), lead_id=OuterRef("lead_id"),
                                    at__gte=OuterRef("started_at"))
    breached = (Q(state=SlaClock.State.BREACHED, stopped_at__isnull=True)
                & ~Exists(newer) & ~Exists(answered))
    late = Q(state=SlaClock.State.RUNNING, due_at__lte=now)
    found = (SlaClock.objects.filter(breached | late, lead__stage__in=ON_DESK,
                                     cycle=F("lead__cycle"))
             .aggregate(n=Count("lead_id", distinct=True), since=Min("due_at")))
    alerts = Alert.objects.filter(resolved_at__isnull=True,
                                  kind=Alert.Kind.SLA_BREACH).count()
    return {"count": found["n"] or 0, "since": found["since"], "alerts": alerts}


def unworked() -> dict[str, Any]:
    """Leads on the desk with no human touch in their current cycle, and when
    the cycle of the one waiting longest began."""
    worked = Touch.objects.filter(actor__isnull=False, lead_id=OuterRef("pk"),
                                  cycle=OuterRef("cycle"))
    began = CycleFact.objects.filter(lead_id=OuterRef("pk"), cycle=OuterRef("cycle")).values(
        "entered_at")[:1]
    found = (Lead.objects.on_desk().filter(~Exists(worked))
             .aggregate(n=Count("pk"), since=Min(Coalesce(Subquery(began), F("created_at")))))
    return {"count": found["n"] or 0, "since": found["since"]}


def waiting_handoffs(now: datetime) -> dict[str, Any]:
    found = Handoff.objects.filter(status=Handoff.Status.PENDING).aggregate(
        n=Count("pk"), since=Min("created_at"), late=Count("pk", filter=Q(due_at__lt=now)))
    return {"count": found["n"] or 0, "since": found["since"], "late": found["late"] or 0}


@dataclass
class MonthSoFar:
    month: date
    elapsed: float  # the share of the month gone, 0..1
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return month_label(self.month)


def month_so_far(now: datetime) -> MonthSoFar:
    """SALs, won deals and revenue this month (the viewer's month) against
    the company's targets, whole and pro rata."""
    today = timezone.localtime(now).date()
    month = today.replace(day=1)
    after = _add_months(month, 1)
    start, end = _aware(month), _aware(after)
    elapsed = (now - start).total_seconds() / (end - start).total_seconds()
    counted = stage_actuals(Q(), month, after, stages=[(Metric.SALS, "accepted_at"),
                                                       (Metric.WON, "won_at")])
    targets = targets_of(month, after, None)
    found = MonthSoFar(month=month, elapsed=elapsed)
    for metric in MONTH_METRICS:
        actual: Number = counted[metric][month]
        target = targets.get(metric, {}).get(month)
        pro_rata: Number | None = None
        if target is not None:
            pro_rata = (Decimal(target) * Decimal(str(round(elapsed, 6)))
                        if metric == Metric.REVENUE else float(target) * elapsed)
        pace = ratio(actual, pro_rata)
        found.rows.append({
            "key": metric, "metric": LABELS[metric], "actual": actual, "target": target,
            "attainment": ratio(actual, target), "pro_rata": pro_rata, "pace": pace,
            "kind": "money" if metric == Metric.REVENUE else "count",
            "tone": "" if pace is None else ("ahead" if pace >= 1 else "behind"),
        })
    return found


@dataclass
class Today:
    now: datetime
    breaches: dict[str, Any]
    unworked: dict[str, Any]
    handoffs: dict[str, Any]
    month: MonthSoFar


def today(now: datetime | None = None) -> Today:
    now = now or timezone.now()
    return Today(now=now, breaches=open_breaches(now), unworked=unworked(),
                 handoffs=waiting_handoffs(now), month=month_so_far(now))
