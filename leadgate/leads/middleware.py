"""Failures that are not bugs get an answer that says what happened, JSON
under /api/ and a short page elsewhere, and one log line; never a 500 with a
traceback:

- the database cannot be reached or is busy beyond its timeout: 503 with a
  Retry-After. Nothing was stored: every write is one transaction, rolled
  back with the error;
- a request body did not arrive (the client went, or sent nothing for
  LEADGATE_REQUEST_BODY_TIMEOUT seconds): 400.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.template.loader import render_to_string

logger = logging.getLogger("leadgate.db")

RETRY_AFTER_SECONDS = 2


def unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("%s %s answered 503: database unavailable (%s)", request.method,
                   request.path, str(error).splitlines()[0] if str(error) else type(error).__name__)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "the database is busy or unreachable; nothing was stored, retry "
             f"in {RETRY_AFTER_SECONDS} s", "field": None}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", request=request), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def is_schema_error(error: Exception) -> bool:
    """SQLite reports a missing table or column (migrations not applied) as an
    OperationalError too: that is a bug to fix, not a moment to wait out."""
    return str(error).startswith(("no such table", "no such column", "table "))


def unreadable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("%s %s answered 400: the body did not arrive (%s)", request.method,
                   request.path, error)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "the request body did not arrive in time",
                             "field": "body"}, status=400)
    return HttpResponse("The request did not arrive in full; please send it again.",
                        status=400, content_type="text/plain")


class FailureAnswersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError) and not is_schema_error(
                exception):
            return unavailable(request, exception)
        if isinstance(exception, UnreadablePostError):
            return unreadable(request, exception)
        return None
