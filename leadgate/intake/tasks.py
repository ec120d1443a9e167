"""Background work after a lead is saved, and the sweep that retries it."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from leadgate.enrich.pipeline import enrich_lead
from leadgate.enrich.providers import ORDER
from leadgate.leads.models import Lead
from leadgate.leads.periodic import every
from leadgate.routing.acknowledge import acknowledge
from leadgate.routing.assign import route
from leadgate.routing.sla import start_clock
from leadgate.scoring.predict import score_with_model
from leadgate.scoring.rules import score_lead

from .dedup import record_candidates

# A lead still unprocessed this long after it arrived lost its task (the worker
# died, the queue was down, the task failed): the sweep queues it again.
RETRY_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 1000
# Providers that answer from this machine in milliseconds: run before routing.
OFFLINE_PROVIDERS = ("company", "email", "phone", "title")


@task()
def after_intake(lead_id: int) -> int:
    """The steps after intake for one lead: the fuzzy duplicate search, the
    offline enrichment, rule scoring (which may make it an MQL), routing to a
    qualifier with its SLA clock started (and the optional acknowledgement
    email sent), the lead model's probability, then the remote enrichment
    provider if one is configured (slow: after the lead is on someone's desk)
    and a rescore with what it found. Returns how many duplicate candidates it
    found. Safe to run twice; a lead merged away is skipped."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return 0
    found = len(record_candidates(lead))
    enrich_lead(lead, OFFLINE_PROVIDERS)
    # Scored after enrichment: fit rules read its facts (seniority, department);
    # routed after scoring: routing rules may read the grade.
    score_lead(Lead.objects.get(pk=lead_id))
    lead = Lead.objects.get(pk=lead_id)
    route(lead)
    inquiry = lead.inquiries.order_by("-received_at", "-pk").first()
    if inquiry is not None:
        start_clock(lead, inquiry)
        acknowledge(lead, inquiry)
    score_with_model([lead_id])
    remote = [kind for kind in ORDER if kind not in OFFLINE_PROVIDERS]
    if remote and enrich_lead(lead, remote):
        score_lead(Lead.objects.get(pk=lead_id))
    Lead.objects.filter(pk=lead_id).update(processed_at=timezone.now())
    return found


@every(60)
@task()
def retry_unprocessed() -> int:
    """Queue the steps after intake again for leads whose run never finished."""
    stale = timezone.now() - RETRY_AFTER
    ids = list(
        Lead.objects.filter(processed_at__isnull=True, created_at__lt=stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for lead_id in ids:
        after_intake.enqueue(lead_id)
    return len(ids)
