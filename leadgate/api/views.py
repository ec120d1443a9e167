"""Lead endpoints. Handlers stay thin: visibility comes from the QuerySet,
moves from `transitions.advance()`; errors become JSON in `urls.py`."""

from django.db import IntegrityError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from leadgate.leads.lifecycle import IllegalMove
from leadgate.leads.models import User
from leadgate.leads.transitions import advance

from .auth import acting_user, read, visible_leads, write
from .idempotency import idempotent
from .problems import problem
from .schemas import (
    ErrorOut,
    LeadDetailOut,
    LeadFilters,
    LeadOut,
    StageMoveIn,
    StageMoveOut,
    ValidationErrorOut,
)

router = Router(tags=["leads"])


class Pages(LimitOffsetPagination):
    """Limit/offset with bounds, so a huge offset is a 422 and not a database
    overflow."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200)
        offset: int = Field(0, ge=0, le=1_000_000_000)


@router.get(
    "/leads",
    auth=read,
    response={200: list[LeadOut], 422: ValidationErrorOut},
    summary="List the leads the key may see",
)
@paginate(Pages)
def list_leads(request: HttpRequest, filters: Query[LeadFilters]):
    leads = visible_leads(request).select_related("owner", "team")
    if filters.stage:
        leads = leads.filter(stage=filters.stage)
    if filters.owner:
        leads = leads.filter(owner__username=filters.owner)
    # The pk breaks ties so pages neither repeat nor skip leads.
    return leads.order_by("-created_at", "-pk")


@router.get(
    "/leads/{lead_id}",
    auth=read,
    response={200: LeadDetailOut, 404: ErrorOut},
    summary="One lead with its stage history and inquiries",
)
def get_lead(request: HttpRequest, lead_id: int):
    # Not visible and not existing are the same 404: existence is not revealed.
    lead = get_object_or_404(
        visible_leads(request).select_related("owner", "team", "account", "source", "campaign"),
        pk=lead_id,
    )
    return lead


@router.post(
    "/leads/{lead_id}/stage",
    auth=write,
    response={200: StageMoveOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
    summary="Move a lead to another stage",
    description=(
        "Moves through the lifecycle as the key's user (a service key moves as "
        "the system). A move the lifecycle or the user's role does not allow is "
        "a 422 naming the field at fault. `qualified` is refused here (a 422 "
        "naming `verdict`): a lead is qualified only by its handoff, "
        "`POST /api/v1/leads/{lead_id}/handoff`, after a sales-ready verdict."
    ),
)
def move_lead(request: HttpRequest, lead_id: int, payload: StageMoveIn):
    lead = get_object_or_404(visible_leads(request), pk=lead_id)
    to_user = None
    if payload.to_user:
        to_user = User.objects.filter(username=payload.to_user).first()
        if to_user is None:
            raise IllegalMove(f"there is no user {payload.to_user!r}", field="to_user")

    def handle() -> tuple[int, dict]:
        try:
            change = advance(
                lead, payload.stage, by=acting_user(request), reason=payload.reason,
                to_user=to_user, amount=payload.amount,
            ).change
        except IllegalMove as refused:
            return 422, problem(str(refused), refused.field)
        except IntegrityError:
            # Someone else changed the lead meanwhile (e.g. opened its handoff).
            return 409, {"detail": "the lead changed meanwhile; reload it and retry",
                         "field": "stage"}
        moved = StageMoveOut.from_orm(
            {"id": lead.pk, "stage": lead.stage, "cycle": lead.cycle, "change": change}
        )
        return 200, moved.model_dump(mode="json")

    # With an Idempotency-Key, a retried move answers the first move again.
    return idempotent(request, payload.model_dump(mode="json"), handle)

