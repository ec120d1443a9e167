"""Every page, fragment and export in the viewer's time zone.

Activated per request for the signed-in user (their own zone, else the
site's), so a fragment that htmx or the live queue re-fetches draws its times
as the page around it did; templates and views then use Django's current
time zone and never pick one themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(user.display_time_zone):
            return self.get_response(request)
