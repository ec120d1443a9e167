"""Template helpers of the nurture pages: a step's timing, window and
condition in words, short kind names, rates as percentages."""

from __future__ import annotations

from typing import Any

from django import template

from ..models import Cadence, Step

register = template.Library()

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHORT_KINDS: dict[str, str] = {
    Step.Kind.AUTO_EMAIL: "email", Step.Kind.PERSONAL_EMAIL: "personal email",
    Step.Kind.CALL: "call", Step.Kind.SOCIAL: "social", Step.Kind.DIRECT_MAIL: "direct mail",
    Step.Kind.WAIT: "wait",
}
ROLE_NAMES: dict[str, str] = {Cadence.Role.FIRST: "First", Cadence.Role.QUARTERLY: "Quarterly"}


@register.filter
def short_kind(step: Step) -> str:
    """"email", "call", "wait 3 d": for the list's one-line summaries."""
    name = SHORT_KINDS.get(step.kind, step.kind)
    return f"wait {step.delay_days} d" if step.kind == Step.Kind.WAIT else name


@register.filter
def role_name(cadence: Cadence) -> str:
    return ROLE_NAMES.get(cadence.role, "")


@register.filter
def delay_text(step: Step) -> str:
    """"at enrollment", "2 business days after enrollment", "3 business days later"."""
    days = step.delay_days
    plural = "s" if days != 1 else ""
    if step.position == 0:
        return f"{days} business day{plural} after enrollment" if days else "at enrollment"
    return f"{days} business day{plural} later" if days else "with the previous step"


def _days_text(days: list[int]) -> str:
    days = sorted(day for day in days if day in range(7))
    if not days or len(days) == 7:
        return "any day"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
    return ", ".join(DAY_NAMES[day] for day in days)


@register.filter
def window_text(step: Step) -> str:
    """"Mon–Fri, 09:00–17:00" (the lead's local time); "any time"."""
    days = _days_text(list(step.window_days or []))
    if step.window_start and step.window_end:
        hours = f"{step.window_start:%H:%M}–{step.window_end:%H:%M}"
        return hours if days == "any day" else f"{days}, {hours}"
    return "any time" if days == "any day" else days


@register.filter
def condition_text(step: Step) -> str:
    condition: dict[str, Any] = step.condition or {}
    parts = []
    if condition.get("grades"):
        parts.append("grade " + " or ".join(map(str, condition["grades"])))
    if condition.get("segments"):
        parts.append(" or ".join(map(str, condition["segments"])))
    if condition.get("engagement") == "engaged":
        parts.append("engaged since the previous step")
    elif condition.get("engagement") == "not_engaged":
        parts.append("not engaged since the previous step")
    return "; ".join(parts) if parts else "every lead"


@register.filter
def percent(rate: float | None) -> str:
    """0.125 → "12.5%"; None (nothing to divide by) → "—"."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}%".replace(".0%", "%")


@register.filter
def person(user: Any) -> str:
    """A user's full name, else their username; "" for none."""
    if user is None:
        return ""
    return user.get_full_name() or user.username
