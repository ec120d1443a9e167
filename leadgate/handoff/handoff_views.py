"""Handing a lead off (the qualifier's review page), the handoff's detail page,
and sales' accept and reject. Thin: the work is in `flow`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import ON_DESK, Role
from leadgate.leads.models import Handoff, Lead, RejectReason, User
from leadgate.workspace.forms import sales_reps

from . import flow
from .views import furthest_outcomes, inbox_response

HANDOFF_ROLES = (Role.QUALIFIER, Role.MANAGER, Role.ADMIN)


def handoffs_visible_to(user: User) -> QuerySet[Handoff]:
    """Managers and admins: every handoff; a rep: those addressed to them; a
    qualifier: those of leads they may open."""
    handoffs = Handoff.objects.select_related("lead", "lead__account", "from_user", "to_user",
                                              "decided_by")
    if not user.is_authenticated or not user.is_active:
        return handoffs.none()
    if user.has_role(Role.MANAGER, Role.ADMIN):
        return handoffs
    scope = Q(pk__in=[])
    if user.has_role(Role.SALES):
        scope |= flow.addressed_to(user)
    if user.has_role(Role.QUALIFIER):
        scope |= Q(lead__in=Lead.objects.visible_to(user).values("pk"))
    return handoffs.filter(scope)


def can_hand_off(user: User, lead: Lead) -> bool:
    """Whether the lead page offers this user the handoff: a qualifier (or
    manager) on a lead that is on the desk and was qualified sales-ready."""
    return (user.has_role(*HANDOFF_ROLES) and lead.stage in ON_DESK
            and flow.has_sales_ready(lead))


class RepChoiceField(forms.ModelChoiceField):
    """A sales rep by the name people know them by."""

    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return obj.get_full_name() or obj.username


class HandoffForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "class": "wide"}),
                              max_length=5000,
                              required=False, label="Summary for the rep")
    to_user = RepChoiceField(
        queryset=User.objects.none(), required=False, label="Sales rep",
        empty_label="Choose a sales rep…",
        error_messages={"invalid_choice": "choose an active sales rep from the list"},
    )
    meeting_at = forms.DateTimeField(
        required=False, label="Proposed meeting (optional)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "enter a date and time"},
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}),
                           max_length=5000,
                           required=False, label="Note to the rep (optional)")

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(zone)
        rep_field = self.fields["to_user"]
        assert isinstance(rep_field, forms.ModelChoiceField)
        rep_field.queryset = sales_reps()
        # A placeholder only while no rep is chosen (none suggested, none sent).
        if self.initial.get("to_user") or (self.is_bound and self.data.get("to_user")):
            rep_field.empty_label = None

    def clean_meeting_at(self) -> datetime | None:
        value = self.cleaned_data.get("meeting_at")
        if value is None:
            return None
        # A datetime-local input is wall time in the user's zone.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return timezone.make_aware(naive, self.zone)


@login_required
@require_http_methods(["GET", "POST"])
def handoff_lead(request: AuthedRequest, lead_id: int) -> HttpResponse:
    """Review the composed dossier, pick the rep, optionally a meeting, and send."""
    user = request.user
    if not user.has_role(*HANDOFF_ROLES):
        raise PermissionDenied
    lead = get_object_or_404(
        Lead.objects.visible_to(user).select_related("account", "owner", "source", "campaign"),
        pk=lead_id,
    )
    dossier = flow.compose_dossier(lead)
    zone = user.display_time_zone
    status = 200
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = HandoffForm(request.POST, zone=zone)
        if form.is_valid():
            data = form.cleaned_data
            dossier["summary"] = data["summary"].strip() or dossier["summary"]
            try:
                handoff = flow.send(lead, by=user, to_user=data["to_user"], dossier=dossier,
                                    meeting_at=data["meeting_at"], note=data["note"])
            except flow.HandoffError as error:
                field = error.field if error.field in form.fields else "__all__"
                form.add_error(None if field == "__all__" else field, error.message)
            else:
                rep_name = handoff.to_user.get_full_name() or handoff.to_user.username
                messages.success(request, f"Handed off to {rep_name}.")
                return redirect("lead", pk=lead.pk)
        status = 400
        errors = {name: " ".join(map(str, errs)) for name, errs in form.errors.items()}
    else:
        rep = flow.suggest_rep(lead)
        form = HandoffForm(initial={"summary": dossier["summary"],
                                    "to_user": rep.pk if rep else None}, zone=zone)
    return render(request, "handoff/handoff_lead.html", {
        "nav": "desk", "lead": lead, "form": form, "dossier": dossier, "errors": errors,
        "sales_ready": flow.has_sales_ready(lead), "zone": zone,
    }, status=status)


@login_required
def handoff_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    handoff = get_object_or_404(handoffs_visible_to(request.user), pk=pk)
    flow.rep_emails([handoff])
    furthest_outcomes([handoff])
    return render(request, "handoff/detail.html", {
        "nav": "inbox", "handoff": handoff, "dossier": handoff.dossier or {},
        "may_decide": handoff.status == Handoff.Status.PENDING
        and flow.may_decide(handoff, request.user),
        "reasons": RejectReason.choices, "now": timezone.now(), "errors": {}, "values": {},
    })


def _decidable(request: AuthedRequest, pk: int) -> Handoff:
    """A handoff the user can see (else 404) and may decide (else 403)."""
    handoff = get_object_or_404(handoffs_visible_to(request.user), pk=pk)
    if not flow.may_decide(handoff, request.user):
        raise PermissionDenied
    return handoff


def _back(request: AuthedRequest, handoff: Handoff) -> HttpResponse:
    if request.POST.get("next") == "detail":
        return redirect("handoff-detail", pk=handoff.pk)
    return redirect("inbox")


@login_required
@require_POST
def handoff_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    handoff = _decidable(request, pk)
    try:
        flow.accept(handoff, by=request.user)
    except flow.HandoffError as error:
        return _refused(request, handoff, {error.field: error.message})
    messages.success(request, f"Accepted: {handoff.lead}.")
    return _back(request, handoff)


@login_required
@require_POST
def handoff_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    handoff = _decidable(request, pk)
    reason, text = request.POST.get("reason", ""), request.POST.get("text", "")
    try:
        flow.reject(handoff, by=request.user, reason=reason, text=text)
    except flow.HandoffError as error:
        return _refused(request, handoff, {error.field: error.message},
                        {"reason": reason, "text": text})
    messages.success(request, f"Rejected: {handoff.lead}. It went back.")
    return _back(request, handoff)


def _refused(request: AuthedRequest, handoff: Handoff, errors: dict[str, str],
             values: dict[str, str] | None = None) -> HttpResponse:
    """The page the form came from again, the error at its field, status 400."""
    values = values or {}
    if request.POST.get("next") == "detail":
        handoff.refresh_from_db()
        flow.rep_emails([handoff])
        return render(request, "handoff/detail.html", {
            "nav": "inbox", "handoff": handoff, "dossier": handoff.dossier or {},
            "may_decide": handoff.status == Handoff.Status.PENDING,
            "reasons": RejectReason.choices, "now": timezone.now(), "errors": errors,
            "values": values,
        }, status=400)
    return inbox_response(request, errors={handoff.pk: errors}, values={handoff.pk: values},
                          status=400)
