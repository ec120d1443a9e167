"""Bearer-key authentication with one auth instance per scope.

Each operation names the scope it needs (`auth=ApiKeyAuth("read")`), so the
rule is visible on the handler and in the OpenAPI spec. A bad, unknown or
revoked key answers 401; a good key without the scope answers 403 naming it.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from leadgate.leads.models import Lead, LeadQuerySet, User

from .models import SCOPES, ApiKey


class ApiKeyAuth(HttpBearer):
    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        # Keys are ASCII and short; anything else is not a key and is not
        # worth a database query.
        if not token or len(token) > 200 or not token.isascii():
            return None
        key = ApiKey.authenticate(token.strip())
        if key is None:
            return None
        if not key.has_scope(self.scope):
            raise AuthorizationError(message=f"this API key lacks the {self.scope!r} scope")
        return key


def key_of(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined]


def acting_user(request: HttpRequest) -> User | None:
    """The person the key acts for; None for a service key (the system)."""
    return key_of(request).user


def visible_leads(request: HttpRequest) -> LeadQuerySet:
    """Leads the caller may see: a service key has a manager's view."""
    user = acting_user(request)
    if user is None:
        return Lead.objects.all()
    return Lead.objects.visible_to(user)


read = ApiKeyAuth("read")
write = ApiKeyAuth("write")
intake = ApiKeyAuth("intake")
