"""Intake later: `POST /leads` with `Prefer: respond-async` answers 202 with
an arrival (intake.arrivals), and `GET /arrivals/{id}` tells what it became.

The 202 is the promise that the lead is kept: the arrival is committed before
the answer, and a worker takes it into intake within about a second (a sweep
retries one whose task was lost). Only the key that sent an arrival reads it
back; any other gets the same 404 as for an id that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from leadgate.intake.models import Arrival

from .auth import intake, key_of
from .schemas import ErrorOut

router = Router(tags=["intake"])

PREFER_HEADER = "Prefer"
RESPOND_ASYNC = "respond-async"
PREFER_PARAMETER = {
    "in": "header",
    "name": PREFER_HEADER,
    "required": False,
    "schema": {"type": "string", "enum": [RESPOND_ASYNC]},
    "description": "`respond-async`: check the lead, keep it and answer 202 at once with an "
    "arrival to read back (GET /arrivals/{id}), instead of waiting for it to be matched "
    "and stored as a lead (RFC 7240)",
}


def prefers_async(request: HttpRequest) -> bool:
    """Whether the request's Prefer header asks for respond-async (RFC 7240:
    comma-separated preferences, each possibly with parameters)."""
    value = request.headers.get(PREFER_HEADER, "")
    return any(part.split(";", 1)[0].split("=", 1)[0].strip().lower() == RESPOND_ASYNC
               for part in value.split(","))


class ArrivalOut(Schema):
    arrival: int
    status: Literal["queued", "taken", "refused"] = Field(
        description="queued: kept, not yet a lead; taken: now an inquiry on a lead; "
        "refused: intake refused it (see detail and field)")
    lead: int | None = Field(description="once taken: the lead, null when the inquiry joined "
                             "a lead this key may not see")
    inquiry: int | None
    created: bool | None = Field(description="once taken: true for a new lead, false when "
                                 "merged into an existing one")
    warnings: dict[str, str]
    detail: str | None = Field(description="refused: why")
    field: str | None = Field(description="refused: the field at fault")
    received_at: datetime
    taken_at: datetime | None
    url: str


def arrival_answer(arrival: Arrival) -> dict[str, Any]:
    return {
        "arrival": arrival.pk, "status": arrival.status, "lead": arrival.lead_id_shown,
        "inquiry": arrival.inquiry_id, "created": arrival.created,
        "warnings": arrival.warnings or {}, "detail": arrival.error or None,
        "field": arrival.error_field or None, "received_at": _when(arrival.received_at),
        "taken_at": _when(arrival.taken_at), "url": arrival_url(arrival.pk),
    }


def _when(moment: datetime | None) -> str | None:
    """As the API writes times elsewhere (ISO 8601 to the millisecond, UTC as
    Z): the answer is also stored as JSON, for an idempotent replay."""
    return DjangoJSONEncoder().default(moment) if moment is not None else None


def arrival_url(arrival_id: int) -> str:
    return f"/api/v1/arrivals/{arrival_id}"


@router.get(
    "/arrivals/{arrival_id}",
    auth=intake,
    response={200: ArrivalOut, 404: ErrorOut},
    summary="What a lead sent with respond-async became",
)
def read_arrival(request: HttpRequest, arrival_id: int) -> Status:
    arrival = Arrival.objects.filter(pk=arrival_id, sender=key_of(request).prefix).first()
    if arrival is None:
        return Status(404, {"detail": "no arrival with this id", "field": "arrival_id"})
    return Status(200, arrival_answer(arrival))
