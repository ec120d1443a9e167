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
