"""Reports. The funnel: where leads are now, and how far each month's leads got.

Cohorts are by month of lead creation (in the site's time zone). A lead counts
as having reached every main stage (`lifecycle.FUNNEL`) up to the FURTHEST
main stage in its stage history (`StageChange.to_stage`, any cycle): a lead
that went inquiry → working counts for inquiry, mql and working, and a lead
that was qualified and later rejected still counts as qualified. Side stages
(nurture, disqualified, rejected, lost) are not steps of the funnel.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import TruncMonth
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import FUNNEL, Role, Stage
from leadgate.leads.models import Lead, StageChange

MONTHS = 12
FUNNEL_ROLES = (Role.MANAGER, Role.ADMIN, Role.MARKETING)


def current_by_stage() -> list[tuple[Stage, int]]:
    """Leads per current stage: one grouped query on the (stage, created_at) index."""
    counts = dict(Lead.objects.values_list("stage").annotate(n=Count("pk")).order_by())
    return [(stage, counts.get(stage.value, 0)) for stage in Stage]


def first_month(now: datetime, months: int = MONTHS) -> datetime:
    """Midnight of the first day of the month `months - 1` months before `now`."""
    local = timezone.localtime(now)
    year, month = local.year, local.month - (months - 1)
    while month < 1:
        month += 12
        year -= 1
    return local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0,
                         microsecond=0)


def cohorts(now: datetime | None = None, months: int = MONTHS) -> list[dict]:
    """Per month of creation (last `months` months, oldest first): leads created
    and how many reached each main stage.

    One grouped query: each lead of the period gets its furthest main stage from
    a correlated subquery on the (lead, at) index of its history, then leads are
    counted per (month, furthest). Cumulating from the top gives "reached".
    """
    start = first_month(now or timezone.now(), months)
    rank = Case(
        *(When(to_stage=stage.value, then=Value(i)) for i, stage in enumerate(FUNNEL)),
        output_field=IntegerField(),
    )
    furthest = (
        StageChange.objects.filter(lead=OuterRef("pk"), to_stage__in=[s.value for s in FUNNEL])
        .annotate(rank=rank)
        .order_by("-rank")
        .values("rank")[:1]
    )
    rows = (
        Lead.objects.filter(created_at__gte=start)
        .annotate(month=TruncMonth("created_at"), furthest=Subquery(furthest))
        .values("month", "furthest")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table: dict[tuple[int, int], list[int]] = {}
    for row in rows:
        month = timezone.localtime(row["month"]) if timezone.is_aware(row["month"]) else row[
            "month"
        ]
        per_rank = table.setdefault((month.year, month.month), [0] * len(FUNNEL))
        # Every lead was an inquiry, even one whose history lacks the entry.
        per_rank[row["furthest"] or 0] += row["n"]
    result = []
    year, month = start.year, start.month
    for _ in range(months):
        per_rank = table.get((year, month), [0] * len(FUNNEL))
        reached, running = [], 0
        for n in reversed(per_rank):
            running += n
            reached.append(running)
        reached.reverse()
        result.append(
            {"month": datetime(year, month, 1), "created": reached[0], "reached": reached}
        )
        month += 1
        if month > 12:
            month, year = 1, year + 1
    return result


@login_required
@require_GET
def funnel(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_role(*FUNNEL_ROLES):
        raise PermissionDenied
    by_stage = current_by_stage()
    return render(
        request,
        "reports/funnel.html",
        {
            "nav": "funnel",
            "by_stage": by_stage,
            "total": sum(n for _, n in by_stage),
            "funnel_stages": FUNNEL,
            "cohorts": cohorts(),
        },
    )
