"""Managers' pages for rule scoring: versions, editing a draft, preview, activation.

A version that was ever in force is history: scores name their version, so it
is shown read-only; change the rules by making a draft from it. Forms and the
save are in `forms`, scoring and preview in `rules`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadgate.leads.http import AuthedRequest, is_htmx
from leadgate.leads.lifecycle import Role

from .forms import DraftGone, NewDraftForm, RuleFormSet, RuleSetForm, save_draft
from .models import RuleSet
from .rules import preview

# Above this many leads the preview grades an even sample: a page must answer.
PREVIEW_SAMPLE = 20_000

RULE_ROLES = (Role.MANAGER, Role.MARKETING, Role.ADMIN)
NOT_EDITABLE = ("v{} was put in force, so it is history and cannot change; "
                "make a new draft from it instead.")


def require_rules_role(request: AuthedRequest) -> None:
    if not request.user.has_role(*RULE_ROLES):
        raise PermissionDenied


def change_matrix(result: dict[str, Any]) -> dict[str, Any]:
    """preview()'s {old: {new: count}} as table rows: old grades down, new across."""
    changes: dict[str, dict[str, int]] = result["changes"]
    columns = sorted({new for row in changes.values() for new in row})
    rows = [(old, [row.get(new) for new in columns]) for old, row in sorted(changes.items())]
    return {**result, "columns": columns, "rows": rows}


def ruleset_page(request: AuthedRequest, ruleset: RuleSet, *, form: Any = None,
                 formset: Any = None, result: dict[str, Any] | None = None,
                 status: int = 200) -> HttpResponse:
    """A version's page: the edit forms for a draft, read-only tables otherwise."""
    context: dict[str, Any] = {
        "nav": "scoring", "ruleset": ruleset, "preview": result,
        "active": RuleSet.active_one(),
    }
    if ruleset.editable:
        # `is None`, not `or`: a formset's truth is its length.
        context["form"] = RuleSetForm(instance=ruleset) if form is None else form
        context["formset"] = (RuleFormSet(instance=ruleset, prefix="rules")
                              if formset is None else formset)
        template = "scoring/ruleset_edit.html"
    else:
        context["rules"] = ruleset.rules.order_by("kind", "pk")
        template = "scoring/ruleset_detail.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def ruleset_list(request: AuthedRequest) -> HttpResponse:
    require_rules_role(request)
    return list_page(request, NewDraftForm())


def list_page(request: AuthedRequest, form: NewDraftForm, status: int = 200) -> HttpResponse:
    rulesets = RuleSet.objects.select_related("created_by").annotate(rule_count=Count("rules"))
    return render(request, "scoring/ruleset_list.html", {
        "nav": "scoring", "rulesets": rulesets, "active": RuleSet.active_one(), "form": form,
    }, status=status)


@login_required
@require_POST
def ruleset_new(request: AuthedRequest) -> HttpResponse:
    """A draft copying the chosen version (default: the active one), rules included."""
    require_rules_role(request)
    form = NewDraftForm(request.POST)
    if not form.is_valid():
        return list_page(request, form, status=400)
    draft = RuleSet.new_version(from_=form.cleaned_data["source"], created_by=request.user,
                                    note=form.cleaned_data["note"])
    messages.success(request, f"Created the draft v{draft.version}.")
    return redirect("ruleset", version=draft.version)


@login_required
@require_http_methods(["GET", "POST"])
def ruleset_edit(request: AuthedRequest, version: int) -> HttpResponse:
    require_rules_role(request)
    ruleset = get_object_or_404(RuleSet, version=version)
    if request.method == "GET":
        return ruleset_page(request, ruleset)
    if not ruleset.editable:
        messages.error(request, NOT_EDITABLE.format(ruleset.version))
        return ruleset_page(request, ruleset, status=409)
    form = RuleSetForm(request.POST, instance=ruleset)
    formset = RuleFormSet(request.POST, instance=ruleset, prefix="rules")
    if not (form.is_valid() and formset.is_valid()):
        return ruleset_page(request, ruleset, form=form, formset=formset, status=400)
    try:
        save_draft(ruleset, form, formset)
    except DraftGone:
        messages.error(request, NOT_EDITABLE.format(ruleset.version))
        return redirect("ruleset", version=ruleset.version)
    messages.success(request, f"Saved the draft v{ruleset.version}.")
    return redirect("ruleset", version=ruleset.version)


@login_required
@require_POST
def ruleset_preview(request: AuthedRequest, version: int) -> HttpResponse:
    """Grades the saved rules would change; POST because it reads every lead."""
    require_rules_role(request)
    ruleset = get_object_or_404(RuleSet, version=version)
    result = change_matrix(preview(ruleset, sample=PREVIEW_SAMPLE))
    if is_htmx(request):
        return render(request, "scoring/_preview.html", {"ruleset": ruleset, "preview": result})
    return ruleset_page(request, ruleset, result=result)


@login_required
@require_POST
def ruleset_activate(request: AuthedRequest, version: int) -> HttpResponse:
    """Put a draft in force, or an older version again (a rollback)."""
    require_rules_role(request)
    ruleset = get_object_or_404(RuleSet, version=version)
    if ruleset.active:
        messages.error(request, f"v{ruleset.version} is already in force.")
        return redirect("ruleset", version=ruleset.version)
    ruleset.activate()
    messages.success(request, f"v{ruleset.version} is now in force; "
                              "every lead is being rescored with it.")
    return redirect("rulesets")
