"""The sales rep's inbox: leads handed to them, waiting ones first."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .models import Handoff

INBOX_LIMIT = 100
DOSSIER_ITEMS = 4
DOSSIER_CHARS = 140


def dossier_summary(dossier) -> list[tuple[str, str]]:
    """The first few answers of a dossier as (label, text), shortened."""
    if not isinstance(dossier, dict):
        return [("notes", str(dossier)[:DOSSIER_CHARS])] if dossier else []
    summary = []
    for key, value in list(dossier.items())[:DOSSIER_ITEMS]:
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if len(text) > DOSSIER_CHARS:
            text = text[: DOSSIER_CHARS - 1] + "…"
        summary.append((str(key).replace("_", " "), text))
    return summary


@login_required
@require_GET
def inbox(request: AuthedRequest) -> HttpResponse:
    """Pending handoffs (oldest first: they are waiting), then recent decisions.

    A sales rep sees what was handed to them; a manager or admin who is not a
    rep sees every team's handoffs. Both lists use the handoff_inbox index.
    """
    user = request.user
    if not user.has_role(Role.SALES, Role.MANAGER, Role.ADMIN):
        raise PermissionDenied
    overview = not user.has_role(Role.SALES)
    handoffs = Handoff.objects.select_related(
        "lead", "lead__account", "from_user", "to_user"
    )
    if not overview:
        handoffs = handoffs.filter(to_user=user)
    pending = list(
        handoffs.filter(status=Handoff.Status.PENDING).order_by("created_at", "pk")[:INBOX_LIMIT]
    )
    decided = list(
        handoffs.exclude(status=Handoff.Status.PENDING).order_by("-created_at", "-pk")[
            :INBOX_LIMIT
        ]
    )
    return render(
        request,
        "handoff/inbox.html",
        {
            "nav": "inbox",
            "pending": [(h, dossier_summary(h.dossier)) for h in pending],
            "decided": [(h, dossier_summary(h.dossier)) for h in decided],
            "overview": overview,
        },
    )
