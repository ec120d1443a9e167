"""Helpers for API tests: issue a key and call the API with it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from leadgate.api.models import ApiKey
from leadgate.leads.models import User

ALL_SCOPES = ("read", "write", "intake")


def make_key(user: User | None = None, scopes: tuple[str, ...] = ALL_SCOPES,
             name: str = "test key") -> str:
    """The raw key of a new API key (a service key when `user` is None)."""
    return ApiKey.issue(name=name, scopes=list(scopes), user=user)[1]


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def api_get(key: str | None, path: str, **params: Any):
    headers = bearer(key) if key else {}
    return Client().get(f"/api/v1{path}", params, **headers)


def api_post(key: str | None, path: str, body: Any):
    headers = bearer(key) if key else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(f"/api/v1{path}", data, content_type="application/json", **headers)
