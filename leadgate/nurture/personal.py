"""A personal-email step: the cadence drafts it (the step's words filled in
for the lead), the lead's qualifier reviews it on its page and sends it as
their own. Sent through the outbox like every email (the suppression list
and the lead's unsubscribe link apply), logged as the qualifier's email
touch, and its task done."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Task, Touch, User
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import queue_email

from . import templating
from .models import Step, StepRun


class PersonalEmailError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


def waiting(lead: Lead) -> list[StepRun]:
    """The lead's personal emails drafted and not sent yet (their task open)."""
    return list(StepRun.objects.filter(
        enrollment__lead=lead, step__kind=Step.Kind.PERSONAL_EMAIL, email__isnull=True,
        task__done_at__isnull=True, task__isnull=False).select_related("step", "task")
        .order_by("at"))


def draft(run: StepRun) -> Draft:
    """The step's words for the lead (its recorded variant, else the first)."""
    variants = list(run.step.variants.all())
    variant = next((v for v in variants if v.label == run.variant), variants[0] if variants
                   else None)
    if variant is None:
        return Draft("", "")
    context = templating.context_for(run.enrollment.lead)
    try:
        return Draft(templating.render(variant.subject, context),
                     templating.render(variant.text_body, context))
    except templating.TemplateProblem:
        return Draft(variant.subject, variant.text_body)


def may_send(user: User, lead: Lead) -> bool:
    return lead.owner_id == user.pk or user.has_role(Role.MANAGER, Role.ADMIN)


def send(run: StepRun, by: User, *, subject: str, body: str) -> OutboundEmail:
    """Send the reviewed email; PersonalEmailError names the field at fault."""
    subject, body = " ".join(subject.split()), body.strip()
    if not subject:
        raise PersonalEmailError("subject", "write a subject")
    if not body:
        raise PersonalEmailError("body", "write the email")
    lead = run.enrollment.lead
    if not lead.email or lead.email_invalid:
        raise PersonalEmailError("to", "the lead has no valid email address")
    if not may_send(by, lead):
        raise PersonalEmailError("user", "only the lead's qualifier or a manager sends it")
    now = timezone.now()
    with transaction.atomic():
        locked = StepRun.objects.select_for_update().get(pk=run.pk)
        if locked.email_id is not None:
            raise PersonalEmailError("email", "this email was sent already")
        email, _new = queue_email(key=f"personal:{run.pk}", kind=OutboundEmail.Kind.PERSONAL,
                                  to=[lead.email], subject=subject, body=body, lead=lead)
        StepRun.objects.filter(pk=run.pk).update(email=email)
        Task.objects.filter(pk=run.task_id or 0, done_at__isnull=True).update(done_at=now)
        touch = Touch.objects.create(
            lead=lead, cycle=lead.cycle, channel=Touch.Channel.EMAIL,
            direction=Touch.Direction.OUTBOUND, disposition=Touch.Disposition.SENT,
            notes=f"Nurture email: {subject}", actor=by, at=now)
        events.record_many([events.touched(touch)])
    run.email = email
    return email
