"""Rule scoring in the background: one lead after an event, and the hourly decay."""

from django_tasks import task

from leadgate.leads.models import Lead
from leadgate.leads.periodic import every

from .parallel import in_parallel
from .predict import score_with_model
from .rules import score_lead, score_leads


@task()
def score_lead_task(lead_id: int) -> str:
    """Rescore one lead (after an inquiry or a touch); returns its grade ("" when
    the lead is gone or no rule set is active)."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return ""
    score = score_lead(lead)
    return score.grade if score else ""


@every(3600)
@task()
def rescore_decay() -> int:
    """Engagement points decay: rescore every lead that has some."""
    return in_parallel(score_leads, Lead.objects.filter(score__engagement__gt=0))


@task()
def rescore_all() -> int:
    """Every lead with the rule set now in force (queued when one is activated)."""
    return in_parallel(score_leads, Lead.objects.all())


@task()
def score_open_leads_with_model() -> int:
    """Every open lead's probability with the lead model now in force. In one
    process: the model's own threads use the cores, and forking a process that
    has used them (OpenMP) can hang the child."""
    return score_with_model(Lead.objects.open())
