"""Background work after a lead is saved."""

from django_tasks import task

from leadgate.leads.models import Lead

from .dedup import record_candidates


@task()
def after_intake(lead_id: int) -> int:
    """Fuzzy duplicate search for a new lead; returns how many candidates it
    put on the review list. A lead merged or deleted meanwhile is skipped."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return 0
    return len(record_candidates(lead))
