"""The touch form, call script and qualification on the lead page:
`{% touch_desk lead as t %}` (computed once per request and lead; a refused
touch puts its own, with errors and input, in the context as `touch`)."""

from __future__ import annotations

from typing import Any

from django import template

from leadgate.leads.models import Lead
from leadgate.workspace.touch_views import touch_context

register = template.Library()


@register.simple_tag(takes_context=True)
def touch_desk(context: template.Context, lead: Lead) -> dict[str, Any]:
    given = context.get("touch")
    if isinstance(given, dict):
        return given
    request = context.get("request")
    if request is None:
        return {"can_touch": False}
    cache: dict[int, dict[str, Any]] = request.__dict__.setdefault("_touch_desk", {})
    if lead.pk not in cache:
        cache[lead.pk] = touch_context(request, lead)
    return cache[lead.pk]
