"""Log-in throttling (django-axes): the address failures are counted by, and the
page a locked-out log-in gets.

Axes counts failed log-ins per username *and* client address (settings.py); at
the limit that pair is refused, even with the right password, until the cool-off
has passed since its last attempt or an admin deletes its access attempt.
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .http import client_address


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the same address the web form limits use.

    None rather than "" when there is none: axes keeps it in a
    GenericIPAddressField, where "" is stored as NULL on PostgreSQL and then
    `= ''` matches no row, so those failures would never add up to a lockout."""
    return client_address(request) or None


def cool_off_minutes(request: HttpRequest | None = None) -> int | None:
    """Whole minutes of the cool-off (rounded up); None when only an admin unlocks."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    return max(1, math.ceil(cool_off.total_seconds() / 60))


def locked_out(request: HttpRequest, response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with our own page instead of axes' bare text.

    Every attempt while locked out restarts the cool-off (settings.py), so the
    whole cool-off is what is left from now on."""
    minutes = cool_off_minutes(request)
    page = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if minutes:
        page["Retry-After"] = str(minutes * 60)
    return page
