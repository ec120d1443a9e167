"""Enrichment in the background: one lead on demand, and a sweep that retries
providers that failed (timeouts, rate limit) a while ago."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from leadgate.leads.models import Lead
from leadgate.leads.periodic import every

from .models import Enrichment
from .pipeline import ERROR_PREFIX, enrich_lead
from .providers import REGISTRY

RETRY_AFTER = timedelta(minutes=10)
RETRY_BATCH = 200


@task()
def enrich(lead_id: int, kinds: list[str] | None = None) -> int:
    """Enrich one lead (all providers, or `kinds`); returns how many facts were found."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return 0
    return len(enrich_lead(lead, kinds))


@every(300)
@task()
def retry_failed_providers() -> int:
    """Run again the providers that failed for a lead more than RETRY_AFTER ago."""
    stale = timezone.now() - RETRY_AFTER
    rows = (
        Enrichment.objects.filter(field__startswith=ERROR_PREFIX, at__lt=stale)
        .order_by("at")
        .values_list("lead_id", "field")[:RETRY_BATCH]
    )
    by_lead: dict[int, list[str]] = {}
    for lead_id, field in rows:
        by_lead.setdefault(lead_id, []).append(field.removeprefix(ERROR_PREFIX))
    done = 0
    for lead in Lead.objects.filter(pk__in=by_lead):
        enrich_lead(lead, [kind for kind in by_lead[lead.pk] if kind in REGISTRY])
        done += 1
    return done
