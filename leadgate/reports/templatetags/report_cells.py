"""How a report's cell reads, by its column's kind."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma

from leadgate.lib.proportions import Rate

register = template.Library()
CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}
DASH = "—"


def money(value: Any) -> str:
    amount = Decimal(value).quantize(Decimal(1))
    sign = CURRENCY_SIGNS.get(settings.LEADGATE_CURRENCY, settings.LEADGATE_CURRENCY + " ")
    text = f"{sign}{intcomma(abs(int(amount)))}"
    return f"−{text}" if amount < 0 else text


def percent(value: float) -> str:
    shown = value * 100
    text = f"{abs(shown):,.0f}" if abs(shown) >= 10 or shown == 0 else f"{abs(shown):.1f}"
    return f"{'−' if shown < 0 else ''}{text}\u00a0%"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@register.filter
def cell(value: Any, kind: str) -> str:
    """The text of a cell (autoescaped by the template like any other)."""
    if value is None or value == "":
        return DASH
    if isinstance(value, Rate):
        if value.value is None:
            return DASH
        return f"{percent(value.value)} ({percent(value.low or 0)}–{percent(value.high or 0)})"
    if kind == "count":
        return intcomma(value)
    if kind == "number":
        return f"{value:,.1f}"
    if kind == "percent":
        return percent(float(value))
    if kind == "money":
        return money(value)
    if kind == "days":
        return f"{float(value):.1f} d"
    if kind == "seconds":
        return duration(float(value))
    return str(value)


@register.filter
def get(row: dict[str, Any], key: str) -> Any:
    return row.get(key)
