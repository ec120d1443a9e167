"""The API's error bodies: {"detail": str, "field": str | None}, and for a
422 also "errors", the list a validation error gives (one entry per error),
so that every 422 has the shape ValidationErrorOut declares."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


def problem(detail: str, field: str | None = None, status: int = 422) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "field": field}
    if status == 422:
        body["errors"] = [{"field": field, "loc": [field] if field else [], "msg": detail,
                           "type": "invalid"}]
    return body


def error(status: int, detail: str, field: str | None = None) -> JsonResponse:
    """An error answered before (or outside) the API's own handlers."""
    return JsonResponse(problem(detail, field, status), status=status)
