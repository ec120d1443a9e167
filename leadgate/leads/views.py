from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .http import AuthedRequest
from .lifecycle import Role


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Send each person to the screen of their role."""
    user = request.user
    if user.has_role(Role.QUALIFIER):
        return redirect("desk")
    if user.has_role(Role.SALES):
        return redirect("inbox")
    if user.has_role(Role.MANAGER, Role.ADMIN):
        return redirect("dashboard")
    return redirect("funnel")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database failure means "not healthy"
        return JsonResponse(
            {"status": "error", "database": type(error).__name__}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """For orchestrators: 200 when the service can do its work (leads.health),
    503 naming what is missing."""
    ready, checks = health.readiness()
    return JsonResponse({"status": "ok" if ready else "error", **checks},
                        status=200 if ready else 503)
