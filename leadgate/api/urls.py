"""The API object, mounted at /api/v1/ by leadgate/urls.py, and the handlers
that make every error the same JSON shape: {"detail": str, "field": str|None}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from leadgate.leads.lifecycle import IllegalMove

# Importing `intake` adds POST /leads and /leads/bulk to the leads router
# (they share /leads with the list: one path is one view in Django).
from . import intake  # noqa: F401
from .activities import router as activities_router
from .problems import error, problem
from .views import router as leads_router


def _json_error(description: str, schema: str = "ErrorOut") -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


# What any operation may answer besides its own statuses: the spec describes
# what the server does (clients generated from it handle these too).
KEYED = {
    401: _json_error("missing, malformed, unknown or revoked API key"),
    403: _json_error("the key lacks the scope this operation needs"),
}
ANY = {503: _json_error("the database is busy or unreachable: retry after Retry-After seconds")}
INVALID = {422: _json_error("a parameter or the body is invalid: `field` names it",
                            "ValidationErrorOut")}


class LeadgateAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                extra = {**ANY, **(KEYED if operation.get("security") else {}),
                         **(INVALID if operation.get("parameters") or
                            operation.get("requestBody") else {})}
                for status, response in extra.items():
                    if status not in responses and str(status) not in responses:
                        responses[status] = response
        return schema


api = LeadgateAPI(
    title="Leadgate API",
    version="1",
    description=(
        "Send `Authorization: Bearer <key>`; keys are made with "
        "`leadgate apikey create`. Scopes: read, write, intake."
    ),
    # The interactive docs live at /api/docs (leadgate/urls.py), one place only.
    docs_url=None,
)
api.add_router("/", leads_router)
api.add_router("/", activities_router)
api.add_router("/", "leadgate.api.queue.router")
api.add_router("/", "leadgate.api.handoffs.router")
api.add_router("/", "leadgate.api.arrivals.router")
api.add_router("/", "leadgate.api.nurture.router")
api.add_router("/", "leadgate.api.reports.router")


def _field_of(loc: list | tuple) -> str | None:
    """`["body", "payload", "to_user"]` -> "to_user"; `["query", "stage"]` -> "stage"."""
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] or parts[1:]
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Keep pydantic's list for clients that want every error, minus its
    # context objects, which are not always JSON.
    errors = [
        {"field": _field_of(err.get("loc", ())), "loc": list(err.get("loc", ())),
         "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    first = errors[0] if errors else {"field": None, "msg": "invalid input"}
    detail = f"{first['field']}: {first['msg']}" if first["field"] else first["msg"]
    return api.create_response(
        request, {"detail": detail, "field": first["field"], "errors": errors}, status=422
    )


@api.exception_handler(IllegalMove)
def illegal_move(request: HttpRequest, exc: IllegalMove) -> HttpResponse:
    return api.create_response(request, problem(str(exc), exc.field), status=422)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, problem("missing, malformed, unknown or revoked API key", None, 401), status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ValueError):
        # Ninja reports a body it cannot parse as a bare 400; it is bad input
        # like any other, so it gets the same 422 and names the body.
        return api.create_response(
            request, problem("the request body is not valid JSON", "body"), status=422
        )
    return api.create_response(request, problem(str(exc), None, exc.status_code),
                               status=exc.status_code)


@csrf_exempt  # API clients send keys, not cookies: this must answer them alike
def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/: a JSON 404 like the API's other errors
    (Django's would be the site's HTML page)."""
    return error(404, f"no such endpoint: {request.method} {request.path} "
                      "(see /api/v1/openapi.json)")
