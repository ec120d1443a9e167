"""The qualifier's screens: the desk (my open leads) and the lead page.

Views stay thin: visibility comes from `Lead.objects.visible_to()`, moves go
through `leadgate.leads.transitions.advance()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import F, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from leadgate.intake.merge import MergeError, split_inquiry
from leadgate.intake.models import Activity, Inquiry
from leadgate.leads.http import AuthedRequest, is_htmx, page_number
from leadgate.leads.lifecycle import FUNNEL, TRANSITIONS, IllegalMove, Role, Stage, check_move
from leadgate.leads.models import Handoff, Lead, Outcome, Task, Team, Touch, User
from leadgate.leads.transitions import advance
from leadgate.routing import experiments, pools
from leadgate.routing.assign import reassign
from leadgate.routing.forms import ReassignForm, active_qualifiers, reassign_refusal
from leadgate.routing.models import Assignment
from leadgate.scoring.models import LeadScore
from leadgate.scoring.predict import explain

from .forms import StageForm
from .queue import QueueItem, claim, claimed_by_other, claims_on_opening, queue_for

DESK_PAGE_SIZE = 50
# Each kind of event shown on the lead page, newest first; older ones stay in
# the database (and the admin) but the page stays fast for a lead with a long life.
TIMELINE_LIMIT = 100
AMOUNT_STAGES = {Stage.OPPORTUNITY, Stage.WON}
DESK_ROLES = (Role.QUALIFIER, Role.MANAGER, Role.ADMIN)



def desk_tabs(user: User) -> dict[str, Any]:
    """What the desk's tabs show: the counts of the pools the user sees
    (capped, see routing.pools) and whether the user sees every pool."""
    return {"counts": pools.desk_counts(user), "every_pool": pools.sees_every_pool(user)}


def give_to_choices(user: User) -> list[User]:
    """Whom a manager may give a waiting lead to from the desk: any active
    qualifier (a qualifier takes a lead of their team's pool themselves)."""
    return list(active_qualifiers()) if pools.sees_every_pool(user) else []


@login_required
@require_GET
def desk(request: AuthedRequest) -> HttpResponse:
    """My open leads (`?tab=all`), the pool I see (`?tab=pool`: my team's, or
    every team's for managers, `&team=<id>` for one) or, for managers, the
    unrouted pool (`?tab=unrouted`); next task due first, then newest.

    Paged by slicing one row past the page, so no COUNT(*) of the list is ever
    run (the tabs' counts stop at routing.pools.COUNT_CAP); the queries use the
    (owner, stage, created_at) and (team, stage) indexes.
    """
    user = request.user
    if not user.has_role(*DESK_ROLES):
        raise PermissionDenied
    tab = request.GET.get("tab")
    team = None
    if tab == "unrouted":
        if not pools.sees_every_pool(user):
            raise PermissionDenied
        leads = pools.unrouted()
    elif tab == "pool":
        leads = pools.pool_of(user)
        team_id = request.GET.get("team", "")
        if pools.sees_every_pool(user) and team_id.isdigit():
            team = Team.objects.filter(pk=int(team_id)).first()
            leads = leads.filter(team=team)
    else:
        tab = "mine"
        leads = Lead.objects.visible_to(user).on_desk().filter(owner=user)
    next_task = (
        Task.objects.filter(lead=OuterRef("pk"), done_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    leads = (
        leads.select_related("account", "team")
        .annotate(next_due=Subquery(next_task))
        .order_by(F("next_due").asc(nulls_last=True), "-created_at", "-pk")
    )
    page = page_number(request)
    start = (page - 1) * DESK_PAGE_SIZE
    rows = list(leads[start : start + DESK_PAGE_SIZE + 1])
    waiting = tab in ("pool", "unrouted")
    return render(
        request,
        "workspace/desk.html",
        {
            "nav": "desk",
            "tab": tab,
            "tab_param": "all" if tab == "mine" else tab,
            "team": team,
            "teams": (list(Team.objects.order_by("name"))
                      if tab == "pool" and pools.sees_every_pool(user) else []),
            "leads": rows[:DESK_PAGE_SIZE],
            "page": page,
            "has_next": len(rows) > DESK_PAGE_SIZE,
            "has_previous": page > 1,
            "now": timezone.now(),
            "give_to": give_to_choices(user) if waiting else [],
            "can_take": waiting and tab == "pool" and user.has_role(Role.QUALIFIER),
            "here": request.get_full_path(),
            **desk_tabs(user),
        },
    )


def visible_lead(request: AuthedRequest, pk: int) -> Lead:
    """The lead if this user may see it, else 404 (not 403: do not confirm it exists)."""
    leads = Lead.objects.visible_to(request.user).select_related(
        "account", "owner", "team", "source", "campaign"
    )
    return get_object_or_404(leads, pk=pk)


@dataclass
class Event:
    at: datetime
    kind: str
    obj: Any
    extra: dict = field(default_factory=dict)


def timeline(lead: Lead) -> list[Event]:
    """Inquiries, touches, marketing activities, stage changes, handoffs (and their decisions) and
    outcomes of the lead, newest first."""
    events: list[Event] = []
    for inquiry in (
        Inquiry.objects.filter(lead=lead)
        .select_related("source", "campaign")
        .order_by("-received_at")[:TIMELINE_LIMIT]
    ):
        events.append(Event(inquiry.received_at, "inquiry", inquiry))
    for touch in (
        Touch.objects.filter(lead=lead).select_related("actor").order_by("-at")[:TIMELINE_LIMIT]
    ):
        events.append(Event(touch.at, "touch", touch))
    for activity in Activity.objects.filter(lead=lead).order_by("-at")[:TIMELINE_LIMIT]:
        events.append(Event(activity.at, "activity", activity))
    # When each won or lost move was made (by cycle): its outcome is placed there.
    closed_moves: dict[tuple[int, str], datetime] = {}
    for change in lead.stage_changes.select_related("by").order_by("-at", "-pk")[:TIMELINE_LIMIT]:
        events.append(Event(change.at, "stage", change))
        if change.to_stage in (Outcome.Kind.WON, Outcome.Kind.LOST):
            closed_moves.setdefault((change.cycle, change.to_stage), change.at)
    for handoff in (
        Handoff.objects.filter(lead=lead)
        .select_related("from_user", "to_user")
        .order_by("-created_at")[:TIMELINE_LIMIT]
    ):
        events.append(Event(handoff.created_at, "handoff", handoff))
        if handoff.decided_at:
            events.append(Event(handoff.decided_at, "decision", handoff))
    for outcome in (
        Outcome.objects.filter(lead=lead).select_related("by")
        .order_by("-at", "-pk")[:TIMELINE_LIMIT]
    ):
        # A win or loss is entered with the day it closed ("closed on", noon
        # UTC): it sits where it was recorded, with its stage move, and says
        # the day it closed; not among the touches of that day.
        recorded = closed_moves.get((outcome.cycle, outcome.kind), outcome.at)
        extra = {"closed_on": outcome.at.date()} if recorded != outcome.at else {}
        events.append(Event(recorded, "outcome", outcome, extra))
    # Stable sort: within one instant the order above holds, newest first
    # (a stage move shows above the handoff or outcome that made it).
    events.sort(key=lambda event: event.at, reverse=True)
    return events


def stage_moves(lead: Lead, user, errors: dict, submitted: dict) -> list[dict]:
    """One small form per stage this user may move the lead to now. Not
    `qualified`: that move is the handoff (its own page, offered once the lead
    has a sales-ready verdict), never a plain button."""
    moves = []
    allowed = TRANSITIONS[Stage(lead.stage)]
    for target in lead.next_stages(user):
        if target == Stage.QUALIFIED:
            continue
        mine = submitted.get("target") == target.value
        moves.append(
            {
                "target": target.value,
                "label": target.label,
                "reason_required": allowed[target].reason_required,
                "needs_amount": target in AMOUNT_STAGES,
                "errors": errors if mine else {},
                "values": submitted if mine else {},
                "style": (
                    "danger" if target in (Stage.DISQUALIFIED, Stage.REJECTED, Stage.LOST)
                    else "primary" if target in FUNNEL else ""
                ),
            }
        )
    return moves


def lead_context(
    request: AuthedRequest, lead: Lead, *, errors: dict | None = None,
    submitted: dict | None = None, notice: str = "",
) -> dict:
    errors, submitted = errors or {}, submitted or {}
    moves = stage_moves(lead, request.user, errors, submitted)
    shown = {move["target"] for move in moves}
    # An error about a move that has no form on the page (an illegal target,
    # a role that may not make it) shows above the moves.
    panel_errors = [] if submitted.get("target") in shown else list(errors.values())
    return {
        "nav": "desk",
        "lead": lead,
        "moves": moves,
        "panel_errors": panel_errors,
        "tasks": lead.tasks.open().select_related("assignee").order_by("due_at")[:20],
        "events": timeline(lead),
        "segment_tests": experiments.arms_of(lead),
        "notice": notice,
        # An inquiry that joined by email or phone may be split off again.
        "can_split": request.user.has_role(*DESK_ROLES) and lead.inquiries.count() > 1,
        **score_context(lead),
    }


def score_context(lead: Lead) -> dict:
    """The lead's scores and why: rule reasons, strongest first, and the lead
    model's reasons (computed now: they are not stored)."""
    score = LeadScore.objects.select_related("model_version").filter(lead=lead).first()
    if score is None:
        return {"score": None, "score_reasons": [], "model_reasons": []}
    reasons = sorted(score.reasons, key=lambda reason: -abs(reason.get("points") or 0))
    for reason in reasons:  # ISO text in JSON; a datetime for the template's date filter
        reason["when"] = parse_datetime(reason["at"]) if reason.get("at") else None
    return {"score": score, "score_reasons": reasons,
            "model_reasons": explain(lead) if score.probability is not None else []}


# --- working lead after lead: the lead's place in the viewer's queue ---------------------


def _scheduled_later(items: list[QueueItem]) -> set[int]:
    """Of the queue's "score" leads (no task due), those with an open task due
    later: a next step is already set for them. One query."""
    ids = [item.lead.pk for item in items if item.reason == "score"]
    if not ids:
        return set()
    return set(Task.objects.filter(lead_id__in=ids, done_at__isnull=True)
               .values_list("lead_id", flat=True))


def next_to_call(user: User, *, after: Lead, items: list[QueueItem] | None = None
                 ) -> QueueItem | None:
    """The lead to work after `after` (power-dialer style): the first of the
    user's queue, in the desk's order, that is not `after`, is callable now
    (not held back outside its calling hours), nobody else has open, and has
    no next step set for later (a lead just worked gets one: it is not called
    again in the same run). None: nothing left to call now."""
    items = queue_for(user) if items is None else items
    candidates = [item for item in items if item.lead.pk != after.pk and not item.held_back
                  and item.claimed_by is None]
    later = _scheduled_later(candidates)
    return next((item for item in candidates if item.lead.pk not in later), None)


def queue_place(user: User, lead: Lead) -> dict[str, Any] | None:
    """Where the lead sits in the user's queue (the desk's order, held-back
    leads last): its position, the leads before and after it (`k`/`j` on the
    page), or, for a lead not in the queue or the last one, the next lead to
    call. None for a user without a desk."""
    if not user.has_role(*DESK_ROLES):
        return None
    items = queue_for(user)
    if not items and not user.has_role(Role.QUALIFIER):
        return None  # a manager or an admin with nothing of their own to call
    at = next((index for index, item in enumerate(items) if item.lead.pk == lead.pk), None)
    previous = items[at - 1] if at else None
    following = items[at + 1] if at is not None and at + 1 < len(items) else None
    if following is None:
        following = next_to_call(user, after=lead, items=items)
    return {"position": None if at is None else at + 1, "total": len(items),
            "previous": previous, "next": following}


@login_required
@require_GET
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = visible_lead(request, pk)
    context = lead_context(request, lead)
    # A qualifier who may work the lead claims it by opening it (others see it
    # is being worked; None: it is theirs now); anyone else only sees who has it.
    context["claimed_by"] = (claim(lead, request.user) if claims_on_opening(lead, request.user)
                             else claimed_by_other(lead, request.user))
    if is_htmx(request):
        return render(request, "workspace/_lead_panel.html", context)
    context["queue_place"] = queue_place(request.user, lead)
    return render(request, "workspace/lead.html", context)


@login_required
@require_POST
def lead_stage(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move the lead. Success: redirect to the lead (htmx: the re-rendered panel).
    A refused move: the page again with the error at its field, status 400."""
    lead = visible_lead(request, pk)
    form = StageForm(request.POST)
    submitted = {
        key: request.POST.get(key, "") for key in ("target", "reason", "amount")
    }
    errors: dict[str, str] = {}
    if form.is_valid():
        data = form.cleaned_data
        try:
            # Checked here too, so a refused move never touches the database.
            check_move(lead.stage, data["target"], request.user.roles, data["reason"])
            # No verdict: `qualified` is refused here, pointing at the handoff.
            advance(lead, data["target"], by=request.user, reason=data["reason"],
                    amount=data["amount"])
        except IllegalMove as error:
            errors[error.field] = str(error)
        except IntegrityError:
            # Someone else handed the lead off at the same moment.
            errors["stage"] = "the lead changed meanwhile; reload and try again"
    else:
        errors = {name: " ".join(map(str, errs)) for name, errs in form.errors.items()}
        if "target" in errors:
            errors["stage"] = errors.pop("target")
    if errors:
        lead = visible_lead(request, pk)
        template = "workspace/_lead_panel.html" if is_htmx(request) else "workspace/lead.html"
        context = lead_context(request, lead, errors=errors, submitted=submitted)
        return render(request, template, context, status=400)
    notice = f"Moved to {Stage(form.cleaned_data['target']).label}."
    # The lead may have left this user's sight with the move (rare): then home.
    moved = (
        Lead.objects.visible_to(request.user)
        .select_related("account", "owner", "team", "source", "campaign")
        .filter(pk=pk)
        .first()
    )
    if is_htmx(request):
        if moved is None:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("home")
            return response
        return render(
            request, "workspace/_lead_panel.html", lead_context(request, moved, notice=notice)
        )
    messages.success(request, notice)
    return redirect("lead", pk=pk) if moved is not None else redirect("home")


@login_required
@require_POST
def split_inquiry_view(request: AuthedRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    """An inquiry intake attached by email or phone belongs to someone else:
    make it a lead of its own."""
    if not request.user.has_role(*DESK_ROLES):
        raise PermissionDenied
    lead = visible_lead(request, pk)
    inquiry = get_object_or_404(Inquiry, pk=inquiry_pk, lead=lead)
    try:
        new = split_inquiry(inquiry, by=request.user, reason=request.POST.get("reason", ""))
    except MergeError as error:
        messages.error(request, f"Not split: {error}")
        return redirect("lead", pk=lead.pk)
    messages.success(request, f"The inquiry is now a lead of its own (split off lead {lead.pk}).")
    return redirect("lead", pk=new.pk)


@login_required
@require_POST
def lead_reassign(request: AuthedRequest, pk: int) -> HttpResponse:
    """Give the lead to another qualifier by hand (routing's rules: who may
    give to whom, forms.reassign_refusal; the move, assign.reassign). From a
    pool on the desk, back to it; a refusal: the lead page with the error at
    the form, status 400."""
    by = request.user
    if not by.has_role(Role.QUALIFIER, Role.MANAGER, Role.ADMIN):
        raise PermissionDenied
    lead = visible_lead(request, pk)
    form = ReassignForm(request.POST)
    errors: dict[str, str] = {}
    to_user: User | None = None
    if form.is_valid():
        to_user = User.objects.filter(pk=form.cleaned_data["to_user"]).first()
        refusal = reassign_refusal(by, lead, to_user)
        if refusal is not None or to_user is None:
            errors["to_user"] = refusal or "no such user"
        else:
            try:
                reassign(lead, to_user, by=by, why=Assignment.Why.MANUAL,
                         note=form.cleaned_data["note"])
            except IllegalMove as error:
                errors[error.field] = str(error)
    else:
        errors = {name: " ".join(map(str, errs)) for name, errs in form.errors.items()}
    if errors:
        lead = visible_lead(request, pk)
        context = lead_context(request, lead)
        context.update(reassign_errors=errors, reassign_values={
            "to_user": request.POST.get("to_user", ""), "note": request.POST.get("note", "")})
        return render(request, "workspace/lead.html", context, status=400)
    assert to_user is not None
    name = lead.name or lead.email or f"lead {lead.pk}"
    messages.success(request, f"Gave {name} to {to_user.get_full_name() or to_user.username}.")
    # From a pool on the desk: back to it (a local address only).
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    still_visible = Lead.objects.visible_to(by).filter(pk=pk).exists()
    return redirect("lead", pk=pk) if still_visible else redirect("desk")
