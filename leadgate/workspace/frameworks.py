"""Qualification frameworks at work: which framework and call script a lead
gets, checking answers against the framework's questions, and whether the
answers make the lead sales-ready.

Answers are stored per question key as {"value": text, "met": bool}: the
qualifier records what the lead said and whether it meets the bar. A lead is
sales-ready when every `short_term` question of the framework is met (need,
authority and a timeframe within one or two sales cycles, for BANT).
"""

from __future__ import annotations

from typing import Any

from leadgate.leads.lifecycle import ON_DESK
from leadgate.leads.models import Lead
from leadgate.routing import experiments
from leadgate.routing.conditions import Facts, holds

from .models import CallScript, Framework, Qualification


def _script_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in
            CallScript.objects.filter(active=True).values_list("pk", "name")]


def _on_desk(lead: Lead) -> str | None:
    if lead.stage not in ON_DESK:
        return f"not on a qualifier's desk (it is {lead.get_stage_display().lower()})"
    return None


# A call-script test: the desk shows the lead its arm's script (from the next
# time its page opens, so a lead may also be put in it by hand while on a desk).
SCRIPT_TEST = experiments.register(experiments.Kind(
    "script", "Call script", experiments.INTAKE, "Call script", _script_choices,
    joins_late=_on_desk))

# Answers that never meet a question, whatever the qualifier ticked.
UNKNOWN = {"", "unknown"}


class AnswerError(ValueError):
    """An answer that does not fit its question; `key` names the question."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def script_for(lead: Lead, facts: Facts | None = None) -> CallScript | None:
    """The lead's arm's script in a running call-script test, else the
    first active call script (by position) whose conditions hold for it."""
    arm = experiments.arm_value(lead, SCRIPT_TEST.slug)
    if arm is not None:
        script = CallScript.objects.filter(pk=arm, active=True).select_related("framework").first()
        if script is not None:
            return script
    facts = facts or Facts(lead)
    for script in CallScript.objects.filter(active=True).select_related("framework"):
        if holds(script.conditions or [], facts):
            return script
    return None


def default_framework() -> Framework | None:
    return (
        Framework.objects.filter(active=True).order_by("-is_default", "pk").first()
    )


def framework_for(lead: Lead, script: CallScript | None = None) -> Framework | None:
    """The framework to qualify the lead with: its call script's (when the
    script names an active one), else the default. None only when no framework
    is configured at all."""
    if script is None:
        script = script_for(lead)
    if script is not None and script.framework is not None and script.framework.active:
        return script.framework
    return default_framework()


def framework_by_kind(kind: str) -> Framework | None:
    return Framework.objects.filter(kind=kind, active=True).first()


def questions(framework: Framework | None) -> list[dict[str, Any]]:
    if framework is None:
        return []
    return [q for q in framework.questions or [] if isinstance(q, dict) and q.get("key")]


def clean_answer(question: dict[str, Any], raw: Any) -> dict[str, Any]:
    """One answer as {"value", "met"}. `raw` is such a dict or the value alone
    (then met when it is given and not "unknown")."""
    if isinstance(raw, dict):
        value = str(raw.get("value") or "").strip()
        met = bool(raw.get("met")) and value.casefold() not in UNKNOWN
    else:
        value = "" if raw is None else str(raw).strip()
        met = value.casefold() not in UNKNOWN
    choices = question.get("choices") or []
    key = question["key"]
    if value and choices and value not in choices:
        raise AnswerError(key, f"{key}: {value!r} is not one of: {', '.join(choices)}")
    if len(value) > 2000:
        raise AnswerError(key, f"{key}: at most 2000 characters")
    return {"value": value, "met": met}


def clean_answers(framework: Framework | None, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers checked against the framework's questions: unknown keys and
    values outside a question's choices raise AnswerError; empty answers are dropped."""
    by_key = {q["key"]: q for q in questions(framework)}
    cleaned: dict[str, Any] = {}
    for key, raw in (answers or {}).items():
        question = by_key.get(key)
        if question is None:
            known = ", ".join(by_key) or "none"
            name = framework.kind if framework else "no framework"
            raise AnswerError(key, f"{key}: not a question of {name} (questions: {known})")
        answer = clean_answer(question, raw)
        if answer["value"]:
            cleaned[key] = answer
    return cleaned


def as_answer(raw: Any) -> dict[str, Any]:
    """A stored answer as {"value", "met", ...}: answers kept as plain words or
    numbers (the demo's, an import's, a client's) count as given, not met."""
    if isinstance(raw, dict):
        return raw
    return {"value": "" if raw is None else str(raw), "met": False}


def sales_ready(framework: Framework | None, answers: dict[str, Any]) -> tuple[bool, list[str]]:
    """(True, []) when every short-term question is met; else (False, the keys
    of those that are not), in the framework's order."""
    missing = []
    for question in questions(framework):
        if not question.get("short_term"):
            continue
        answer = as_answer((answers or {}).get(question["key"]))
        if not answer.get("met") or not answer.get("value"):
            missing.append(question["key"])
    return (not missing, missing)


def current_answers(lead: Lead, framework: Framework | None = None) -> dict[str, Any]:
    """The answers recorded so far in the lead's current cycle (the latest
    qualification of this framework carries them all)."""
    rows = Qualification.objects.filter(lead=lead, cycle=lead.cycle)
    if framework is not None:
        rows = rows.filter(framework=framework.kind)
    latest = rows.order_by("-at", "-pk").values_list("answers", flat=True).first()
    return dict(latest or {})
