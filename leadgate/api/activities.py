"""POST /activities: marketing tools report what a lead did (a page visit, an
email opened or clicked, an event attended). The activity is stored first,
then the lead is rescored at once, so the answer carries its new grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import model_validator

from leadgate.intake.models import Activity, Campaign
from leadgate.leads.models import Lead
from leadgate.lib.normalize import normalize_email
from leadgate.scoring.models import LeadScore
from leadgate.scoring.rules import rescore_now

from .auth import intake, key_of, visible_leads
from .problems import problem
from .schemas import ActivityKind, CleanStr, ErrorOut, ValidationErrorOut

router = Router(tags=["activities"])

# A clock a little ahead at the sender is fine; an activity days ahead is a bug.
FUTURE_TOLERANCE = timedelta(minutes=5)


class ActivityIn(Schema):
    lead_id: int | None = Field(None, description="the lead, or give its email")
    email: Annotated[CleanStr, Field(max_length=254)] | None = None
    kind: ActivityKind
    detail: Annotated[CleanStr, Field(max_length=500)] = Field(
        "", description="the page URL, email subject or event name")
    at: datetime | None = Field(None, description="when it happened (default: now); "
                                "without a time zone, UTC")
    campaign: Annotated[CleanStr, Field(max_length=200)] | None = Field(
        None, description="name of an existing campaign")
    external_id: Annotated[CleanStr, Field(max_length=200)] = Field(
        "", description="the sender's id: the same id twice is stored once")

    @model_validator(mode="after")
    def _who(self) -> ActivityIn:
        if self.lead_id is None and not (self.email or "").strip():
            raise ValueError("give lead_id or email")
        return self


class ActivityOut(Schema):
    id: int
    lead_id: int
    kind: str
    at: datetime
    created: bool = Field(description="false: this external_id was already stored")
    grade: str = Field(description="the lead's rule grade after this activity ('' if unscored)")
    engagement: float


def _lead(request: HttpRequest, payload: ActivityIn) -> tuple[Lead | None, str]:
    leads = visible_leads(request)
    if payload.lead_id is not None:
        return leads.filter(pk=payload.lead_id).first(), "lead_id"
    email = normalize_email(payload.email)
    found = leads.filter(email=email.value).order_by("-created_at", "-pk").first()
    return found, "email"


def _answer(activity: Activity, created: bool) -> dict:
    score = LeadScore.objects.filter(lead_id=activity.lead_id).first()
    return {"id": activity.pk, "lead_id": activity.lead_id, "kind": activity.kind,
            "at": activity.at, "created": created, "grade": score.grade if score else "",
            "engagement": score.engagement if score else 0.0}


@router.post(
    "/activities",
    auth=intake,
    response={200: ActivityOut, 201: ActivityOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Record what a lead did (page visit, email open/click/reply, event)",
    description=(
        "Scope `intake`. The lead is found by `lead_id` or by `email`; an unknown "
        "lead is a 404 naming the field. Engagement rules score the activity at "
        "once: the answer holds the lead's new grade. Sending the same "
        "`external_id` for the same lead again (with the same key) answers 200 "
        "with the stored activity."
    ),
)
def record_activity(request: HttpRequest, payload: ActivityIn):
    lead, field = _lead(request, payload)
    if lead is None:
        return Status(404, {"detail": f"no lead with this {field}", "field": field})
    at = payload.at or timezone.now()
    if timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    if at > timezone.now() + FUTURE_TOLERANCE:
        return Status(422, problem("at: is in the future", "at"))
    campaign = None
    if payload.campaign:
        campaign = Campaign.objects.filter(name=payload.campaign).first()
        if campaign is None:
            return Status(422, problem(f"campaign: there is no campaign {payload.campaign!r}",
                                        "campaign"))
    # A redelivery is the same sender's id for the same lead: another tool's id
    # (or this one's on another lead) is another activity, and a lead the key
    # cannot see is never looked at.
    sender = f"key:{key_of(request).pk}"
    same = Activity.objects.filter(sender=sender, lead=lead, external_id=payload.external_id)
    if payload.external_id and (stored := same.first()) is not None:
        return Status(200, _answer(stored, created=False))
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                lead=lead, kind=payload.kind, detail=payload.detail, at=at,
                campaign=campaign, external_id=payload.external_id, sender=sender)
    except IntegrityError:
        # The same external_id arrived twice at once: the other request stored it.
        stored = same.first()
        if stored is None:
            raise
        return Status(200, _answer(stored, created=False))
    rescore_now(lead.pk)  # saved first; the answer then carries the new grade
    return Status(201, _answer(activity, created=True))
