"""Scoring in the background: one lead after an event, the hourly decay, the
lead model's probabilities, and a training of the lead model from the models page."""

import io
import logging

from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import task

from leadgate.leads.models import Lead
from leadgate.leads.periodic import every

from .models import ModelTraining, ModelVersion
from .parallel import in_parallel
from .predict import score_with_model
from .rules import score_lead, score_leads

logger = logging.getLogger("leadgate.scoring")


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


@task()
def train_lead_model(training_id: int) -> str:
    """Train a new version from the database, as `leadgate model train --name
    NAME --outcome OUTCOME` does (the same command, so the same version, made
    active); returns the state the training ended in."""
    claimed = ModelTraining.objects.filter(pk=training_id, state=ModelTraining.State.QUEUED)\
        .update(state=ModelTraining.State.RUNNING, started_at=timezone.now(),
                message="Reading the leads and their outcomes, then training and validating.")
    if not claimed:
        return "not queued"
    training = ModelTraining.objects.get(pk=training_id)
    before = set(ModelVersion.objects.filter(name=training.name).values_list("pk", flat=True))
    out = io.StringIO()
    try:
        call_command("model", "train", "--name", training.name, "--outcome", training.outcome,
                     stdout=out, stderr=out)
    except CommandError as error:
        return _end(training, ModelTraining.State.FAILED, str(error))
    except Exception as error:
        logger.exception("training %s stopped", training_id)
        return _end(training, ModelTraining.State.FAILED, f"the training stopped: {error}")
    made = ModelVersion.objects.filter(name=training.name).exclude(pk__in=before)\
        .order_by("-version").first()
    training.version = made
    return _end(training, ModelTraining.State.DONE,
                f"Trained {made.name} v{made.version}." if made else "Trained.")


def _end(training: ModelTraining, state: str, message: str) -> str:
    training.state, training.message, training.finished_at = state, message, timezone.now()
    training.save(update_fields=["state", "message", "finished_at", "version"])
    return state
