"""Figures as people read them: `{{ touch.duration_seconds|call_length }}`,
a call's length ("4 min 30 s", "45 s", "1 h 5 min"; it is entered in
minutes), and `{{ outcome.amount|amount:outcome.currency }}` ("125,000 USD")."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def call_length(seconds: object) -> str:
    try:
        total = int(seconds or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    if total <= 0:
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


@register.filter
def amount(value: object, currency: str = "") -> str:
    """"125,000 USD", cents shown only when there are any; the currency is
    LEADGATE_CURRENCY when not given. Not a number: as given."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    return f"{text} {currency or settings.LEADGATE_CURRENCY}"
