"""Enrichment on pages: `{% lead_facts lead as facts %}` and `{{ zone|local_time }}`."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

from leadgate.leads.models import Lead
from leadgate.lib.timezones import is_time_zone

from ..pipeline import lead_facts as facts_of

register = template.Library()


@register.simple_tag
def lead_facts(lead: Lead) -> dict[str, dict[str, Any]]:
    return facts_of(lead)


@register.filter
def local_time(zone: str) -> str:
    """The time now in `zone`, as "14:05 Tue (CET)"; "" for an unknown zone."""
    if not is_time_zone(zone or ""):
        return ""
    now = timezone.now().astimezone(ZoneInfo(zone))
    return f"{now:%H:%M %a} ({now.tzname()})"
