"""Condition rows of routing rules and segment tests: a field chosen from what
routing reads (`conditions.Facts`), an operator, and the value as plain text.

What is saved is unchanged: [{"field", "operator", "value"}, ...], checked with
`conditions.condition_error`, the check routing relies on. A stored condition
shows again as it was (`condition_initial`), even with a field the list does
not offer.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from leadgate.enrich.providers import REGISTRY, ProviderError
from leadgate.enrich.providers.http import config as http_config
from leadgate.enrich.providers.http import field_map
from leadgate.leads.models import Account, Lead
from leadgate.scoring.models import Rule

from .condition_values import ANY, BOOL, NUMBER, TEXT, ValueTextError, parse_value, value_text
from .conditions import condition_error, conditions_error

# The choice that names an enrichment fact in the text box beside the list.
OTHER_FACT = "fact"
MISSING = "missing"  # "exists" with the value false, as an operator of its own

# What a manager routes on, in the list's order; the rest of each model's
# fields still work when stored (they show under "Other").
LEAD_FIELDS = (
    ("country", "country"), ("title", "job title"), ("company_name", "company name"),
    ("domain", "company domain"), ("email_free", "free-mail address"),
    ("email_role", "shared mailbox (info@…)"), ("email_invalid", "email invalid"),
    ("phone_invalid", "phone invalid"), ("time_zone", "time zone"), ("stage", "stage"),
    ("cycle", "buying cycle"), ("email", "email"), ("phone", "phone"),
    ("first_name", "first name"), ("last_name", "last name"), ("website", "website"),
)
ACCOUNT_FIELDS = (
    ("country", "country"), ("industry", "industry"), ("employees", "employees"),
    ("annual_revenue", "annual revenue"), ("name", "name"), ("domain", "domain"),
    ("state", "state or region"), ("city", "city"), ("website", "website"),
)
SCORE_FIELDS = {"grade": ("grade (A1…D4)", TEXT), "fit": ("fit (A…D)", TEXT),
                "engagement": ("engagement (1…4)", NUMBER),
                "probability": ("probability (0…1)", NUMBER)}
INQUIRY_FIELDS = {"source": ("source", TEXT), "campaign": ("campaign", TEXT),
                  "form": ("form", TEXT), "channel": ("channel", TEXT),
                  "hot": ("hot", BOOL)}
OPERATORS = [("eq", "equals"), ("ne", "does not equal"), ("in", "is one of"),
             ("contains", "contains"), ("gte", "is at least (≥)"), ("lte", "is at most (≤)"),
             ("exists", "is set"), (MISSING, "is missing")]
assert {code for code, _ in OPERATORS} - {MISSING} == set(Rule.Operator.values)
KIND_HINTS = {NUMBER: " (number)", BOOL: " (yes / no)"}


def model_kind(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # condition_error says so on saving
        return ANY
    if isinstance(field, models.BooleanField):
        return BOOL
    if isinstance(field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return NUMBER if not field.is_relation else ANY
    if field.is_relation:
        return ANY
    return TEXT


def field_kind(field: str) -> str:
    """How a value of this condition field is typed: TEXT, NUMBER, BOOL or ANY."""
    scope, _, name = field.partition(".")
    if scope in ("lead", "account"):
        return model_kind(Lead if scope == "lead" else Account, name)
    if scope == "score":
        return SCORE_FIELDS.get(name, ("", ANY))[1]
    if scope == "inquiry":
        return INQUIRY_FIELDS.get(name, ("", ANY))[1]
    return ANY  # facts hold any JSON value


def known_facts() -> list[str]:
    """The facts the enrichment providers fill (and the HTTP provider's field map)."""
    names = {name for provider in REGISTRY.values() for name in provider.fills}
    with contextlib.suppress(ProviderError):  # a broken map is enrichment's to report
        names |= set(field_map(http_config()).values())
    return sorted(names)


def field_choices(extra: str = "") -> list[tuple[str, Any]]:
    """The field list, grouped; `extra`, a stored or typed field the list does
    not have, is added so it shows as it was."""

    def labelled(scope: str, word: str, name: str, label: str, kind: str) -> tuple[str, str]:
        return f"{scope}.{name}", f"{word}: {label}{KIND_HINTS.get(kind, '')}"

    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("Lead", [labelled("lead", "Lead", name, label, model_kind(Lead, name))
                  for name, label in LEAD_FIELDS]),
        ("Account", [labelled("account", "Account", name, label, model_kind(Account, name))
                     for name, label in ACCOUNT_FIELDS]),
        ("Score", [labelled("score", "Score", name, label, kind)
                   for name, (label, kind) in SCORE_FIELDS.items()]),
        ("Latest inquiry", [labelled("inquiry", "Inquiry", name, label, kind)
                            for name, (label, kind) in INQUIRY_FIELDS.items()]),
        ("Enrichment fact", [(f"fact.{name}", f"Fact: {name}") for name in known_facts()]
         + [(OTHER_FACT, "Another fact, named in the box…")]),
    ]
    listed = {value for _, options in groups for value, _ in options}
    if extra and extra not in listed:
        if extra.startswith("fact.") and len(extra) > len("fact."):
            groups[-1][1].insert(-1, (extra, f"Fact: {extra[len('fact.'):]}"))
        else:
            groups.append(("Other", [(extra, extra)]))
    return [("", "—"), *groups]


def row_number(prefix: str | None) -> int | None:
    """Condition 1, 2… from the formset's prefix ("conditions-0")."""
    match = re.search(r"-(\d+)$", prefix or "")
    return int(match[1]) + 1 if match else None


class ConditionForm(forms.Form):
    field = forms.ChoiceField(required=False, label="Field")
    fact = forms.CharField(required=False, max_length=64, label="Fact",
                           widget=forms.TextInput(attrs={"size": 14,
                                                         "placeholder": "e.g. seniority"}))
    operator = forms.ChoiceField(choices=OPERATORS, initial="eq", label="Operator")
    value = forms.CharField(required=False, max_length=1000, label="Value",
                            widget=forms.TextInput(attrs={"size": 18}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = row_number(self.prefix)
        shown = self.data.get(self.add_prefix("field")) if self.is_bound else (
            self.initial.get("field"))
        self.fields["field"].choices = field_choices(str(shown or ""))  # type: ignore[attr-defined]
        name = f"Condition {self.number}" if self.number else "Condition"
        for bound in self.fields.values():
            bound.widget.attrs.setdefault("aria-label", f"{name}: {str(bound.label).lower()}")
        self.fields["field"].widget.attrs["data-fact-choice"] = OTHER_FACT
        self.fields["fact"].widget.attrs["data-fact-name"] = ""

    def said(self, message: str) -> str:
        return f"condition {self.number}: {message}" if self.number else message

    def chosen_field(self) -> str:
        data = self.cleaned_data
        field = data.get("field") or ""
        if field == OTHER_FACT:
            return f"fact.{data.get('fact', '').strip()}" if data.get("fact", "").strip() else ""
        return field

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("field") and not (data.get("value") or "").strip() and not (
            data.get("fact") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if "field" in self.errors or self.is_blank():
            return data
        if not data.get("field"):
            self.add_error("field", self.said("choose a field"))
            return data
        if data["field"] == OTHER_FACT and not (data.get("fact") or "").strip():
            self.add_error("fact", self.said("name the enrichment fact, e.g. seniority"))
            return data
        operator = data.get("operator") or "eq"
        if operator == MISSING:
            data["parsed"] = False
            return data
        try:
            data["parsed"] = parse_value(data.get("value") or "", operator,
                                         field_kind(self.chosen_field()))
        except ValueTextError as error:
            self.add_error("value", self.said(str(error)))
        return data

    def condition(self) -> dict[str, Any]:
        operator = self.cleaned_data.get("operator") or "eq"
        return {"field": self.chosen_field(),
                "operator": "exists" if operator == MISSING else operator,
                "value": self.cleaned_data.get("parsed")}


class BaseConditionFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # under the "Remove" column head: a name of its own
            number = "" if index is None else f" {index + 1}"
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remove condition{number}"

    def clean(self) -> None:
        """Each row checked as routing will evaluate it; the error names the
        row and sits at its field."""
        if any(self.errors):
            return
        for form in self.forms:
            if form.cleaned_data.get("DELETE") or form.is_blank():
                continue
            error = condition_error(form.condition())
            if error:
                form.add_error("field", form.said(error))

    def conditions(self) -> list[dict[str, Any]]:
        kept = [form.condition() for form in self.forms
                if not form.cleaned_data.get("DELETE") and not form.is_blank()]
        error = conditions_error(kept)
        if error:  # unreachable after clean(); a guard against saving what routing skips
            raise forms.ValidationError(error)
        return kept


ConditionFormSet = forms.formset_factory(ConditionForm, formset=BaseConditionFormSet,
                                         extra=2, can_delete=True)


def condition_initial(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored conditions as the rows' initial values (field, operator, value text)."""
    rows = []
    for condition in conditions:
        if not isinstance(condition, dict):
            continue
        field = str(condition.get("field") or "")
        operator = condition.get("operator", "eq")
        value = condition.get("value")
        if operator == "exists" and value is False:
            rows.append({"field": field, "operator": MISSING, "value": ""})
            continue
        rows.append({"field": field, "operator": operator,
                     "value": value_text(value, operator, field_kind(field))})
    return rows
