"""Working a lead: the touch form, the call script and qualification on the
lead page (POST /leads/<id>/touch), and the aging view (GET /desk/aging/).

Thin: the rules live in workspace.touches (log_touch), workspace.attempts and
workspace.frameworks; the page context of the lead comes from workspace.views.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from leadgate.leads.http import AuthedRequest, is_htmx
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Task, Touch, User
from leadgate.routing.conditions import Facts

from . import attempts as attempt_policy
from .followup import aging
from .frameworks import (
    as_answer,
    current_answers,
    framework_by_kind,
    framework_for,
    questions,
    script_for,
)
from .models import Framework, Qualification
from .touches import DISQUALIFY_REASONS, VERDICTS, TouchError, default_next_step, log_touch
from .views import DESK_ROLES, desk_tabs, lead_context, next_to_call, visible_lead

AGING_PAGE_SIZE = 50
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # <input type="datetime-local">
# The form's fields, kept as typed when the touch is refused.
FIELDS = ("channel", "disposition", "direction", "notes", "duration_minutes", "next_title",
          "next_due", "next_kind", "verdict", "reason", "recontact_on", "framework",
          "then_next")


def user_zone(request: HttpRequest) -> ZoneInfo:
    user = request.user
    return ZoneInfo(getattr(user, "display_time_zone", "") or "UTC")


def touch_context(
    request: HttpRequest, lead: Lead, *, errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the touch form, the call script and the qualification questions show."""
    user = request.user
    if not isinstance(user, User) or not user.has_role(*DESK_ROLES):
        return {"can_touch": False}
    try:
        action = reverse("lead-touch", args=[lead.pk])
    except NoReverseMatch:  # touch_urls not included in this project's URLs
        return {"can_touch": False}
    errors, values = errors or {}, values or {}
    script = script_for(lead, Facts(lead))
    framework = framework_by_kind(values.get("framework", "")) or framework_for(lead, script)
    known = current_answers(lead, framework) if framework else {}
    posted = values.get("answers") or {}
    rows = []
    for question in questions(framework):
        key = question["key"]
        answer = posted.get(key) if values else known.get(key)
        answer = as_answer(answer)
        rows.append({**question, "value": answer.get("value", ""), "met": answer.get("met"),
                     "error": errors.get(f"answer_{key}", "")})
    zone = user_zone(request)
    suggestion = default_next_step(lead)
    lead_zone = attempt_policy.lead_zone(lead)
    done = attempt_policy.attempt_summary(lead)
    gap = attempt_policy.unresponsive_gap(lead)
    return {
        "can_touch": True,
        "action": action,
        "errors": errors,
        "values": {
            "channel": Touch.Channel.CALL, "disposition": "", "direction": "outbound",
            "next_title": suggestion.title, "next_kind": suggestion.kind,
            "next_due": suggestion.due_at.astimezone(zone).strftime(LOCAL_INPUT),
            "verdict": "", "then_next": "on",
            **{k: v for k, v in values.items() if k in FIELDS},
        },
        "channels": Touch.Channel.choices,
        "dispositions": Touch.Disposition.choices,
        "task_kinds": Task.Kind.choices,
        "verdicts": [(v.value, v.label) for v in VERDICTS],
        "reasons": DISQUALIFY_REASONS,
        "user_zone": str(zone),
        # Formatted here: the |date filter would show it in the site's zone.
        "suggested_local": f"{suggestion.due_at.astimezone(lead_zone):%a %b %-d, %H:%M}",
        "lead_zone": str(lead_zone),
        "script": script,
        "framework": framework,
        "questions": rows,
        "attempts": done.count,
        "attempt_channels": done.channels,
        "min_attempts": attempt_policy.min_attempts(),
        "unresponsive_gap": gap,
        "tel": "".join(ch for ch in lead.phone if ch.isdigit() or ch == "+"),
    }


def _parse(request: HttpRequest, lead: Lead, values: dict[str, Any]) -> dict[str, Any]:
    """The POST as log_touch() arguments (`values`: the form's fields, as typed;
    the answers are added to it)."""
    post = request.POST
    framework: Framework | None = framework_by_kind(values["framework"]) or framework_for(lead)
    answers: dict[str, Any] = {}
    for question in questions(framework):
        key = question["key"]
        value = post.get(f"answer_{key}", "").strip()
        if value:
            answers[key] = {"value": value, "met": post.get(f"met_{key}") == "on"}
    values["answers"] = answers
    kwargs: dict[str, Any] = {
        "channel": values["channel"], "disposition": values["disposition"],
        "direction": values["direction"] or "outbound", "notes": post.get("notes", ""),
        "verdict": values["verdict"] or None, "reason": values["reason"],
        "answers": answers, "framework": framework,
    }
    try:
        minutes = float(values["duration_minutes"] or 0)
    except ValueError:
        raise TouchError("duration_minutes", "the duration is a number of minutes") from None
    kwargs["duration_seconds"] = round(minutes * 60)
    if values["verdict"] == Qualification.Verdict.LONG_TERM or values["recontact_on"]:
        try:
            kwargs["recontact_on"] = date.fromisoformat(values["recontact_on"])
        except ValueError:
            if values["verdict"] == Qualification.Verdict.LONG_TERM:
                raise TouchError("recontact_on", "long-term needs a re-contact date "
                                 "(YYYY-MM-DD)") from None
    if not values["verdict"]:
        if not values["next_title"] and not values["next_due"]:
            kwargs["next_step"] = None
        else:
            try:
                due = datetime.strptime(values["next_due"], LOCAL_INPUT)
            except ValueError:
                raise TouchError("next_due", "the next step needs a due time") from None
            kwargs["next_step"] = (values["next_title"], due.replace(tzinfo=user_zone(request)),
                                   values["next_kind"] or Task.Kind.FOLLOW_UP)
    return kwargs


@login_required
@require_POST
def touch(request: AuthedRequest, pk: int) -> HttpResponse:
    """Log a touch. Success: redirect to the lead (htmx: the re-rendered panel).
    Refused: the page again with the error at its field and the input kept, 400."""
    if not request.user.has_role(*DESK_ROLES):
        raise PermissionDenied
    lead = visible_lead(request, pk)
    values: dict[str, Any] = {name: request.POST.get(name, "").strip() for name in FIELDS}
    try:
        log_touch(lead, request.user, **_parse(request, lead, values))
    except TouchError as error:
        return _refused(request, pk, {error.field: error.message}, values)
    except IntegrityError:
        return _refused(request, pk, {"stage": "the lead changed meanwhile; try again"}, values)
    notice = _notice(values)
    # Power-dialer style: the next lead of the queue opens, unless the form's
    # "Open the next lead after logging" is off or the lead is sales-ready
    # (its handoff comes next, on this page).
    following = next_to_call(request.user, after=lead)
    if (values["then_next"] == "on" and following is not None
            and values["verdict"] != Qualification.Verdict.SALES_READY):
        name = following.lead.name or following.lead.email or f"lead {following.lead.pk}"
        messages.success(request, f"{notice} Next in your queue: {name}.")
        target = reverse("lead", args=[following.lead.pk])
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    # The lead may have left the user's sight with a verdict (rare): then the desk.
    still = Lead.objects.visible_to(request.user).select_related(
        "account", "owner", "team", "source", "campaign").filter(pk=pk).first()
    if still is None:
        messages.success(request, notice)
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("desk")
            return response
        return redirect("desk")
    if is_htmx(request):
        context = lead_context(request, still, notice=notice)
        if following is not None or request.user.has_role(Role.QUALIFIER):
            context["after_touch"] = {"next": following}
        return render(request, "workspace/_lead_panel.html", context)
    empty = following is None and request.user.has_role(Role.QUALIFIER)
    messages.success(request, f"{notice} Nothing else to call in your queue now." if empty
                     else notice)
    return redirect("lead", pk=pk)


def _notice(values: dict[str, Any]) -> str:
    verdict = values.get("verdict")
    if verdict == Qualification.Verdict.SALES_READY:
        return "Touch logged. Sales-ready: hand the lead off to sales."
    if verdict:
        return f"Touch logged. Verdict: {Qualification.Verdict(verdict).label}."
    return "Touch logged. Next step set."


def _refused(request: AuthedRequest, pk: int, errors: dict[str, str],
             values: dict[str, Any]) -> HttpResponse:
    lead = visible_lead(request, pk)
    if "answers" not in values:
        values["answers"] = {
            key[len("answer_"):]: {"value": value, "met": request.POST.get(
                "met_" + key[len("answer_"):]) == "on"}
            for key, value in request.POST.items() if key.startswith("answer_")
        }
    context = lead_context(request, lead)
    context["touch"] = touch_context(request, lead, errors=errors, values=values)
    template = "workspace/_lead_panel.html" if is_htmx(request) else "workspace/lead.html"
    return render(request, template, context, status=400)


@login_required
@require_GET
def aging_view(request: AuthedRequest) -> HttpResponse:
    """Leads on the desk untouched for N days (?days=, default 7): managers and
    admins see every one; qualifiers their own."""
    user = request.user
    if not user.has_role(*DESK_ROLES):
        raise PermissionDenied
    raw = request.GET.get("days", "7").strip() or "7"
    error = ""
    try:
        days = int(raw)
        if not 1 <= days <= 3650:
            raise ValueError
    except ValueError:
        days, error = 7, "days: a whole number of days from 1 to 3650"
    leads = Lead.objects.visible_to(user)
    if not user.has_role(Role.MANAGER, Role.ADMIN):
        leads = leads.filter(owner=user)
    page = Paginator(aging(leads, days), AGING_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "desk", "days": days, "days_input": raw, "error": error, "page": page,
               "now": timezone.now(), "sees_all": user.has_role(Role.MANAGER, Role.ADMIN),
               "tab": "aging", **desk_tabs(user)}
    return render(request, "workspace/aging.html", context, status=400 if error else 200)
