"""Seniority and department from the lead's job title (leadgate.lib.titles)."""

from __future__ import annotations

import importlib
from typing import Any

from leadgate.leads.models import Lead

from .base import Provider, ProviderError, register


@register
class TitleProvider(Provider):
    kind = "title"
    fills = ("seniority", "department")

    def enrich(self, lead: Lead) -> dict[str, Any]:
        if not (lead.title or "").strip():
            return {}
        try:
            titles = importlib.import_module("leadgate.lib.titles")
        except ImportError as error:
            raise ProviderError("title parsing is not installed (leadgate.lib.titles)") from error
        parsed = titles.parse_title(lead.title)
        facts = {"seniority": parsed.seniority, "department": parsed.department}
        return {k: v for k, v in facts.items() if v}
