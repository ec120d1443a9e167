"""Managers' routing pages, under /routing/: routing rules (in order, with their
conditions), SLA policies and open alerts. Seats, absences, team hours and the
pause toggle are in `people_views`; reassignment by hand, a form of the lead
page, in `workspace.views`.

Managers and admins edit; everyone else gets 403 (qualifiers have their own
pause toggle, in `people_views`).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .alerts import open_groups, resolve_groups
from .condition_forms import BaseConditionFormSet, ConditionFormSet, condition_initial
from .forms import RuleForm, SlaPolicyForm, instance_rows
from .models import Alert, RoutingRule, SlaPolicy

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
ALERT_LIMIT = 200


def require_manager(request: AuthedRequest) -> None:
    if not request.user.has_role(*MANAGER_ROLES):
        raise PermissionDenied


def routing_page(request: AuthedRequest, template: str, tab: str, context: dict[str, Any],
                 status: int = 200) -> HttpResponse:
    return render(request, template, {"nav": "routing", "tab": tab, **context}, status=status)


# Rules ------------------------------------------------------------------------------


@login_required
@require_GET
def rule_list(request: AuthedRequest) -> HttpResponse:
    require_manager(request)
    rules = RoutingRule.objects.select_related("team", "user").order_by("position", "pk")
    return routing_page(request, "routing/rule_list.html", "rules", {"rules": list(rules)})


def rule_page(request: AuthedRequest, rule: RoutingRule | None, form: RuleForm,
              conditions: Any, status: int = 200) -> HttpResponse:
    return routing_page(request, "routing/rule_edit.html", "rules", {
        "rule": rule, "form": form, "conditions": conditions,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: AuthedRequest) -> HttpResponse:
    require_manager(request)
    if request.method == "GET":
        return rule_page(request, None, RuleForm(initial={"active": True}),
                         ConditionFormSet(prefix="conditions"))
    return save_rule(request, RoutingRule(created_by=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    if request.method == "GET":
        conditions = ConditionFormSet(prefix="conditions",
                                      initial=condition_initial(rule.conditions or []))
        return rule_page(request, rule, RuleForm(instance=rule), conditions)
    return save_rule(request, rule)


def save_rule(request: AuthedRequest, rule: RoutingRule) -> HttpResponse:
    """Validate the rule and its condition rows together; save both or neither."""
    creating = rule.pk is None
    form = RuleForm(request.POST, instance=rule)
    conditions = cast(BaseConditionFormSet, ConditionFormSet(request.POST, prefix="conditions"))
    if not (form.is_valid() and conditions.is_valid()):
        # The heading shows the saved rule, not the instance the form changed.
        saved = None if creating else RoutingRule.objects.get(pk=rule.pk)
        return rule_page(request, saved, form, conditions, status=400)
    rule = form.save(commit=False)
    rule.conditions = conditions.conditions()
    with transaction.atomic():
        if creating:
            last = RoutingRule.objects.select_for_update().aggregate(last=Max("position"))
            rule.position = (last["last"] or 0) + 1
        rule.save()
    messages.success(request, f"{'Created' if creating else 'Saved'} the rule “{rule.name}”.")
    return redirect("routing-rules")


@login_required
@require_POST
def rule_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    rule.delete()
    messages.success(request, f"Deleted the rule “{rule.name}”.")
    return redirect("routing-rules")


@login_required
@require_POST
def rule_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Swap the rule with its neighbour above (direction=up) or below (down);
    positions are renumbered 1..n on the way, so equal positions sort out."""
    require_manager(request)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, "Move a rule up or down.")
        return redirect("routing-rules")
    with transaction.atomic():
        rules = list(RoutingRule.objects.select_for_update().order_by("position", "pk"))
        index = next((i for i, rule in enumerate(rules) if rule.pk == pk), None)
        if index is None:
            raise Http404("no such rule")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rules):
            rules[index], rules[other] = rules[other], rules[index]
        for position, rule in enumerate(rules, start=1):
            if rule.position != position:
                RoutingRule.objects.filter(pk=rule.pk).update(position=position)
    return redirect(reverse("routing-rules") + f"#rule-{pk}")


@login_required
@require_POST
def rule_toggle(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    rule.active = not rule.active
    rule.save(update_fields=["active"])
    messages.success(request, f"The rule “{rule.name}” is {'on' if rule.active else 'off'}.")
    return redirect(reverse("routing-rules") + f"#rule-{pk}")


# SLA policies ---------------------------------------------------------------------


def sla_forms(bound: SlaPolicyForm | None = None) -> list[tuple[SlaPolicy, SlaPolicyForm]]:
    return instance_rows(SlaPolicy.objects.order_by("pk"), SlaPolicyForm, "sla", bound)


@login_required
@require_GET
def sla_list(request: AuthedRequest) -> HttpResponse:
    require_manager(request)
    return routing_page(request, "routing/sla.html", "sla", {"rows": sla_forms()})


@login_required
@require_POST
def sla_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    policy = get_object_or_404(SlaPolicy, pk=pk)
    form = SlaPolicyForm(request.POST, instance=policy, auto_id=f"sla{policy.pk}_%s")
    if not form.is_valid():
        return routing_page(request, "routing/sla.html", "sla", {"rows": sla_forms(form)},
                            status=400)
    form.save()
    messages.success(request, f"Saved the SLA policy “{policy.get_segment_display()}”: "
                              f"{policy.minutes} minutes.")
    return redirect("routing-sla")


# Alerts ---------------------------------------------------------------------------


@login_required
@require_GET
def alert_list(request: AuthedRequest) -> HttpResponse:
    """Open alerts, newest first, one row per lead and kind (with a count),
    optionally of one kind."""
    require_manager(request)
    kind = request.GET.get("kind", "")
    if kind not in Alert.Kind.values:
        kind = ""
    groups, more = open_groups(kind, limit=ALERT_LIMIT)
    return routing_page(request, "routing/alerts.html", "alerts", {
        "groups": groups, "more": more, "kind": kind, "kinds": Alert.Kind.choices,
    })


@login_required
@require_POST
def alerts_resolve(request: AuthedRequest) -> HttpResponse:
    """Resolve the selected rows (each row: every open alert of its lead and kind)."""
    require_manager(request)
    keys = request.POST.getlist("group")[:ALERT_LIMIT]
    done = resolve_groups(keys, by=request.user)
    if done:
        messages.success(request, f"Resolved {done} alert{'s' if done != 1 else ''}.")
    else:
        messages.info(request, "Nothing to resolve: select rows first (or they were resolved "
                               "meanwhile).")
    kind = request.POST.get("kind", "")
    url = reverse("routing-alerts")
    return redirect(f"{url}?kind={kind}" if kind in Alert.Kind.values else url)


@login_required
@require_POST
def alert_resolve(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    alert = get_object_or_404(Alert, pk=pk)
    # Conditional: two managers resolving at once, the first one is recorded.
    done = Alert.objects.filter(pk=pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=request.user)
    if done:
        messages.success(request, f"Resolved: {alert.message[:80]}")
    else:
        messages.info(request, "That alert was already resolved.")
    kind = request.POST.get("kind", "")
    url = reverse("routing-alerts")
    return redirect(f"{url}?kind={kind}" if kind in Alert.Kind.values else url)
