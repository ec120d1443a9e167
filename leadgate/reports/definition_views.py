"""The lead definition page: the MQL rule and the sales-ready questions in
force, who agreed to them, and the versions before (see `definition`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .definition import (
    VIEW_ROLES,
    AgreementRefused,
    agree,
    current_definition,
    history,
    side_of,
    status,
)

# Who may open the scoring rules the MQL rule comes from (scoring.views).
RULES_ROLES = (Role.MANAGER, Role.MARKETING, Role.ADMIN)


@login_required
@require_http_methods(["GET", "POST"])
def lead_definition(request: AuthedRequest) -> HttpResponse:
    """GET: the page. POST: the user agrees to the definition they read
    (its digest is posted back), then back to the page."""
    user = request.user
    if not user.has_role(*VIEW_ROLES):
        raise PermissionDenied
    if request.method == "POST":
        return agree_and_return(request)
    definition = current_definition()
    agreed = status(definition)
    side = side_of(user)
    mine = next((a for a in agreed.agreements if a.user_id == user.pk), None)
    return render(request, "reports/definition.html", {
        "nav": "definition",
        "definition": definition,
        "status": agreed,
        "managers": agreed.by("manager"),
        "sales": agreed.by("sales"),
        "mine": mine,
        "side": side,
        "may_see_rules": user.has_role(*RULES_ROLES),
        "may_agree": side is not None and mine is None and definition.ruleset_version is not None,
        "history": history(definition),
    })


def agree_and_return(request: AuthedRequest) -> HttpResponse:
    if side_of(request.user) is None:
        raise PermissionDenied
    try:
        agreement, created = agree(request.user,
                                   expected_digest=request.POST.get("digest") or None)
    except AgreementRefused as refused:
        messages.error(request, str(refused))
        return redirect("lead-definition")
    if created:
        messages.success(request, f"You agreed to the lead definition "
                                  f"(rules v{agreement.ruleset_version}).")
    else:
        messages.info(request, "You had already agreed to this version of the definition.")
    return redirect("lead-definition")
