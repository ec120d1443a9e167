"""Lead lists, saved views, bulk actions and the managers' unassigned view.

    GET  /leads/                      the list (filters, sort, page; ?view=<id> a saved view)
    POST /leads/views/save            keep the list's filters under a name (managers: share)
    POST /leads/views/<id>/delete     forget one of one's own views
    POST /leads/bulk                  a bulk action: first the confirmation, then (confirm=1) done
    GET  /leads/unassigned/           managers: team pools and leads routed nowhere

Who: everyone signed in lists the leads they may open and keeps views;
bulk actions as workspace.bulk says (a qualifier acts on their own leads only,
assigning is for managers and admins); the unassigned view is for managers
and admins.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Team
from leadgate.routing.pools import capped_count

from . import bulk, lists
from .models import SavedView
from .views import desk_tabs

# The list's columns, in order: the key of their sort (lists.SORTS) or None.
COLUMNS = [("name", "Name"), (None, "Company"), ("stage", "Stage"), ("owner", "Owner"),
           ("team", "Team"), ("source", "Source · campaign"), ("grade", "Grade"),
           ("country", "Country"), ("created", "Created"), ("touched", "Last touch"),
           ("due", "Next step")]
# The first click on these sorts the most recent (or the latest due) first.
NEWEST_FIRST = {"created", "touched"}


def _query(params: QueryDict, **changes: str) -> str:
    data = params.copy()
    for key, value in changes.items():
        if value:
            data[key] = value
        else:
            data.pop(key, None)
    return data.urlencode()


def _columns(params: QueryDict | None, sort: str = "") -> list[dict[str, str]]:
    """The table's headers: with a link that sorts by the column (or turns
    its sort around), and its state for aria-sort; no links without params."""
    columns = []
    for key, label in COLUMNS:
        column = {"label": label, "url": "", "state": ""}
        if key is not None and params is not None:
            current = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
            wanted = f"-{key}" if sort == key or (not current and key in NEWEST_FIRST) else key
            column.update(url="?" + _query(params, sort=wanted, page=""), state=current)
        columns.append(column)
    return columns


def _actions(request: AuthedRequest, only: tuple[str, ...] = ()) -> list[dict]:
    # An action with nothing to choose (no segment test running) is not offered.
    offered = [(action, action.choices(request.user))
               for action in bulk.actions_for(request.user) if not only or action.slug in only]
    return [{"action": action, "choices": choices} for action, choices in offered
            if choices or action.optional]


@login_required
@require_GET
def leads_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    params = request.GET.copy()
    view = None
    wanted = params.get("view", "")
    if wanted.isdigit():
        view = lists.view_for(user, int(wanted))
        if view is not None and not lists.kept(params):
            params = lists.as_query(view.filters)
            params["view"] = str(view.pk)
    form = lists.filters_of(params)
    form.is_valid()  # a wrong value is shown by its field; the others still filter
    data = form.cleaned_data
    sort = data.get("sort") or lists.DEFAULT_SORT
    page, rows = lists.page_of(lists.filtered(user, data), params.get("page", "1"))
    here = request.path + ("?" + params.urlencode() if params else "")
    return render(request, "workspace/leads_list.html", {
        "nav": "desk", "tab": "lists", "form": form, "page": page, "rows": rows,
        "paginator": page.paginator, "columns": _columns(params, sort),
        "page_query": _query(params, page=""), "query": _query(params, page="", view=""),
        "active": len([key for key in lists.kept(params) if key != "sort"]),
        "views": lists.views_for(user), "view": view, "may_share": lists.may_share(user),
        "teams": Team.objects.order_by("name") if lists.may_share(user) else [],
        "actions": _actions(request), "here": here, "selectable": bool(bulk.actions_for(user)),
        **desk_tabs(user),
    })


@login_required
@require_POST
def view_save(request: AuthedRequest) -> HttpResponse:
    user = request.user
    filters = lists.kept(QueryDict(request.POST.get("query", "")[:4000]))
    team = None
    if request.POST.get("team"):
        if not lists.may_share(user):
            raise PermissionDenied("only managers and admins share views with a team")
        team = get_object_or_404(Team, pk=request.POST["team"])
    try:
        view = lists.save_view(user, request.POST.get("name", ""), filters, team=team)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(reverse("leads-list") + "?" + urlencode(filters, doseq=True))
    messages.success(request, f"Saved the view “{view.name}”"
                     + (f", shared with {team.name}." if team else "."))
    return redirect(reverse("leads-list") + f"?view={view.pk}")


@login_required
@require_POST
def view_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("leads-list")


def _back(request: AuthedRequest) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    return reverse("leads-list")


@login_required
@require_POST
def bulk_action(request: AuthedRequest) -> HttpResponse:
    user = request.user
    action = bulk.ACTIONS.get(request.POST.get("action", ""))
    if action is None or not action.allowed(user):
        raise PermissionDenied("that bulk action is not for your role")
    back = _back(request)
    ids = [int(pk) for pk in request.POST.getlist("lead") if pk.isdigit()][:bulk.MAX_LEADS]
    value = request.POST.get(action.param, "")
    choices = dict(action.choices(user))
    if not ids:
        messages.error(request, "Select the leads first (the boxes at the start of each row).")
        return HttpResponseRedirect(back)
    if value not in choices or (value == "" and not action.optional):
        messages.error(request, f"{action.label}: choose the {action.param_label.lower()}.")
        return HttpResponseRedirect(back)
    if request.POST.get("confirm") != "1":
        leads = list(Lead.objects.visible_to(user).filter(pk__in=ids)
                     .select_related("owner").order_by("last_name", "first_name", "pk"))
        question = action.question(len(leads), choices[value])
        return render(request, "workspace/bulk_confirm.html", {
            "nav": "desk", "action": action, "value": value, "leads": leads, "back": back,
            "question": question, "answer": "Yes, " + question[0].lower() + question[1:-1]})
    report = bulk.run_many(action, ids, value, by=user)
    return render(request, "workspace/bulk_done.html", {
        "nav": "desk", "report": report, "back": back,
        "summary": f"{bulk.leads_word(len(report.done))} "
                   + action.done.format(label=report.label) + "."})


@login_required
@require_GET
def unassigned(request: AuthedRequest) -> HttpResponse:
    """Open leads without an owner: per team pool, and routed nowhere (no team)."""
    if not request.user.has_role(Role.MANAGER, Role.ADMIN):
        raise PermissionDenied("the unassigned view is for managers and admins")
    waiting = Lead.objects.open().filter(owner__isnull=True)
    teams = list(Team.objects.order_by("name"))
    pools = [{"key": str(team.pk), "name": team.name,
              "count": capped_count(waiting.filter(team=team))} for team in teams]
    nowhere = capped_count(waiting.filter(team__isnull=True))
    pool = request.GET.get("pool", "")
    chosen = waiting
    title = "Every unassigned lead"
    if pool == lists.NOBODY:
        chosen, title = waiting.filter(team__isnull=True), "Routed nowhere (no team)"
    elif pool.isdigit():
        team = next((team for team in teams if team.pk == int(pool)), None)
        if team is None:
            pool = ""
        else:
            chosen, title = waiting.filter(team=team), f"Pool of {team.name}"
    page, rows = lists.page_of(chosen.order_by("-created_at", "-pk"),
                               request.GET.get("page", "1"))
    return render(request, "workspace/unassigned.html", {
        "nav": "desk", "tab": "unassigned", "pools": pools, "nowhere": nowhere, "pool": pool,
        "total": capped_count(waiting), "title": title, "page": page, "rows": rows,
        "paginator": page.paginator, "page_query": _query(request.GET, page=""),
        "actions": _actions(request, only=("assign",)), "selectable": True,
        "here": request.get_full_path(), "columns": _columns(None), **desk_tabs(request.user),
    })
