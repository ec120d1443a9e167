"""POST /webhooks/crm: the CRM tells Leadgate what became of a lead it was handed.

Off unless LEADGATE_CRM_WEBHOOK_SECRET is set (then the path answers 404). The
CRM signs the raw request body with that secret:

    X-Leadgate-Signature: sha256=<hex of HMAC-SHA256(secret, body)>

A missing or wrong signature is a 401. The body is JSON:

    {"lead_id": 12 | "email": "..." | "external_id": "OPP-1",
     "kind": "opportunity" | "won" | "lost", "amount": 12000, "currency": "USD",
     "reason": "...", "at": "2025-03-31T10:00:00Z", "event_id": "evt_123"}

`event_id` is required; sending an event again (a CRM retry) is a no-op 200,
as is any event whose outcome the lead already has. Outcomes are recorded by
`handoff.outcomes.record_outcome()` as the system.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_date, parse_datetime
from ninja import Router

from leadgate.handoff import outcomes
from leadgate.intake.fields import IntakeError
from leadgate.leads.lifecycle import IllegalMove
from leadgate.leads.models import Lead, Outcome
from leadgate.lib import jsonbody

from .problems import error
from .schemas import ErrorOut, ValidationErrorOut

router = Router(tags=["webhooks"])

SIGNATURE_HEADER = "X-Leadgate-Signature"
MAX_BODY = 64 * 1024
MAX_DEPTH = 10


def sign(secret: str, body: bytes) -> str:
    """The header value a sender puts on `body` (also the receiver's check)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    given = header.strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    return hmac.compare_digest(sign(secret, body).encode(), given.encode("ascii", "replace"))


def _text(data: dict[str, Any], name: str, limit: int = 200) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise IntakeError(name, "must be a string")
    text = jsonbody.storable(str(value)).strip()
    if len(text) > limit:
        raise IntakeError(name, f"is longer than {limit} characters")
    return text


def _when(data: dict[str, Any]) -> datetime | None:
    raw = _text(data, "at", 64)
    if not raw:
        return None
    try:
        found = parse_datetime(raw)
        if found is None and (day := parse_date(raw)) is not None:
            found = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    except ValueError:
        found = None
    if found is None:
        raise IntakeError("at", f"{raw!r} is not an ISO 8601 date or time")
    return found if found.tzinfo else found.replace(tzinfo=UTC)


@router.post(
    "/webhooks/crm",
    auth=None,
    # Answered as JsonResponse (the signature is checked on the raw body), so
    # these only describe it: the recorded, duplicate or ignored event, or an error.
    response={200: dict[str, Any], 401: ErrorOut, 404: ErrorOut, 413: ErrorOut,
              422: ValidationErrorOut},
    summary="Inbound CRM webhook: an opportunity, a win or a loss",
    description=__doc__,
    include_in_schema=True,
)
def crm_webhook(request: HttpRequest):
    secret = settings.LEADGATE_CRM_WEBHOOK_SECRET
    if not secret:
        return error(404, "not found")
    body = request.body
    if len(body) > MAX_BODY:
        return error(413, f"the body is larger than {MAX_BODY} bytes", "body")
    if not signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER, "")):
        return error(401, f"missing or wrong {SIGNATURE_HEADER}", SIGNATURE_HEADER)
    try:
        data = jsonbody.loads(body, MAX_DEPTH)
    except ValueError as bad:
        return error(422, f"the body is not valid JSON: {bad}", "body")
    if not isinstance(data, dict):
        return error(422, "the body must be a JSON object", "body")
    try:
        event_id = _text(data, "event_id")
        if not event_id:
            raise IntakeError("event_id", "is required (it makes retries harmless)")
        kind = _text(data, "kind", 20)
        if kind not in Outcome.Kind.values:
            raise IntakeError("kind", f"must be one of {', '.join(Outcome.Kind.values)}")
        amount = outcomes.parse_amount_value(data.get("amount"))
        at = _when(data)
        lead_id = data.get("lead_id")
        if lead_id is not None and (isinstance(lead_id, bool) or not isinstance(
                lead_id, int | str)):
            raise IntakeError("lead_id", "must be a number")
        email, external_id = _text(data, "email", 254), _text(data, "external_id")
        if lead_id in (None, "") and not email and not external_id:
            raise IntakeError("lead_id", "give lead_id, email or external_id")
        currency = _text(data, "currency", 3) or "USD"
        reason = _text(data, "reason", 5000)
        stage = _text(data, "stage", 100)
    except IntakeError as bad:
        return error(422, f"{bad.field}: {bad.message}", bad.field)
    lead, how = outcomes.find_lead(Lead.objects.all(), lead_id=lead_id, email=email,
                                   external_id=external_id)
    if lead is None:
        return error(404, f"no lead matches this {how.replace('_', ' ')}", how)
    if kind == Outcome.Kind.OPPORTUNITY and lead.is_closed:
        # Webhooks arrive out of order: news of an opportunity after the win.
        return JsonResponse({"status": "ignored", "lead_id": lead.pk, "stage": lead.stage,
                             "detail": f"the lead is already {lead.stage}"})
    try:
        outcome = outcomes.record_outcome(
            lead, kind=kind, by=None, amount=amount, currency=currency.upper(),
            stage=stage, reason=reason, at=at, external_id=external_id, event_id=event_id,
        )
    except outcomes.AlreadyRecorded as already:
        return JsonResponse({"status": "duplicate", "lead_id": lead.pk,
                             "outcome": already.outcome.pk if already.outcome else None,
                             "detail": str(already)})
    except IllegalMove as refused:
        return error(422, str(refused), refused.field)
    except IntegrityError:
        return error(409, "the lead changed meanwhile; send the event again", "stage")
    return JsonResponse({"status": "recorded", "lead_id": lead.pk, "outcome": outcome.pk,
                         "kind": outcome.kind}, status=201)
