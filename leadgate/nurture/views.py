"""The nurture pages, under /nurture/: the cadences, one cadence with its
versions and figures, the step editor, the preview of a step for a lead;
and the lead page's enrollment panel's two buttons (enroll, stop).

Managers, marketing and admins build and edit cadences; qualifiers read them
(they work the tasks cadences make); everyone else gets 403. Building is in
`cadences`, enrolling and stopping in `engine`; these views only choose the
page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import IllegalMove, Role, Stage
from leadgate.leads.models import Lead

from . import cadences, templating
from .forms import CadenceForm, Editor, PreviewForm, editor_action
from .models import Cadence, CadenceVersion, Enrollment, Step

EDIT_ROLES = (Role.MANAGER, Role.MARKETING, Role.ADMIN)
READ_ROLES = (*EDIT_ROLES, Role.QUALIFIER)
# Who may enroll a lead or stop its cadence from the lead page.
PANEL_ROLES = (Role.QUALIFIER, Role.MANAGER, Role.ADMIN)
PREVIEW_SUGGESTIONS = 20


def require(request: AuthedRequest, roles: tuple[str, ...]) -> None:
    if not request.user.has_role(*roles):
        raise PermissionDenied


def page(request: AuthedRequest, template: str, context: dict[str, Any],
         status: int = 200) -> HttpResponse:
    return render(request, template, {
        "nav": "nurture", "can_edit": request.user.has_role(*EDIT_ROLES), **context,
    }, status=status)


# --- the cadences ----------------------------------------------------------------------


@login_required
@require_GET
def cadence_list(request: AuthedRequest) -> HttpResponse:
    require(request, READ_ROLES)
    rows = list(Cadence.objects.select_related("next_cadence").order_by("archived_at", "name"))
    # Each cadence's current version and its steps: two queries for the page.
    current: dict[int, CadenceVersion] = {}
    for version in CadenceVersion.objects.filter(cadence__in=rows).order_by("number"):
        current[version.cadence_id] = version
    kinds: dict[int, list[Step]] = {}
    for step in Step.objects.filter(version__in=current.values()).order_by("position"):
        kinds.setdefault(step.version_id, []).append(step)
    live = cadences.live_counts(rows)
    items = [{"cadence": cadence, "version": current.get(cadence.pk),
              "steps": kinds.get(getattr(current.get(cadence.pk), "pk", 0), []),
              "live": live.get(cadence.pk, 0)} for cadence in rows]
    return page(request, "nurture/cadence_list.html", {"items": items})


@login_required
@require_http_methods(["GET", "POST"])
def cadence_new(request: AuthedRequest) -> HttpResponse:
    require(request, EDIT_ROLES)
    form = CadenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cadence = cadences.create_cadence(
                data["name"], by=request.user, description=data["description"],
                role=data["role"], next_cadence=data["next_cadence"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Created the cadence “{cadence.name}”: now its steps.")
            return redirect("nurture-cadence-edit", pk=cadence.pk)
    status = 400 if request.method == "POST" else 200
    return page(request, "nurture/cadence_new.html", {"form": form}, status=status)


def shown_version(request: AuthedRequest, cadence: Cadence) -> CadenceVersion:
    """The version asked for (?version=N), else the current one."""
    versions = cadence.versions.all()
    number = request.GET.get("version", "")
    if number.isdigit():
        return get_object_or_404(versions, number=int(number))
    version = versions.order_by("-number").first()
    if version is None:
        raise Http404("this cadence has no version")
    return version


@login_required
@require_GET
def cadence_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require(request, READ_ROLES)
    cadence = get_object_or_404(Cadence.objects.select_related("next_cadence", "created_by"),
                                pk=pk)
    version = shown_version(request, cadence)
    versions = list(cadence.versions.select_related("created_by").annotate(
        total=Count("enrollments"),
        live=Count("enrollments", filter=Q(enrollments__status__in=Enrollment.LIVE)),
    ).order_by("-number"))
    stats = cadences.step_stats(version)
    return page(request, "nurture/cadence_detail.html", {
        "cadence": cadence, "version": version, "versions": versions,
        "current": versions[0] if versions else None, "stats": stats,
        "ab_steps": [row for row in stats if len(row.variants) > 1],
        "preview_form": PreviewForm(steps=[row.step for row in stats if row.step],
                                    initial={"step": 1, "variant": "A"}),
        "preview_leads": preview_leads(request),
    })


@login_required
@require_http_methods(["GET", "POST"])
def cadence_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    require(request, EDIT_ROLES)
    cadence = get_object_or_404(Cadence, pk=pk)
    previous = cadence.current_version()
    if request.method == "GET":
        specs = cadences.specs_of(previous) if previous else []
        return editor_page(request, cadence, previous, Editor.for_cadence(cadence, specs))
    action = editor_action(request.POST)
    if action != "save":
        editor = Editor.rearranged(cadence, request.POST, action)
        return editor_page(request, cadence, previous, editor)
    editor = Editor.submitted(cadence, request.POST)
    if not editor.is_valid():
        return editor_page(request, cadence, previous, editor, status=400)
    try:
        with transaction.atomic():
            editor.settings.save()
            version = cadences.save_steps(cadence, editor.specs(), by=request.user,
                                          note=editor.note)
    except ValidationError as error:
        editor.add_errors(error)
        return editor_page(request, cadence, previous, editor, status=400)
    messages.success(request, saved_message(previous, version))
    return redirect("nurture-cadence", pk=cadence.pk)


def saved_message(previous: CadenceVersion | None, version: CadenceVersion) -> str:
    if previous is None or version.number == previous.number:
        return f"Saved version {version.number}."
    still = previous.enrollments.filter(status=Enrollment.Status.ACTIVE).count()
    if not still:
        return (f"Saved as version {version.number}; version {previous.number} stays as "
                "history (no lead is on it now).")
    return (f"Saved as version {version.number}; {still} enrolled lead{pluralize(still)} "
            f"finish{pluralize(still, 'es,')} version {previous.number}.")


def editor_page(request: AuthedRequest, cadence: Cadence, current: CadenceVersion | None,
                editor: Editor, status: int = 200) -> HttpResponse:
    in_use = current.in_use if current else False
    return page(request, "nurture/cadence_edit.html", {
        "cadence": cadence, "current": current, "in_use": in_use, "editor": editor,
        "fields_help": fields_help(), "max_steps": cadences.MAX_STEPS,
    }, status=status)


def fields_help() -> list[tuple[str, str]]:
    """Each merge field as written in a template, with what it holds."""
    meanings = [meaning for names in templating.FIELDS.values() for meaning in names.values()]
    return list(zip(templating.fields_help(), meanings, strict=True))


@login_required
@require_POST
def cadence_archive(request: AuthedRequest, pk: int) -> HttpResponse:
    require(request, EDIT_ROLES)
    cadence = get_object_or_404(Cadence, pk=pk)
    archived = request.POST.get("archived") == "1"
    cadences.set_archived(cadence, archived)
    messages.success(request, f"Archived “{cadence.name}”: it takes no new leads; enrolled "
                              "leads finish it." if archived
                     else f"“{cadence.name}” takes new leads again.")
    return redirect("nurture-cadence", pk=cadence.pk)


# --- the preview -----------------------------------------------------------------------


def preview_leads(request: AuthedRequest) -> list[Lead]:
    """A few leads to try the words on: the user's own in nurture first."""
    leads = Lead.objects.visible_to(request.user).filter(stage=Stage.NURTURE)
    return list(leads.order_by("-stage_changed_at")[:PREVIEW_SUGGESTIONS])


@login_required
@require_GET
def cadence_preview(request: AuthedRequest, pk: int) -> HttpResponse:
    """A step's words filled in for a lead the user may see (404 otherwise:
    the page must not tell what it cannot show)."""
    require(request, READ_ROLES)
    cadence = get_object_or_404(Cadence, pk=pk)
    version = shown_version(request, cadence)
    steps = version.ordered_steps()
    form = PreviewForm(request.GET if "lead" in request.GET else None, steps=steps,
                       initial={"variant": "A"})
    context: dict[str, Any] = {"cadence": cadence, "version": version, "form": form,
                               "current": cadence.current_version(),
                               "fields_help": fields_help(),
                               "preview_leads": preview_leads(request)}
    if not form.is_bound:
        return page(request, "nurture/preview.html", context)
    if not form.is_valid():
        return page(request, "nurture/preview.html", context, status=400)
    lead = get_object_or_404(Lead.objects.visible_to(request.user)
                             .select_related("account", "owner"), pk=form.cleaned_data["lead"])
    step = steps[form.cleaned_data["step"] - 1]
    variants = list(step.variants.all())
    variant = next((v for v in variants if v.label == form.cleaned_data["variant"]),
                   variants[0] if variants else None)
    context.update({"lead": lead, "step": step, "variant": variant,
                    "rendered": rendered(step, variant, lead)})
    return page(request, "nurture/preview.html", context)


def rendered(step: Step, variant: Any, lead: Lead) -> dict[str, str]:
    """The step's parts filled in for the lead; a part that cannot be is
    replaced by why (as the engine would refuse to send it)."""
    merge = templating.context_for(lead)
    parts = {"instructions": (step.instructions, False)}
    if variant is not None:
        parts.update({"subject": (variant.subject, False), "text": (variant.text_body, False),
                      "html": (variant.html_body, True)})
    out: dict[str, str] = {}
    for name, (text, html) in parts.items():
        if not text:
            continue
        try:
            out[name] = templating.render(text, merge, html=html)
        except templating.TemplateProblem as error:
            out[f"{name}_error"] = str(error)
    return out


# --- the lead page's panel -------------------------------------------------------------


def panel_lead(request: AuthedRequest, pk: int) -> Lead:
    require(request, PANEL_ROLES)
    return get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)


def back_to_lead(lead: Lead) -> HttpResponse:
    return redirect(reverse("lead", args=[lead.pk]) + "#nurture")


@login_required
@require_POST
def lead_enroll(request: AuthedRequest, pk: int) -> HttpResponse:
    from . import engine  # the engine reads routing and mail: loaded when used

    lead = panel_lead(request, pk)
    cadence = Cadence.objects.filter(archived_at__isnull=True,
                                     pk=_int(request.POST.get("cadence"))).first()
    if cadence is None:
        messages.error(request, "Choose a cadence to enroll the lead in.")
        return back_to_lead(lead)
    try:
        enrollment = engine.enroll(lead, trigger=Enrollment.Trigger.MANUAL, cadence=cadence,
                                   by=request.user)
    except (IllegalMove, ValueError) as error:
        messages.error(request, f"Not enrolled: {error}")
    except IntegrityError:
        messages.error(request, "Not enrolled: the lead was enrolled meanwhile.")
    else:
        messages.success(request, f"Enrolled in {cadence.name} "
                                  f"(version {enrollment.version.number}).")
    return back_to_lead(lead)


@login_required
@require_POST
def lead_stop(request: AuthedRequest, pk: int) -> HttpResponse:
    from . import engine

    lead = panel_lead(request, pk)
    try:
        enrollment = engine.stop(lead, by=request.user,
                                 detail=request.POST.get("detail", "").strip()[:300])
    except (IllegalMove, ValueError) as error:
        messages.error(request, f"Nurture not stopped: {error}")
    else:
        messages.success(request, "Nurture stopped: the lead is back on the desk."
                         if enrollment else "The lead had no cadence running.")
    return back_to_lead(lead)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
