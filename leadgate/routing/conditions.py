"""Conditions on one lead, shared by routing rules and call scripts:
[{"field": ..., "operator": ..., "value": ...}, ...], all must hold.

Fields: lead.<field>, account.<field>, fact.<enrichment fact> (as scoring
rules), score.grade ("A1"), score.fit (the letter), score.engagement (the
level, 1-4), score.probability, and inquiry.source, inquiry.campaign,
inquiry.form, inquiry.channel, inquiry.hot (the lead's latest inquiry).
Operators: those of scoring rules (eq, ne, in, contains, gte, lte, exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from leadgate.enrich.models import Enrichment
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Account, Lead
from leadgate.scoring.models import LeadScore, Rule
from leadgate.scoring.rules import make_test

SCORE_FIELDS = ("grade", "fit", "engagement", "probability")
INQUIRY_FIELDS = ("source", "campaign", "form", "channel", "hot")


def condition_error(condition: Any) -> str | None:
    """Why a condition cannot be evaluated, or None."""
    if not isinstance(condition, dict):
        return "a condition is an object with field, operator and value"
    field, operator = str(condition.get("field") or ""), condition.get("operator", "eq")
    if operator not in Rule.Operator.values:
        return f"unknown operator {operator!r} (one of {', '.join(Rule.Operator.values)})"
    scope, _, name = field.partition(".")
    if scope == "fact":
        return None if name else "fact.<name>, e.g. fact.seniority"
    if scope == "score":
        return None if name in SCORE_FIELDS else f"score.<{'|'.join(SCORE_FIELDS)}>"
    if scope == "inquiry":
        return None if name in INQUIRY_FIELDS else f"inquiry.<{'|'.join(INQUIRY_FIELDS)}>"
    model = {"lead": Lead, "account": Account}.get(scope)
    if model is None or not name:
        return ("a field is lead.<field>, account.<field>, fact.<name>, score.<...> "
                "or inquiry.<...>")
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return f"{scope} has no field {name!r}"
    return None


def conditions_error(conditions: Any) -> str | None:
    if not isinstance(conditions, list):
        return "conditions are a list"
    for number, condition in enumerate(conditions, start=1):
        error = condition_error(condition)
        if error:
            return f"condition {number}: {error}"
    return None


@dataclass
class Facts:
    """What conditions read of one lead, loaded once for all rules."""

    lead: Lead
    _facts: dict[str, Any] | None = None
    _score: LeadScore | None = None
    _score_loaded: bool = False
    _inquiry: Inquiry | None = None
    _inquiry_loaded: bool = False

    def value(self, field: str) -> Any:
        scope, _, name = field.partition(".")
        if scope == "lead":
            return getattr(self.lead, name, None)
        if scope == "account":
            account = self.lead.account
            return getattr(account, name, None) if account is not None else None
        if scope == "fact":
            if self._facts is None:
                self._facts = dict(Enrichment.objects.filter(lead=self.lead).values_list(
                    "field", "value"))
            return self._facts.get(name)
        if scope == "score":
            return self._score_value(name)
        if scope == "inquiry":
            return self._inquiry_value(name)
        return None

    def _score_value(self, name: str) -> Any:
        if not self._score_loaded:
            self._score = LeadScore.objects.filter(lead=self.lead).first()
            self._score_loaded = True
        score = self._score
        if score is None:
            return None
        if name == "probability":
            return score.probability
        if not score.grade:
            return None
        return {"grade": score.grade, "fit": score.grade[0],
                "engagement": int(score.grade[1])}[name]

    def _inquiry_value(self, name: str) -> Any:
        if not self._inquiry_loaded:
            self._inquiry = (Inquiry.objects.filter(lead=self.lead)
                             .select_related("source", "campaign", "form")
                             .order_by("-received_at", "-pk").first())
            self._inquiry_loaded = True
        inquiry = self._inquiry
        if inquiry is None:
            return None
        if name == "hot":
            return inquiry.is_hot
        if name == "channel":
            return inquiry.channel
        related = getattr(inquiry, name)
        return related.name if related is not None else None


def compile_conditions(conditions: list[dict[str, Any]]) -> list[tuple[str, Callable[[Any], bool]]]:
    """(field, check) pairs; a condition that cannot be evaluated never holds."""
    compiled = []
    for condition in conditions:
        if condition_error(condition):
            compiled.append(("", lambda _value: False))
            continue
        compiled.append((condition["field"],
                         make_test(condition.get("operator", "eq"), condition.get("value"))))
    return compiled


def holds(conditions: list[dict[str, Any]], facts: Facts) -> bool:
    """Whether every condition holds for the lead (an empty list always holds)."""
    return all(check(facts.value(field)) for field, check in compile_conditions(conditions))
