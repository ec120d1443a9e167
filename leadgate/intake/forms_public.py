"""The public end of web forms: `POST /f/<key>`, from any website allowed to.

Everything here is untrusted: the body is read with a size limit, parsed by
content type, checked (origin, rate, honeypot, consent) and handed to
`pipeline.receive()`. Each refusal is a `Refusal` naming what is wrong; the
view turns it into JSON for scripts or a small page for a browser's own post.
Nothing a client sends may produce a 500.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from leadgate.leads.http import client_address
from leadgate.lib import jsonbody

from . import ratelimit
from .fields import FIELDS, IntakeError, resolve_names
from .models import Inquiry, WebForm
from .pipeline import receive

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# Humans never see this field (the snippet hides it with CSS); bots that fill
# every input do. A filled one is answered like a success and dropped.
HONEYPOT_FIELD = "website_url_hp"
CONSENT_FIELD = "consent"
CONSENT_YES = {"on", "yes", "true", "1", "y", "checked"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
JSON_TYPE = "application/json"
# Deeper JSON is no lead: refuse it before anything walks it recursively.
MAX_DEPTH = 16
# Windows older than this are deleted when a new one is started.
PREFLIGHT_MAX_AGE = "7200"  # Chromium's cap; the browser asks again after.


@dataclass
class Refusal(Exception):
    """A request we do not take: the status, and the field (or header) at fault."""

    status: int
    field: str
    message: str
    headers: dict[str, str] = dataclass_field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# -- reading the request --------------------------------------------------------------


def request_origin(request: HttpRequest) -> str:
    return request.headers.get("Origin", "").strip()


def origin_allowed(form: WebForm, origin: str) -> bool:
    return origin.rstrip("/").lower() in form.origins


def check_origin(form: WebForm, origin: str) -> None:
    """A browser post from a page whose origin marketing did not allow is refused
    (a plain HTML form on another site sends an Origin header too)."""
    if origin and not origin_allowed(form, origin):
        raise Refusal(403, "origin", f"posts from {origin[:200]} are not allowed for this form")


def content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        raise Refusal(400, "Content-Length", "is not a number") from None


def too_big() -> Refusal:
    return Refusal(413, "body", f"is larger than {MAX_BODY // 1024} KB")


def check_declared_size(request: HttpRequest) -> None:
    """Refuse an oversized body by its declared length, before reading any of it."""
    if content_length(request) > MAX_BODY:
        raise too_big()


def read_body(request: HttpRequest) -> bytes:
    """The body, at most MAX_BODY bytes, read with a limit in case the declared
    length is not the truth."""
    check_declared_size(request)
    try:
        body = request.read(MAX_BODY + 1)
    except (OSError, RequestDataTooBig):
        raise Refusal(400, "body", "could not be read") from None
    if len(body) > MAX_BODY:
        raise too_big()
    return body


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = jsonbody.loads(body, MAX_DEPTH)
    except ValueError as error:
        raise Refusal(400, "body", f"is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise Refusal(400, "body", "must be a JSON object of field names and values")
    return data


def querydict_to_dict(data: QueryDict) -> dict[str, Any]:
    """One value per name; a name sent several times keeps them all as a list."""
    return {name: values[0] if len(values) == 1 else values for name, values in data.lists()}


def parse_form(request: HttpRequest, body: bytes, content_type: str) -> dict[str, Any]:
    encoding = (request.content_params or {}).get("charset") or settings.DEFAULT_CHARSET
    try:
        if content_type == "multipart/form-data":
            meta = {**request.META, "CONTENT_LENGTH": str(len(body))}
            post, files = MultiPartParser(
                meta, BytesIO(body), request.upload_handlers, encoding
            ).parse()
            data = querydict_to_dict(post)
            # Files are not lead data; their names are noted in the payload.
            for name, upload in files.items():
                data.setdefault(name, str(getattr(upload, "name", "") or "")[:200])
            return data
        return querydict_to_dict(QueryDict(body, encoding=encoding))
    except (MultiPartParserError, SuspiciousOperation, LookupError, ValueError) as error:
        raise Refusal(400, "body", f"could not be parsed: {str(error)[:200]}") from None


def parse_body(request: HttpRequest) -> dict[str, Any]:
    """The submitted fields, from form-encoded, multipart or JSON bodies."""
    content_type = (request.content_type or "").lower()
    if content_type != JSON_TYPE and content_type not in FORM_TYPES:
        shown = content_type[:100] or "(none)"
        raise Refusal(
            415, "Content-Type",
            f"{shown} is not accepted; send application/x-www-form-urlencoded, "
            "multipart/form-data or application/json",
        )
    body = read_body(request)
    if content_type == JSON_TYPE:
        return parse_json(body)
    return parse_form(request, body, content_type)


def consent_given(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str | int) and str(value).strip().lower() in CONSENT_YES


# -- checks with state -----------------------------------------------------------------


def check_rate(request: HttpRequest, form: WebForm) -> None:
    wait = ratelimit.hit(
        f"form:{form.pk}:{client_address(request)}",
        settings.LEADGATE_FORM_RATE_LIMIT,
        timezone.now(),
    )
    if wait is not None:
        raise Refusal(
            429, "rate", f"too many submissions from your address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def take(form: WebForm, submitted: dict[str, Any]) -> None:
    """Store the submission. The answer to the public names no ids: a merged
    submission would return an existing lead's id and tell anyone whether an
    address is already a lead."""
    if str(submitted.get(HONEYPOT_FIELD) or "").strip():
        log.info("web form %s: honeypot filled, submission dropped", form.pk)
        return
    submitted.pop(HONEYPOT_FIELD, None)
    consented = consent_given(submitted.get(CONSENT_FIELD))
    if form.consent_text and not consented:
        raise Refusal(400, CONSENT_FIELD, "please tick the consent box to send this form")
    payload = resolve_names(jsonbody.storable(submitted))
    try:
        receive(
            payload, channel=Inquiry.Channel.FORM, source=form.source, campaign=form.campaign,
            form=form, is_hot=form.is_hot,
            consent_text=form.consent_text if consented else "",
        )
    except IntakeError as error:
        raise Refusal(400, error.field, error.message) from None


# -- answers ---------------------------------------------------------------------------


def wants_json(request: HttpRequest) -> bool:
    """Scripts get JSON; a browser navigating (its own form post) gets pages.
    Browsers always list text/html when they navigate; fetch() and curl do not."""
    accept = request.headers.get("Accept", "").lower()
    return (
        (request.content_type or "").lower() == JSON_TYPE
        or JSON_TYPE in accept
        or "text/html" not in accept
    )


def with_cors(request: HttpRequest, response: HttpResponse, form: WebForm | None) -> HttpResponse:
    """Let an allowed origin's page read the answer; any other gets no CORS header."""
    patch_vary_headers(response, ["Origin"])
    origin = request_origin(request)
    if form is not None and origin and origin_allowed(form, origin):
        response["Access-Control-Allow-Origin"] = origin
    return response


def refusal_response(request: HttpRequest, refusal: Refusal, form: WebForm | None) -> HttpResponse:
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {"detail": f"{refusal.field}: {refusal.message}", "field": refusal.field},
            status=refusal.status,
        )
    else:
        response = render(
            request, "intake/public_error.html",
            {"refusal": refusal, "form": form, "label": field_label(refusal.field)},
            status=refusal.status,
        )
    for name, value in refusal.headers.items():
        response[name] = value
    # A refused origin gets no CORS header, so its page cannot even read why.
    return with_cors(request, response, form if refusal.field != "origin" else None)


def field_label(name: str) -> str:
    spec = FIELDS.get(name)
    return spec.label if spec else name


def success_response(request: HttpRequest, form: WebForm) -> HttpResponse:
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {"status": "ok", "message": form.thank_you}, status=201
        )
    elif form.redirect_url:
        response = redirect(form.redirect_url)
        response.status_code = 303
    else:
        response = render(request, "intake/public_thanks.html", {"form": form})
    return with_cors(request, response, form)


def preflight(request: HttpRequest, form: WebForm) -> HttpResponse:
    """Answer the browser's OPTIONS check: the CORS headers for an allowed
    origin, none for any other (so the browser does not send the POST)."""
    response = HttpResponse(status=204)
    response["Allow"] = "GET, POST, OPTIONS"
    origin = request_origin(request)
    if origin and origin_allowed(form, origin):
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return with_cors(request, response, form)


INPUT_TYPES = {"email": "email", "phone": "tel", "message": "textarea"}


def field_specs(form: WebForm) -> list[dict[str, Any]]:
    """The form's fields as inputs: name, label, length limit, input type."""
    return [
        {"name": name, "label": FIELDS[name].label, "max_length": FIELDS[name].max_length,
         "type": INPUT_TYPES.get(name, "text")}
        for name in form.fields if isinstance(name, str) and name in FIELDS
    ]


def definition(request: HttpRequest, form: WebForm) -> dict[str, Any]:
    """What the JS embed needs to draw the form."""
    return {
        "action": request.build_absolute_uri(reverse("webform-submit", args=[form.key])),
        "fields": field_specs(form),
        "honeypot": HONEYPOT_FIELD,
        "consent_field": CONSENT_FIELD,
        "consent_text": form.consent_text,
        "thank_you": form.thank_you,
        "redirect_url": form.redirect_url,
    }


@csrf_exempt
def submit(request: HttpRequest, key: str) -> HttpResponse:
    """`/f/<key>`: POST a submission; OPTIONS for CORS; GET the form's
    definition (for the JS embed)."""
    form = WebForm.objects.filter(key=key[:32], active=True).select_related(
        "source", "campaign"
    ).first()
    try:
        if form is None:
            raise Refusal(404, "form", "no such form, or it is no longer active")
        if request.method == "OPTIONS":
            return preflight(request, form)
        if request.method == "GET":
            return with_cors(request, JsonResponse(definition(request, form)), form)
        if request.method != "POST":
            raise Refusal(405, "method", f"{request.method} is not allowed; POST the form",
                          headers={"Allow": "GET, POST, OPTIONS"})
        check_origin(form, request_origin(request))
        check_declared_size(request)
        check_rate(request, form)
        take(form, parse_body(request))
    except Refusal as refusal:
        return refusal_response(request, refusal, form)
    except DatabaseError as error:
        # The database is busy or down: the client may retry; never a 500.
        log.warning("web form %s: could not store a submission: %s", key[:32], error)
        return refusal_response(
            request, Refusal(503, "server", "busy; please try again in a minute",
                             headers={"Retry-After": "60"}), form,
        )
    return success_response(request, form)
