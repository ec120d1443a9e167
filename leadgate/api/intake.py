"""Intake endpoints: `POST /leads` (one lead) and `POST /leads/bulk` (up to
1,000), both through `intake.pipeline.receive()` like every other channel.

The body is read by hand rather than by a ninja schema, in this order: content
type (415), size (413), JSON (422 naming "body"), then each lead's fields
through `intake.fields.parse` (422 naming the field). Keys that are not intake
fields are not errors: they stay in the inquiry's payload as sent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from pydantic import ValidationError

from leadgate.intake.arrivals import accept
from leadgate.intake.fields import IntakeError, parse, resolve_names
from leadgate.intake.models import Campaign, Inquiry, Source
from leadgate.intake.pipeline import receive
from leadgate.lib import jsonbody

from .arrivals import (
    PREFER_PARAMETER,
    RESPOND_ASYNC,
    ArrivalOut,
    arrival_answer,
    arrival_url,
    prefers_async,
)
from .auth import acting_user, intake, key_of
from .idempotency import HEADER, idempotent
from .problems import error, problem
from .schemas import BulkLeadsIn, BulkOut, ErrorOut, IntakeOut, LeadIn, ValidationErrorOut
from .views import router

# The intake operations join the leads router rather than a router of their
# own: `POST /leads` shares its path with `GET /leads`, and Django hands a path
# to one view only, so two routers would answer 405 to one of the methods.

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # one lead
MAX_BULK_BODY = 2 * 1024 * 1024  # up to 1,000 leads of ~2 KB each
MAX_BULK_LEADS = 1000
# Deeper JSON than this is no form anyone fills in, and nesting is what makes
# the JSON encoder recurse.
MAX_DEPTH = 20
META_KEYS = ("source", "campaign", "hot")


class BadRequest(Exception):
    def __init__(self, status: int, detail: str, field: str | None):
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


def read_json(request: HttpRequest, limit: int) -> Any:
    """The request's JSON body, or BadRequest naming what is wrong with it."""
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise BadRequest(
            415, f"Content-Type must be application/json, not {content_type or 'missing'!r}",
            "Content-Type",
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = f"the body is larger than the limit of {limit // 1024} KB"
    if length > limit:
        raise BadRequest(413, too_big, "body")
    raw = request.body
    if len(raw) > limit:
        raise BadRequest(413, too_big, "body")
    try:
        return jsonbody.loads(raw, MAX_DEPTH)
    except ValueError as error:
        raise BadRequest(422, f"the request body is not valid JSON: {error}", "body") from None


def check_values(value: Any, path: str = "") -> None:
    """Refuse what JSON allows but the database cannot store: NUL characters
    (PostgreSQL) and lone surrogates (not UTF-8). IntakeError names the key."""
    if isinstance(value, str):
        _check_text(value, path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else key
            _check_text(key, name)
            check_values(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_values(item, f"{path}[{index}]")


def check_declared(item: dict[str, Any]) -> None:
    """The fields LeadIn declares hold what it says (text of at most its
    length, `hot` true or false): the published spec is the rule, and e.g. a
    phone sent as `false` is refused rather than stored as "False"."""
    try:
        LeadIn.model_validate(item)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise IntakeError(field, first.get("msg", "is invalid").lower()) from None


def _check_text(text: str, field: str) -> None:
    if "\x00" in text:
        raise IntakeError(field, "must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise IntakeError(field, "is not valid Unicode") from None


class Names:
    """Sources and campaigns by name, looked up once per request."""

    def __init__(self) -> None:
        self.sources: dict[str, Source | None] = {}
        self.campaigns: dict[str, Campaign | None] = {}

    def source(self, value: Any) -> Source | None:
        name = _name(value, "source", 100)
        if name is None:
            return None
        if name not in self.sources:
            self.sources[name] = Source.objects.filter(name=name).first()
        found = self.sources[name]
        if found is None:
            raise IntakeError("source", f"there is no source named {name!r}")
        return found

    def campaign(self, value: Any) -> Campaign | None:
        name = _name(value, "campaign", 200)
        if name is None:
            return None
        if name not in self.campaigns:
            self.campaigns[name] = (
                Campaign.objects.select_related("source").filter(name=name).first()
            )
        found = self.campaigns[name]
        if found is None:
            raise IntakeError("campaign", f"there is no campaign named {name!r}")
        return found


def _name(value: Any, field: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise IntakeError(field, "must be the name of one, as text")
    _check_text(value, field)
    if len(value) > limit:
        raise IntakeError(field, f"is {len(value)} characters long; the limit is {limit}")
    return value.strip()


def _hot(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise IntakeError("hot", "must be true or false")
    return value


def intake_payload(item: dict[str, Any]) -> dict[str, Any]:
    """The payload as `receive()` takes it: intake fields under their own names
    (an alias such as "E-mail" is resolved), everything else as sent."""
    return resolve_names({key: value for key, value in item.items() if key not in META_KEYS})


def prepare(item: Any, names: Names, defaults: dict[str, Any],
            request: HttpRequest) -> dict[str, Any]:
    """Check and parse one lead: receive()'s arguments. IntakeError names the
    field at fault. Done before any transaction: on SQLite, work inside one
    holds the write lock every other request waits for."""
    if not isinstance(item, dict):
        raise IntakeError("body", "a lead must be a JSON object")
    check_values(item)
    check_declared(item)
    payload = intake_payload(item)
    return {
        "payload": payload, "data": parse(payload), "channel": Inquiry.Channel.API,
        "source": names.source(item.get("source", defaults.get("source"))),
        "campaign": names.campaign(item.get("campaign", defaults.get("campaign"))),
        "is_hot": _hot(item.get("hot", defaults.get("hot"))), "by": acting_user(request),
    }


def take(item: Any, names: Names, defaults: dict[str, Any], request: HttpRequest) -> dict:
    """Receive one lead; IntakeError names the field at fault."""
    return received(prepare(item, names, defaults, request))


def received(arguments: dict[str, Any]) -> dict:
    result = receive(**arguments)
    return {
        "lead": result.lead.pk if result.sender_sees else None,
        "inquiry": result.inquiry.pk,
        "created": result.created,
        "warnings": result.warnings,
    }


LEAD_IN_SCHEMA = LeadIn.model_json_schema()
BULK_IN_SCHEMA = {
    key: value for key, value in BulkLeadsIn.model_json_schema().items() if key != "$defs"
}
# Each lead is taken or refused on its own (its error is in `results`, the
# others are still taken), so the request itself accepts any item.
BULK_IN_SCHEMA["properties"]["leads"]["items"] = {
    "anyOf": [LEAD_IN_SCHEMA, {}],
    "description": "a lead (LeadIn); anything else is an error in `results`, not a refusal "
    "of the request",
}
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "a retry with the same key and body returns the first answer "
    "(header `Idempotent-Replayed: true`) without a second write",
}


def _openapi(schema: dict, *parameters: dict) -> dict:
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "parameters": [IDEMPOTENCY_PARAMETER, *parameters],
    }


@router.post(
    "/leads",
    auth=intake,
    tags=["intake"],
    response={200: IntakeOut, 201: IntakeOut, 202: ArrivalOut, 409: ErrorOut, 413: ErrorOut,
              415: ErrorOut, 422: ValidationErrorOut, 503: ErrorOut},
    summary="Send one lead in",
    description=(
        "Creates a lead (201) or attaches the inquiry to the person it matches by "
        "email or phone (200 with that lead's id). Unknown keys are kept in the "
        "inquiry's payload. Body: JSON, at most 64 KB. With `Prefer: respond-async` "
        "the lead is checked and kept, and answered 202 with an arrival at once; "
        "GET its `url` (also in `Location`) to learn the lead it became."
    ),
    openapi_extra=_openapi(LEAD_IN_SCHEMA, PREFER_PARAMETER),
)
def create_lead(request: HttpRequest) -> JsonResponse:
    try:
        data = read_json(request, MAX_BODY)
    except BadRequest as exc:
        return error(exc.status, exc.detail, exc.field)
    if not isinstance(data, dict):
        return error(422, "the body must be a JSON object of lead fields", "body")

    try:
        arguments = prepare(data, Names(), {}, request)
    except IntakeError as exc:
        return error(422, str(exc), exc.field)

    def handle() -> tuple[int, dict]:
        try:
            body = received(arguments)
        except IntakeError as exc:
            return 422, problem(str(exc), exc.field)
        except (OperationalError, InterfaceError):
            raise  # busy or unreachable: 503 with Retry-After (leads.middleware)
        except DatabaseError:
            log.exception("API intake could not store a lead")
            return 503, {"detail": "the lead could not be stored; retry", "field": None}
        return (201 if body["created"] else 200), body

    if not prefers_async(request):
        return idempotent(request, data, handle)

    def handle_later() -> tuple[int, dict]:
        arrival = accept(arguments["payload"], channel=Inquiry.Channel.API,
                         source=arguments["source"], campaign=arguments["campaign"],
                         is_hot=arguments["is_hot"], by=arguments["by"],
                         sender=key_of(request).prefix)
        return 202, arrival_answer(arrival)

    response = idempotent(request, data, handle_later)
    if response.status_code == 202:  # also when replayed
        response["Preference-Applied"] = RESPOND_ASYNC
        response["Location"] = arrival_url(json.loads(response.content)["arrival"])
    return response


@router.post(
    "/leads/bulk",
    auth=intake,
    tags=["intake"],
    response={200: BulkOut, 409: ErrorOut, 413: ErrorOut, 415: ErrorOut,
              422: ValidationErrorOut},
    summary="Send up to 1,000 leads in at once",
    description=(
        "Each lead is received on its own, so one lead's error never loses the "
        "others: the answer has a result per lead, in order. `source`, `campaign` "
        "and `hot` at the top are defaults a lead may override. Body: JSON, at "
        "most 2 MB."
    ),
    openapi_extra=_openapi(BULK_IN_SCHEMA),
)
def create_leads(request: HttpRequest) -> JsonResponse:
    try:
        data = read_json(request, MAX_BULK_BODY)
    except BadRequest as exc:
        return error(exc.status, exc.detail, exc.field)
    if not isinstance(data, dict):
        return error(422, 'the body must be a JSON object with "leads"', "body")
    leads = data.get("leads")
    if not isinstance(leads, list):
        return error(422, "leads: a list of lead objects is required", "leads")
    if len(leads) > MAX_BULK_LEADS:
        return error(
            422, f"leads: {len(leads)} leads; the limit is {MAX_BULK_LEADS} per request",
            "leads",
        )
    names = Names()
    defaults = {key: data.get(key) for key in META_KEYS}
    try:  # a wrong default would fail every lead: refuse the request instead
        names.source(defaults["source"])
        names.campaign(defaults["campaign"])
        _hot(defaults["hot"])
    except IntakeError as exc:
        return error(422, str(exc), exc.field)

    def handle() -> tuple[int, dict]:
        results: list[dict[str, Any]] = []
        counts = {"created": 0, "merged": 0, "errors": 0}
        for index, item in enumerate(leads):
            try:
                body = take(item, names, defaults, request)
            except IntakeError as exc:
                results.append({"index": index, "status": "error", "field": exc.field,
                                "detail": str(exc)})
                counts["errors"] += 1
                continue
            except DatabaseError:
                log.exception("API bulk intake could not store lead %s", index)
                results.append({"index": index, "status": "error", "field": None,
                                "detail": "the lead could not be stored; retry it"})
                counts["errors"] += 1
                continue
            status = "created" if body["created"] else "merged"
            counts[status] += 1
            results.append({"index": index, "status": status, "lead": body["lead"],
                            "inquiry": body["inquiry"], "warnings": body["warnings"]})
        return 200, {"results": results, **counts}

    # Each lead commits on its own (receive() is atomic), so the stored answer
    # is written after them rather than in one transaction with 1,000 leads.
    return idempotent(request, data, handle, atomic=False)


# Django tries a router's paths in order, and "/leads/{lead_id}" (registered by
# views.py, first) would take "bulk" for a lead id: put the bulk path first.
router.path_operations = {
    "/leads/bulk": router.path_operations.pop("/leads/bulk"), **router.path_operations
}
