"""The handoff to sales and what came of it, over the API.

POST /leads/{id}/handoff, POST /handoffs/{id}/accept, POST /handoffs/{id}/reject,
GET /handoffs and POST /leads/{id}/outcome. Handlers stay thin: the work is in
`handoff.flow` and `handoff.outcomes`; errors are {"detail", "field"}.

Who sees which handoff: a sales rep's key the handoffs addressed to them;
a manager's, an admin's or a service key all of them; anyone else the
handoffs of the leads they may see. Only the addressed rep, a manager or an
admin may accept or reject; for anyone else the handoff does not exist (404).
"""


from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from leadgate.handoff import flow, outcomes
from leadgate.leads.lifecycle import IllegalMove, Role
from leadgate.leads.models import Handoff, RejectReason, User

from .auth import acting_user, read, visible_leads, write
from .crm_webhook import router as crm_webhook_router
from .idempotency import idempotent
from .problems import problem
from .schemas import CleanStr, ErrorOut, HandoffState, OutcomeKind, ValidationErrorOut
from .views import Pages

router = Router(tags=["handoffs"])

Answer = tuple[int, dict[str, Any]]


class HandoffIn(Schema):
    to_user: Annotated[CleanStr, Field(max_length=150)] = Field(
        description="username of the sales rep")
    dossier: dict[str, Any] | None = Field(
        None, description="the dossier as edited by the qualifier (default: composed now)")
    meeting_at: datetime | None = Field(
        None, description="a proposed first meeting, with a time zone (an .ics is emailed)")
    note: Annotated[CleanStr, Field(max_length=5000)] = ""


class RejectIn(Schema):
    reason: RejectReason = Field(description="why, from the list")
    text: Annotated[CleanStr, Field(max_length=2000)] = Field(
        "", description="more words; required when the reason is 'other'")


class HandoffOut(Schema):
    id: int
    lead_id: int
    cycle: int
    status: str
    from_user: str | None
    to_user: str
    created_at: datetime
    due_at: datetime | None
    meeting_at: datetime | None
    note: str
    decided_at: datetime | None
    decided_by: str | None
    reject_reason: str
    decision_reason: str
    dossier: dict[str, Any]

    @staticmethod
    def resolve_from_user(handoff) -> str | None:
        return handoff.from_user.username if handoff.from_user_id else None

    @staticmethod
    def resolve_to_user(handoff) -> str:
        return handoff.to_user.username

    @staticmethod
    def resolve_decided_by(handoff) -> str | None:
        return handoff.decided_by.username if handoff.decided_by_id else None

    @staticmethod
    def resolve_dossier(handoff) -> dict:
        return handoff.dossier if isinstance(handoff.dossier, dict) else {}


class HandoffFilters(Schema):
    state: HandoffState | None = Field(None, description="pending, accepted or rejected")
    to_user: Annotated[CleanStr, Field(max_length=150)] | None = Field(
        None, description="username of the rep")


class OutcomeIn(Schema):
    kind: OutcomeKind = Field(description="opportunity, won or lost")
    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    currency: Annotated[CleanStr, Field(min_length=3, max_length=3)] = "USD"
    expected_close: date | None = Field(None, description="opportunity: expected close date")
    stage: Annotated[CleanStr, Field(max_length=100)] = Field(
        "", description="opportunity: the CRM's stage, e.g. 'Proposal'")
    reason: Annotated[CleanStr, Field(max_length=5000)] = Field(
        "", description="required when lost")
    at: datetime | None = Field(None, description="when it was won or lost (default: now)")
    external_id: Annotated[CleanStr, Field(max_length=200)] = Field(
        "", description="the CRM's id of the opportunity")


class OutcomeOut(Schema):
    id: int
    lead_id: int
    cycle: int
    kind: str
    amount: Decimal | None
    currency: str
    expected_close: date | None = Field(description="opportunity: expected close date")
    crm_stage: str = Field(description="opportunity: the CRM's stage, e.g. 'Proposal'")
    external_id: str = Field(description="the CRM's id of the opportunity")
    reason: str
    at: datetime
    by: str | None
    stage: str = Field(description="the lead's stage after the outcome")
    created: bool = Field(True, description="false: this outcome was already recorded")

    @staticmethod
    def resolve_by(outcome) -> str | None:
        return outcome.by.username if outcome.by_id else None

    @staticmethod
    def resolve_stage(outcome) -> str:
        return outcome.lead.stage

    @staticmethod
    def resolve_crm_stage(outcome) -> str:
        return outcome.stage


def _handoffs(request: HttpRequest) -> QuerySet[Handoff]:
    """The handoffs the key may see (see the module's docstring)."""
    handoffs = Handoff.objects.select_related("lead", "from_user", "to_user", "decided_by")
    user = acting_user(request)
    if user is None or user.has_role(Role.MANAGER, Role.ADMIN):
        return handoffs
    if user.has_role(Role.SALES):
        return handoffs.filter(flow.addressed_to(user))
    return handoffs.filter(lead__in=visible_leads(request))


def _decidable(request: HttpRequest, handoff_id: int) -> Handoff:
    """The handoff, if the key's user may accept or reject it; else 404."""
    user = acting_user(request)
    handoffs = Handoff.objects.select_related("lead", "from_user", "to_user")
    if user is not None and not user.has_role(Role.MANAGER, Role.ADMIN):
        handoffs = handoffs.filter(flow.addressed_to(user))
    return get_object_or_404(handoffs, pk=handoff_id)


def _out(handoff: Handoff) -> dict[str, Any]:
    fresh = Handoff.objects.select_related("from_user", "to_user", "decided_by").get(
        pk=handoff.pk)
    return HandoffOut.from_orm(fresh).model_dump(mode="json")


def _refused(error: flow.HandoffError | IllegalMove) -> Answer:
    # A handoff no longer pending is a conflict with its state; the rest is bad input.
    status = 409 if error.field == "status" else 422
    return status, problem(str(error), error.field, status)


@router.post(
    "/leads/{lead_id}/handoff",
    auth=write,
    response={201: HandoffOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
    summary="Hand a sales-ready lead to a sales rep",
    description=(
        "Scope `write`. The lead must have a sales-ready verdict in this cycle. "
        "Without `dossier`, the dossier is composed now. The lead moves to "
        "`qualified` and the rep is emailed. Honours `Idempotency-Key`."
    ),
)
def send_handoff(request: HttpRequest, lead_id: int, payload: HandoffIn):
    lead = get_object_or_404(visible_leads(request), pk=lead_id)

    def handle() -> Answer:
        to_user = User.objects.filter(username=payload.to_user).first()
        if to_user is None:
            return 422, problem(f"there is no user {payload.to_user!r}", "to_user")
        dossier = payload.dossier if payload.dossier is not None else flow.compose_dossier(lead)
        try:
            handoff = flow.send(lead, by=acting_user(request), to_user=to_user, dossier=dossier,
                                meeting_at=payload.meeting_at, note=payload.note)
        except (flow.HandoffError, IllegalMove) as error:
            return _refused(error)
        except IntegrityError:
            return 409, {"detail": "the lead changed meanwhile; reload it and retry",
                         "field": "stage"}
        return 201, _out(handoff)

    return idempotent(request, payload.model_dump(mode="json"), handle)


@router.get(
    "/handoffs",
    auth=read,
    response={200: list[HandoffOut], 422: ValidationErrorOut},
    summary="List handoffs (a rep's key: those addressed to them)",
    description=(
        "Scope `read`. `state=pending` lists what waits for sales, oldest first; "
        "other lists are newest first. A rep's key sees the handoffs addressed to "
        "them; a manager's or a service key all of them."
    ),
)
@paginate(Pages)
def list_handoffs(request: HttpRequest, filters: Query[HandoffFilters]):
    handoffs = _handoffs(request)
    if filters.to_user:
        handoffs = handoffs.filter(to_user__username=filters.to_user)
    if filters.state:
        handoffs = handoffs.filter(status=filters.state)
    if filters.state == Handoff.Status.PENDING:
        return handoffs.order_by("created_at", "pk")
    return handoffs.order_by("-created_at", "-pk")


@router.post(
    "/handoffs/{handoff_id}/accept",
    auth=write,
    response={200: HandoffOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              422: ValidationErrorOut},
    summary="Accept a handoff: the lead becomes a sales-accepted lead",
    description=(
        "Scope `write`, a key of the addressed rep, a manager or an admin. "
        "A handoff that is no longer pending is a 409 naming `status`. "
        "Honours `Idempotency-Key`."
    ),
)
def accept_handoff(request: HttpRequest, handoff_id: int):
    handoff = _decidable(request, handoff_id)
    if acting_user(request) is None:
        return Status(403, {"detail": "a service key cannot decide for sales; use the "
                            "rep's key", "field": None})

    def handle() -> Answer:
        try:
            decided = flow.accept(handoff, by=acting_user(request))
        except (flow.HandoffError, IllegalMove) as error:
            return _refused(error)
        return 200, _out(decided)

    return idempotent(request, {"accept": handoff_id}, handle)


@router.post(
    "/handoffs/{handoff_id}/reject",
    auth=write,
    response={200: HandoffOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
              422: ValidationErrorOut},
    summary="Reject a handoff with a reason: the lead goes back",
    description=(
        "Scope `write`, a key of the addressed rep, a manager or an admin. "
        "`reason` is required (one of " + ", ".join(RejectReason.values) + "); "
        "`other` needs `text`. The lead goes back to its qualifier with a task, or "
        "to nurture, by setting. Honours `Idempotency-Key`."
    ),
)
def reject_handoff(request: HttpRequest, handoff_id: int, payload: RejectIn):
    handoff = _decidable(request, handoff_id)
    if acting_user(request) is None:
        return Status(403, {"detail": "a service key cannot decide for sales; use the "
                            "rep's key", "field": None})

    def handle() -> Answer:
        try:
            decided = flow.reject(handoff, by=acting_user(request), reason=payload.reason,
                                  text=payload.text)
        except (flow.HandoffError, IllegalMove) as error:
            return _refused(error)
        return 200, _out(decided)

    return idempotent(request, payload.model_dump(mode="json"), handle)


@router.post(
    "/leads/{lead_id}/outcome",
    auth=write,
    response={200: OutcomeOut, 201: OutcomeOut, 404: ErrorOut, 409: ErrorOut,
              422: ValidationErrorOut},
    summary="Record an opportunity, a win or a loss of an accepted lead",
    description=(
        "Scope `write`. The lead must have been accepted by sales (else 422 naming "
        "`stage`); `lost` needs a `reason`. A win of an accepted lead passes through "
        "`opportunity`. The same outcome again is a 409 naming `kind`; a retry with "
        "the same `Idempotency-Key` gets the first answer."
    ),
)
def record_outcome(request: HttpRequest, lead_id: int, payload: OutcomeIn):
    lead = get_object_or_404(visible_leads(request), pk=lead_id)

    def handle() -> Answer:
        try:
            outcome = outcomes.record_outcome(
                lead, kind=payload.kind, by=acting_user(request), amount=payload.amount,
                currency=payload.currency, expected_close=payload.expected_close,
                stage=payload.stage, reason=payload.reason, at=payload.at,
                external_id=payload.external_id,
            )
        except outcomes.AlreadyRecorded as already:
            return 409, {"detail": str(already), "field": already.field}
        except IllegalMove as refused:
            return 422, problem(str(refused), refused.field)
        except IntegrityError:
            return 409, {"detail": "the lead changed meanwhile; reload it and retry",
                         "field": "stage"}
        outcome.lead.refresh_from_db(fields=["stage"])
        return 201, {**OutcomeOut.from_orm(outcome).model_dump(mode="json"), "created": True}

    return idempotent(request, payload.model_dump(mode="json"), handle)


# The CRM's inbound webhook signs its requests instead of using an API key; it
# is mounted with these endpoints so the API needs one line for both.
router.add_router("/", crm_webhook_router)
