"""The manager's dashboard page (/reports/dashboard/): managers' and admins'
home (leads.views.home sends them here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .dashboard import today

ROLES = (Role.MANAGER, Role.ADMIN)


@login_required
@require_GET
def dashboard(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_role(*ROLES):
        raise PermissionDenied
    # "This month" is the manager's month (their zone is the current one).
    figures = today()
    return render(request, "reports/dashboard.html", {"nav": "reports", "today": figures})
