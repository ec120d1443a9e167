"""The search box in the header, and the account page its results lead to.

    GET /search/?q=ada+lov        the results page (htmx: the drop-down list)
    GET /accounts/<id>/           an account: its firmographics, every lead
                                  with its stage and owner, open handoffs and
                                  outcomes

Both show only what the viewer may see (leads.search, LeadQuerySet.visible_to).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leadgate.intake.manual_views import ENTRY_ROLES
from leadgate.leads.http import AuthedRequest, is_htmx
from leadgate.leads.lifecycle import CLOSED
from leadgate.leads.models import Handoff, Lead, Outcome
from leadgate.leads.search import MIN_WORD, search, visible_accounts

from .account_views import may_edit

MAX_QUERY = 200


@login_required
@require_GET
def search_page(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:MAX_QUERY]
    found = search(request.user, query, limit=8 if is_htmx(request) else 50)
    context = {"nav": "search", "query": query, "found": found, "min_word": MIN_WORD}
    template = "workspace/_search_results.html" if is_htmx(request) else "workspace/search.html"
    return render(request, template, context)


@login_required
@require_GET
def account_page(request: AuthedRequest, pk: int) -> HttpResponse:
    account = visible_accounts(request.user).select_related("owner").filter(pk=pk).first()
    if account is None:
        raise Http404("no such account")
    leads = (Lead.objects.visible_to(request.user).filter(account=account)
             .select_related("owner", "team").order_by("-created_at"))
    handoffs = (Handoff.objects.filter(lead__in=leads, status=Handoff.Status.PENDING)
                .select_related("lead", "to_user").order_by("-created_at"))
    outcomes = (Outcome.objects.filter(lead__in=leads).select_related("lead", "by")
                .order_by("-at"))
    figures = leads.aggregate(total=Count("pk"), open=Count("pk", filter=~Q(stage__in=CLOSED)))
    won = outcomes.filter(kind=Outcome.Kind.WON).aggregate(amount=Sum("amount"))["amount"]
    return render(request, "workspace/account.html", {
        "nav": "search", "account": account, "leads": leads, "handoffs": handoffs,
        "outcomes": outcomes, "figures": figures, "won": won,
        "currency": settings.LEADGATE_CURRENCY, "may_edit": may_edit(request.user, account),
        "may_add_lead": request.user.has_role(*ENTRY_ROLES)})
