"""Template helpers of the routing pages and of the pieces other pages include:
conditions as text, the open-alert count for the nav, the lead page's
assignment section and a qualifier's pause toggle."""

from __future__ import annotations

import json
from typing import Any

from django import template

from leadgate.leads.lifecycle import ON_DESK, Role
from leadgate.leads.models import Lead, User
from leadgate.scoring.models import Rule

from ..alerts import open_group_count
from ..availability import seat_of
from ..forms import active_qualifiers
from ..models import Assignment, Seat

register = template.Library()
HISTORY_LIMIT = 20
OPERATOR_TEXT = {"eq": "is", "ne": "is not", "in": "is one of", "contains": "contains",
                 "gte": "≥", "lte": "≤"}


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@register.filter
def condition_text(condition: Any) -> str:
    """{"field": "account.country", "operator": "in", "value": ["FR", "BE"]}
    → "account.country is one of FR, BE"."""
    if not isinstance(condition, dict):
        return str(condition)
    field = condition.get("field", "?")
    operator = condition.get("operator", "eq")
    value = condition.get("value")
    if operator == "exists":
        return f"{field} {'is missing' if value is False else 'is set'}"
    label = OPERATOR_TEXT.get(operator) or dict(Rule.Operator.choices).get(operator, operator)
    if isinstance(value, list):
        shown = ", ".join(_value_text(item) for item in value)
    else:
        shown = _value_text(value)
    return f"{field} {label} {shown}"


@register.simple_tag
def open_alert_count() -> int:
    return open_group_count()  # the alerts page's rows: per lead and kind


@register.simple_tag
def lead_assignment(lead: Lead, user: User) -> dict[str, Any]:
    """What the lead page's assignment section shows to this user: the history
    (newest first) and, when the user may reassign, whom to."""
    history = list(Assignment.objects.filter(lead=lead)
                   .select_related("from_user", "to_user", "team", "by", "rule")
                   .order_by("-at", "-pk")[:HISTORY_LIMIT])
    can = (getattr(user, "is_authenticated", False)
           and user.has_role(Role.QUALIFIER, Role.MANAGER, Role.ADMIN)
           and lead.stage in ON_DESK)
    candidates: list[User] = []
    if can:
        people = active_qualifiers().exclude(pk=lead.owner_id or 0)
        if not user.has_role(Role.MANAGER, Role.ADMIN):
            people = people.filter(team_id=user.team_id) if user.team_id else people.none()
        candidates = list(people)
    return {"history": history, "can_reassign": bool(can and candidates),
            "candidates": candidates}


@register.simple_tag
def my_seat(user: User) -> Seat | None:
    """The user's seat in the rotation (made when missing), for qualifiers only."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.QUALIFIER):
        return None
    return seat_of(user)
