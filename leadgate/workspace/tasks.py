"""The desk's background work: the no-lead-left-behind check every 5 minutes,
and keeping the live queue's tables small."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from leadgate.leads.periodic import every

from .followup import ensure_next_steps as fix_violations
from .models import Claim, QueueEvent

# Desks only follow the last few seconds of queue events.
EVENTS_KEPT = timedelta(days=1)


@every(300)
@task()
def ensure_next_steps() -> dict[str, int]:
    """Every open lead on the desk gets an owner and a next step (see workspace.followup)."""
    return fix_violations()


@every(3600)
@task()
def prune_queue() -> dict[str, int]:
    """Delete queue events older than a day and expired claims; returns how many of each."""
    now = timezone.now()
    events, _ = QueueEvent.objects.filter(at__lt=now - EVENTS_KEPT).delete()
    claims, _ = Claim.objects.filter(expires_at__lte=now).delete()
    return {"events": events, "claims": claims}
