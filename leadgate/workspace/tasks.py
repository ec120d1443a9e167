"""The desk's background work: the no-lead-left-behind check every 5 minutes,
and dropping expired claims."""

from django.utils import timezone
from django_tasks import task

from leadgate.leads.periodic import every

from .followup import ensure_next_steps as fix_violations
from .models import Claim


@every(300)
@task()
def ensure_next_steps() -> dict[str, int]:
    """Every open lead on the desk gets an owner and a next step (see workspace.followup)."""
    return fix_violations()


@every(3600)
@task()
def prune_queue() -> dict[str, int]:
    """Delete expired claims; returns how many."""
    claims, _ = Claim.objects.filter(expires_at__lte=timezone.now()).delete()
    return {"claims": claims}
