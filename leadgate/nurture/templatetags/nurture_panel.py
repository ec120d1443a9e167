"""The lead page's nurture panel: `{% load nurture_panel %}{% nurture_panel lead user %}`.

Shows the lead's live enrollment (cadence, version, nurture cycle, where it
is and when the next step is due, or until when it rests), the enrollments
before it, and to qualifiers and managers the buttons to stop the cadence or
to enroll the lead in one."""

from __future__ import annotations

from typing import Any

from django import template

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, User

from .. import personal
from ..models import Cadence, Enrollment

register = template.Library()
HISTORY_LIMIT = 20
ACT_ROLES = (Role.QUALIFIER, Role.MANAGER, Role.ADMIN)


@register.inclusion_tag("nurture/_panel.html", takes_context=True)
def nurture_panel(context: template.Context, lead: Lead, user: User) -> dict[str, Any]:
    enrollments = list(Enrollment.objects.filter(lead=lead)
                       .select_related("version__cadence")
                       .order_by("-started_at", "-pk")[:HISTORY_LIMIT + 1])
    live = next((enrollment for enrollment in enrollments if enrollment.live), None)
    history = [enrollment for enrollment in enrollments if not enrollment.live]
    can_act = bool(getattr(user, "is_authenticated", False) and user.has_role(*ACT_ROLES))
    panel: dict[str, Any] = {
        "lead": lead, "live": live, "history": history[:HISTORY_LIMIT], "can_act": can_act,
        "csrf_token": context.get("csrf_token"), "show": bool(enrollments) or can_act,
        # Personal emails the cadence drafted for the owner (or a manager) to send.
        "to_send": (personal.waiting(lead) if enrollments and personal.may_send(user, lead)
                    else []) if getattr(user, "is_authenticated", False) else [],
    }
    if live is not None:
        steps = live.version.ordered_steps()
        position = live.position
        panel.update({
            "total": len(steps),
            "current": steps[position] if position < len(steps) else None,
            "then": steps[position + 1] if position + 1 < len(steps) else None,
            "done": steps[position - 1] if 0 < position <= len(steps) else None,
        })
    elif can_act:
        # Cadences that can take a lead: not archived, with steps.
        panel["cadences"] = list(Cadence.objects.filter(archived_at__isnull=True,
                                                        versions__steps__isnull=False)
                                 .distinct().order_by("name"))
    return panel
