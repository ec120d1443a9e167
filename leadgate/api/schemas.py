"""Request and response shapes of the API. Inputs are validated here, at the
edge, so a bad value is a 422 naming the field rather than a database error."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import TextChoices
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, PlainValidator, WithJsonSchema

from leadgate.intake.models import Activity
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Handoff, Outcome
from leadgate.nurture.engine import live_enrollment
from leadgate.nurture.models import Enrollment, Step
from leadgate.routing.sla import clock_summary, current_clock
from leadgate.scoring.models import LeadScore
from leadgate.scoring.predict import explain


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; without this it would be a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# How many inquiries the lead detail lists; the count covers all of them.
RECENT_INQUIRIES = 20

CleanStr = Annotated[str, AfterValidator(_no_nul)]


def named_choices(choices: type[TextChoices], name: str) -> WithJsonSchema:
    """The OpenAPI schema of a model's choices under a name of its own: the
    models' enums are all called Kind or Status, and under one name the spec
    listed one enum's values for another's field."""
    return WithJsonSchema({"title": name, "type": "string", "enum": list(choices.values)})


ActivityKind = Annotated[Activity.Kind, named_choices(Activity.Kind, "ActivityKind")]
OutcomeKind = Annotated[Outcome.Kind, named_choices(Outcome.Kind, "OutcomeKind")]
HandoffState = Annotated[Handoff.Status, named_choices(Handoff.Status, "HandoffState")]


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ValidationErrorOut(Schema):
    detail: str
    field: str | None = None
    errors: list[dict]


class LeadFilters(Schema):
    stage: Stage | None = None
    owner: Annotated[CleanStr, Field(max_length=150)] | None = Field(
        None, description="username of the lead's owner"
    )


class LeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    company_name: str
    stage: str
    cycle: int
    owner: str | None
    team: str | None
    created_at: datetime
    stage_changed_at: datetime

    @staticmethod
    def resolve_owner(lead) -> str | None:
        return lead.owner.username if lead.owner else None

    @staticmethod
    def resolve_team(lead) -> str | None:
        return lead.team.name if lead.team else None


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    at: datetime
    by: str | None
    reason: str
    cycle: int

    @staticmethod
    def resolve_by(change) -> str | None:
        return change.by.username if change.by else None


class InquiryOut(Schema):
    id: int
    cycle: int
    channel: str
    source: str | None
    campaign: str | None
    is_hot: bool
    received_at: datetime

    @staticmethod
    def resolve_source(inquiry) -> str | None:
        return inquiry.source.name if inquiry.source else None

    @staticmethod
    def resolve_campaign(inquiry) -> str | None:
        return inquiry.campaign.name if inquiry.campaign else None


class InquiriesOut(Schema):
    count: int
    last_received_at: datetime | None
    items: list[InquiryOut] = Field(description="the most recent inquiries, newest first")


class ScoreReasonOut(Schema):
    rule: str
    kind: str = Field(description="fit or engagement")
    points: float = Field(description="points now (engagement: after decay)")
    base: float | None = Field(None, description="engagement: the rule's points before decay")
    at: datetime | None = Field(None, description="engagement: when the event happened")


class ModelReasonOut(Schema):
    feature: str
    value: str
    direction: str = Field(description="+ raised the probability, - lowered it")
    words: str = Field("", description="the reason as the desk says it, e.g. "
                                       "'title says Head of Sales'")


class ScoreOut(Schema):
    grade: str = Field(description="fit A-D and engagement 1-4, e.g. A1; '' until scored")
    fit: float
    engagement: float
    ruleset_version: int | None
    computed_at: datetime | None
    reasons: list[ScoreReasonOut]
    probability: float | None = Field(description="the lead model's probability of the outcome")
    model: str | None
    model_scored_at: datetime | None
    model_reasons: list[ModelReasonOut]

    @staticmethod
    def resolve_model(score) -> str | None:
        return str(score.model_version) if score.model_version_id else None

    @staticmethod
    def resolve_model_reasons(score) -> list:
        return explain(score.lead) if score.probability is not None else []


class SlaOut(Schema):
    """The speed-to-lead clock of the lead's current cycle (its latest: after an
    escalation, the new owner's)."""

    policy: str = Field(description="the SLA segment: hot_inbound, inbound or imported")
    minutes: int = Field(description="time the policy allows to the first human touch")
    state: str = Field(description="running, met, breached or cancelled (the lead left the desk)")
    started_at: datetime
    due_at: datetime
    responded_at: datetime | None = Field(description="the first human touch that stopped it")
    breached: bool = Field(description="ran out: recorded, or running past due_at")
    breached_at: datetime | None = Field(description="when the breach was recorded")


# --- nurture -----------------------------------------------------------------


StepKind = Annotated[str, named_choices(Step.Kind, "StepKind")]
EnrollmentTrigger = Annotated[str, named_choices(Enrollment.Trigger, "EnrollmentTrigger")]
# Only a live enrollment is shown: finished and exited ones are history.
LiveStatus = Annotated[str, WithJsonSchema({"title": "EnrollmentStatus", "type": "string",
                                            "enum": list(Enrollment.LIVE)})]


class CadenceRefOut(Schema):
    id: int
    name: str


class NextStepOut(Schema):
    kind: StepKind
    due_at: datetime | None = Field(description="when the sweep takes it (then inside the "
                                    "step's send window in the lead's local time)")


class EnrollmentOut(Schema):
    """The lead's live nurture enrollment: where it is in which cadence."""

    id: int
    cadence: CadenceRefOut
    version: int = Field(description="the cadence's version the lead follows to its end")
    cycle: int = Field(description="the nurture cycle, 1..; each cycle is a cadence run")
    status: LiveStatus = Field(description="active (steps remain) or resting (until the next "
                               "cycle)")
    step: int = Field(description="the step it is at, 1-based: the next to be taken; "
                      "resting, the last")
    steps: int = Field(description="how many steps the cadence's version has")
    next_step: NextStepOut | None = Field(description="null while resting")
    resting_until: datetime | None = Field(description="resting: when the next cycle starts")
    started_at: datetime
    trigger: EnrollmentTrigger = Field(description="why it was enrolled")


def enrollment_out(enrollment: Enrollment | None) -> dict | None:
    """EnrollmentOut's fields for an enrollment read with its cadence
    (engine.live_enrollment): one more query, the kinds of its steps."""
    if enrollment is None:
        return None
    kinds = list(Step.objects.filter(version_id=enrollment.version_id).order_by("position")
                 .values_list("kind", flat=True))
    active = enrollment.status == Enrollment.Status.ACTIVE and enrollment.position < len(kinds)
    version = enrollment.version
    return {
        "id": enrollment.pk,
        "cadence": {"id": version.cadence_id, "name": version.cadence.name},
        "version": version.number, "cycle": enrollment.number, "status": enrollment.status,
        "step": min(enrollment.position + 1, len(kinds)), "steps": len(kinds),
        "next_step": ({"kind": kinds[enrollment.position], "due_at": enrollment.next_due_at}
                      if active else None),
        "resting_until": (enrollment.rest_until
                          if enrollment.status == Enrollment.Status.RESTING else None),
        "started_at": enrollment.started_at, "trigger": enrollment.trigger,
    }


def _cadence_ref(value: object) -> int | str | None:
    # Checked by hand, not as `int | str`: pydantic would name the union's
    # member at fault ("cadence.int"), and coerce `true` or `1.0` into an id.
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and len(value) <= 120:
        return _no_nul(value)
    raise ValueError("a cadence's id (a number) or name (a string of at most 120 characters)")


CadenceRef = Annotated[int | str | None, PlainValidator(_cadence_ref), WithJsonSchema(
    {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 120}, {"type": "null"}]})]


class NurtureIn(Schema):
    cadence: CadenceRef = Field(
        None, description="the cadence's id or name; default: the cadence marked first")
    reason: Annotated[CleanStr, Field(max_length=500)] = Field(
        "", description="why, on the stage change into nurture (default: the cadence's name)")


class NurtureStopIn(Schema):
    detail: Annotated[CleanStr, Field(max_length=300)] = Field(
        "", description="why, on the lead's timeline")


# --- lead detail --------------------------------------------------------------


class LeadDetailOut(LeadOut):
    phone: str
    title: str
    country: str
    account: str | None
    source: str | None
    campaign: str | None
    history: list[StageChangeOut]
    inquiries: InquiriesOut
    score: ScoreOut | None
    sla: SlaOut | None = Field(description="the current cycle's SLA clock; null: none started")
    enrollment: EnrollmentOut | None = Field(
        description="the live nurture enrollment; null: not in a cadence")

    @staticmethod
    def resolve_enrollment(lead) -> dict | None:
        return enrollment_out(live_enrollment(lead))

    @staticmethod
    def resolve_sla(lead) -> dict | None:
        return clock_summary(current_clock(lead))

    @staticmethod
    def resolve_score(lead):
        return LeadScore.objects.select_related("model_version").filter(lead=lead).first()

    @staticmethod
    def resolve_history(lead) -> list:
        return list(lead.history())

    @staticmethod
    def resolve_inquiries(lead) -> dict:
        inquiries = lead.inquiries.select_related("source", "campaign").order_by(
            "-received_at", "-pk"
        )
        recent = list(inquiries[:RECENT_INQUIRIES])
        return {
            # One query, not two, for the common lead with a few inquiries.
            "count": inquiries.count() if len(recent) == RECENT_INQUIRIES else len(recent),
            "last_received_at": recent[0].received_at if recent else None,
            "items": recent,
        }

    @staticmethod
    def resolve_account(lead) -> str | None:
        return lead.account.name if lead.account else None

    @staticmethod
    def resolve_source(lead) -> str | None:
        return lead.source.name if lead.source else None

    @staticmethod
    def resolve_campaign(lead) -> str | None:
        return lead.campaign.name if lead.campaign else None


class StageMoveIn(Schema):
    stage: Annotated[CleanStr, Field(max_length=20)]
    reason: Annotated[CleanStr, Field(max_length=5000)] = ""
    to_user: Annotated[CleanStr, Field(max_length=150)] | None = Field(
        None, description="username of the sales rep; required to move to 'qualified'"
    )
    # The bounds of Outcome.amount, so an oversized number is a 422, not a DB error.
    amount: Annotated[Decimal, Field(max_digits=14, decimal_places=2)] | None = None


class StageMoveOut(Schema):
    id: int
    stage: str
    cycle: int
    change: StageChangeOut


# --- intake -------------------------------------------------------------------
# The intake endpoints read their body by hand (content type, size, then the
# intake fields through `leadgate.intake.fields.parse`), so these classes only
# describe the shapes in the OpenAPI spec; unknown keys are allowed and kept.


class LeadIn(Schema):
    """One lead: intake field names or their aliases ("E-mail", "Company name"),
    plus anything else, which is kept in the inquiry's payload."""

    model_config = ConfigDict(extra="allow")

    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=200, description="full name, when not split")
    title: str | None = Field(None, max_length=200)
    company: str | None = Field(None, max_length=200)
    website: str | None = Field(None, max_length=300)
    country: str | None = Field(None, max_length=100)
    message: str | None = Field(None, max_length=5000)
    source: str | None = Field(None, max_length=100, description="name of an existing source")
    campaign: str | None = Field(
        None, max_length=200, description="name of an existing campaign"
    )
    hot: bool | None = Field(False, description="a contact-me or demo request (5-minute SLA); "
                             "null: false")


class BulkLeadsIn(Schema):
    leads: list[LeadIn] = Field(max_length=1000)
    source: str | None = Field(None, max_length=100, description="default for every lead")
    campaign: str | None = Field(None, max_length=200, description="default for every lead")
    hot: bool | None = Field(False, description="default for every lead; null: false")


class IntakeOut(Schema):
    lead: int | None = Field(description="the lead; null when the inquiry joined a lead this "
                             "key may not see (the inquiry is kept on it)")
    inquiry: int
    created: bool = Field(description="true: a new lead; false: merged into an existing one")
    warnings: dict[str, str] = Field(description="what normalization flagged, by field")


class BulkItemOut(Schema):
    index: int
    status: str = Field(description="created, merged or error")
    lead: int | None = None
    inquiry: int | None = None
    field: str | None = None
    detail: str | None = None
    warnings: dict[str, str] | None = None


class BulkOut(Schema):
    results: list[BulkItemOut]
    created: int
    merged: int
    errors: int
