from django.conf import settings
from django.http import HttpRequest

from .models import User


class AuthedRequest(HttpRequest):
    """The request of a view behind `login_required`: its user is one of ours.
    (For type checkers; Django sets `request.user` itself.)"""

    user: User


def page_number(request: HttpRequest) -> int:
    """The `page` query parameter, 1 when missing or not a number, capped."""
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def client_address(request: HttpRequest) -> str:
    """The client's IP: REMOTE_ADDR, unless a setting says a proxy of ours sets
    X-Forwarded-For; then its right-most entry, the one our proxy appended
    (entries further left are whatever the client claimed). One rule for every
    per-address limit: web form rates and log-in lockouts."""
    if settings.LEADGATE_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:100]
    return str(request.META.get("REMOTE_ADDR", ""))[:100]
