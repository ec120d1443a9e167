"""The steps after intake, queued when a lead is saved (leads.after_save),
and the sweep that retries them."""

from django.utils import timezone
from django_tasks import task

from leadgate.enrich.pipeline import enrich_leads
from leadgate.enrich.providers import ORDER, REGISTRY
from leadgate.intake.dedup import record_candidates
from leadgate.intake.models import Inquiry
from leadgate.intake.tasks import retry_after
from leadgate.leads.after_save import IMPORT_PRIORITY
from leadgate.leads.models import Lead
from leadgate.leads.periodic import every
from leadgate.leads.queue import pending_args, runs_in_batches
from leadgate.routing.acknowledge import acknowledge_many
from leadgate.routing.assign import route_many
from leadgate.routing.experiments import INTAKE
from leadgate.routing.experiments import assign as assign_arms
from leadgate.routing.sla import start_clocks
from leadgate.scoring.rules import score_leads

SWEEP_BATCH = 1000
# Leads a worker takes through the steps after intake at once (see the worker).
BATCH = 25
# Providers that answer from this machine in milliseconds: run before routing.
OFFLINE_PROVIDERS = ("company", "email", "phone", "title")


def remote_providers() -> list[str]:
    """The configured providers that call out to another service."""
    return [kind for kind in ORDER if kind not in OFFLINE_PROVIDERS and kind in REGISTRY
            and REGISTRY[kind]().available()]


@task()
def after_intake(lead_id: int) -> int:
    """The steps after intake for one lead (see after_intake_many). Returns how
    many duplicate candidates it found."""
    return after_intake_many([lead_id])[0]


@runs_in_batches(after_intake, size=BATCH)
def _after_intake_copies(copies: list[list]) -> list[int]:
    return after_intake_many([int(args[0]) for args in copies])


@task(priority=IMPORT_PRIORITY)  # new inquiries go first
def after_import(lead_ids: list[int]) -> int:
    """The after-intake work of each new lead of an import chunk."""
    return sum(sum(after_intake_many(lead_ids[start:start + BATCH]))
               for start in range(0, len(lead_ids), BATCH))


def latest_inquiries(lead_ids: list[int]) -> dict[int, Inquiry]:
    """Each lead's latest inquiry (the one its SLA clock and acknowledgement
    answer), in one query: new leads have one or two."""
    latest: dict[int, Inquiry] = {}
    for inquiry in Inquiry.objects.filter(lead_id__in=lead_ids).order_by(
            "lead_id", "-received_at", "-pk"):
        latest.setdefault(inquiry.lead_id, inquiry)
    return latest


def after_intake_many(lead_ids: list[int]) -> list[int]:
    """The steps after intake, for each lead: the fuzzy duplicate search, the
    offline enrichment, rule scoring (which may make it an MQL), routing to a
    qualifier with its SLA clock started (and the optional acknowledgement
    email queued), the lead model's probability, then the remote enrichment
    provider if one is configured, in a task of its own (slow: after the lead
    is on someone's desk). Scoring and the model take the leads together: most
    of their cost is per call, not per lead. Returns the duplicate candidates
    found per lead, in order. Safe to run twice; a lead merged away is skipped."""
    # The model's libraries (scikit-learn: some 90 MB and 2 s) load in the
    # process that scores, not in every one that starts (this module is
    # imported at start, by OrchestrationConfig.ready()).
    from leadgate.scoring.predict import score_with_model

    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=lead_ids)}
    found = {lead_id: len(record_candidates(lead)) for lead_id, lead in leads.items()}
    enrich_leads(list(leads.values()), OFFLINE_PROVIDERS)
    present = sorted(leads)
    # Scored after enrichment: fit rules read its facts (seniority, department);
    # routed after scoring: routing rules may read the grade.
    score_leads(present)
    routed = list(Lead.objects.filter(pk__in=present).order_by("pk"))
    route_many(routed)
    # Before the clocks: a response-time test's arm sets the lead's due time.
    assign_arms(routed, INTAKE)
    latest = latest_inquiries(present)
    pairs = [(lead, latest[lead.pk]) for lead in routed if lead.pk in latest]
    start_clocks(pairs)
    acknowledge_many(pairs)
    score_with_model(present)
    if present and remote_providers():
        enrich_remotely.enqueue(present)
    Lead.objects.filter(pk__in=present).update(processed_at=timezone.now())
    return [found.get(lead_id, 0) for lead_id in lead_ids]


@task()
def enrich_remotely(lead_ids: list[int]) -> int:
    """The providers that call out (a commercial API), then a rescore with what
    they found; returns how many leads gained facts."""
    remote = remote_providers()
    found = enrich_leads(list(Lead.objects.filter(pk__in=lead_ids)), remote) if remote else {}
    enriched = sorted(pk for pk, facts in found.items() if facts)
    score_leads(enriched)
    return len(enriched)


@every(60)
@task()
def retry_unprocessed() -> int:
    """Queue the steps after intake again for leads whose run never finished:
    unprocessed a while after they arrived, and with no copy of the task still
    waiting or running (behind a backlog, a lead's task may wait for long: a
    second copy would only lengthen the queue)."""
    stale = timezone.now() - retry_after()
    waiting = _waiting_leads()
    ids = [
        lead_id for lead_id in
        Lead.objects.filter(processed_at__isnull=True, created_at__lt=stale)
        .order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH + len(waiting)]
        if lead_id not in waiting
    ][:SWEEP_BATCH]
    for lead_id in ids:
        after_intake.enqueue(lead_id)
    return len(ids)


def _waiting_leads() -> set[int]:
    """Leads whose after-intake work is queued or running (an import queues
    its new leads a chunk at a time)."""
    found: set[int] = set()
    for args in pending_args(after_intake, after_import) or []:
        first = args[0] if args else None
        if isinstance(first, int):
            found.add(first)
        elif isinstance(first, list):
            found.update(item for item in first if isinstance(item, int))
    return found
