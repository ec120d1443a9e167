"""Nurture over the API: enroll a lead in a cadence, stop its cadence.

POST /leads/{id}/nurture and POST /leads/{id}/nurture/stop, scope `write`
like every other write on a lead, both honouring `Idempotency-Key`. The work
is the engine's (`nurture.engine.enroll`, `stop`, `leave`); a refusal names
the field: `cadence` (unknown, archived, no steps), `lead` (already enrolled,
or not in nurture), `stage` or `role` (the lifecycle's refusal). The live
enrollment also shows on `GET /leads/{id}` (schemas.LeadDetailOut).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Body, Router

from leadgate.leads.lifecycle import IllegalMove, Stage
from leadgate.leads.models import Lead
from leadgate.nurture import engine
from leadgate.nurture.models import Cadence, Enrollment

from .auth import acting_user, visible_leads, write
from .idempotency import idempotent
from .problems import problem
from .schemas import (
    EnrollmentOut,
    ErrorOut,
    LeadDetailOut,
    NurtureIn,
    NurtureStopIn,
    ValidationErrorOut,
    enrollment_out,
)

router = Router(tags=["nurture"])

Answer = tuple[int, dict[str, Any]]
CHANGED = "the lead changed meanwhile; reload it and retry"
# The stop's body may be left out (a bare POST): nothing in it is required.
OPTIONAL_BODY = Body(None)


def _cadence(ref: int | str) -> Cadence | None:
    """By id for a number; by name for a string, else by id when it is digits
    (a client that sends every value as a string)."""
    if isinstance(ref, int):
        return Cadence.objects.filter(pk=ref).first()
    found = Cadence.objects.filter(name=ref.strip()).first()
    if found is None and ref.strip().isdigit():
        found = Cadence.objects.filter(pk=int(ref.strip())).first()
    return found


def _refused(error: engine.NurtureError | IllegalMove) -> Answer:
    # Already enrolled is a conflict with the lead's state; the rest is bad input.
    status = 409 if error.field == "lead" else 422
    return status, problem(str(error), error.field, status)


@router.post(
    "/leads/{lead_id}/nurture",
    auth=write,
    response={201: EnrollmentOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
    summary="Enroll a lead in a nurture cadence",
    description=(
        "Scope `write`. Without `cadence`, the cadence marked first. A lead not yet "
        "in nurture is moved there when the lifecycle allows it (else a 422 naming "
        "`stage`, or `role` for the key's user). An unknown, archived or empty "
        "cadence is a 422 naming `cadence`; a lead already enrolled a 409 naming "
        "`lead` (stop it first). Honours `Idempotency-Key`."
    ),
)
def enroll_lead(request: HttpRequest, lead_id: int, payload: NurtureIn):
    lead = get_object_or_404(visible_leads(request), pk=lead_id)

    def handle() -> Answer:
        cadence = None
        if payload.cadence is not None:
            cadence = _cadence(payload.cadence)
            if cadence is None:
                return 422, problem(f"there is no cadence {payload.cadence!r}", "cadence")
        try:
            enrollment = engine.enroll(lead, trigger=Enrollment.Trigger.API, cadence=cadence,
                                       by=acting_user(request), reason=payload.reason)
        except (engine.NurtureError, IllegalMove) as error:
            return _refused(error)
        except IntegrityError:
            # Another request enrolled or moved the lead between our read and our write.
            return 409, problem(CHANGED, "lead", 409)
        fresh = engine.live_enrollment(enrollment.lead_id)
        return 201, EnrollmentOut.model_validate(enrollment_out(fresh)).model_dump(mode="json")

    return idempotent(request, payload.model_dump(mode="json"), handle)


@router.post(
    "/leads/{lead_id}/nurture/stop",
    auth=write,
    response={200: LeadDetailOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
    summary="Stop a lead's nurture cadence: the lead goes back to the desk",
    description=(
        "Scope `write`. The cadence stops at once and the lead goes back to `working` "
        "with its owner (or one routing gives it) and a task; the answer is the lead. "
        "A lead neither in nurture nor enrolled is a 409 naming `lead`; the lifecycle's "
        "refusal (the key's user may not take it out of nurture) a 422 naming `role`. "
        "The body is optional. Honours `Idempotency-Key`."
    ),
)
def stop_lead(request: HttpRequest, lead_id: int, payload: NurtureStopIn | None = OPTIONAL_BODY):
    lead = get_object_or_404(visible_leads(request), pk=lead_id)
    detail = payload.detail if payload is not None else ""

    def handle() -> Answer:
        by = acting_user(request)
        lead.refresh_from_db(fields=["stage", "cycle"])
        try:
            if lead.stage == Stage.NURTURE:
                engine.stop(lead, detail=detail, by=by)
            elif engine.live_enrollment(lead) is not None:
                # Moved out of nurture a moment ago; the reaction that ends its
                # cadence has not run yet: end it now, the lead stays where it is.
                engine.leave(lead, Enrollment.Exit.MANUAL, detail=detail, by=by)
            else:
                return 409, problem(f"the lead is not in nurture (it is {lead.stage})",
                                    "lead", 409)
        except IllegalMove as refused:
            return 422, problem(str(refused), refused.field)
        except IntegrityError:
            return 409, problem(CHANGED, "lead", 409)
        fresh = Lead.objects.select_related("owner", "team", "account", "source",
                                            "campaign").get(pk=lead.pk)
        return 200, LeadDetailOut.from_orm(fresh).model_dump(mode="json")

    return idempotent(request, {"stop": detail}, handle)
