"""Forms of the rule-editing pages: a draft's settings, its rules, a new draft.

Every rule is checked with `rules.rule_error`, the same check scoring applies,
so a saved draft has no rule that scoring would skip.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction

from .models import Rule, RuleSet
from .rules import rule_error

SETTINGS_FIELDS = [
    "note", "half_life_days", "fit_a", "fit_b", "fit_c",
    "engagement_1", "engagement_2", "engagement_3",
    "mql_min_fit", "mql_min_engagement", "mql_hot",
]
RULE_FIELDS = ["kind", "name", "field", "operator", "value", "points", "half_life_days"]
# Cut-offs from the best grade down; each must be >= the next one.
CUTOFF_CHAINS = (("fit_a", "fit_b", "fit_c"), ("engagement_1", "engagement_2", "engagement_3"))


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = SETTINGS_FIELDS
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "half_life_days": "Engagement half-life (days)",
            "fit_a": "Fit A from", "fit_b": "Fit B from", "fit_c": "Fit C from",
            "engagement_1": "Engagement 1 from", "engagement_2": "Engagement 2 from",
            "engagement_3": "Engagement 3 from", "mql_min_fit": "MQL: minimum fit",
            "mql_min_engagement": "MQL: minimum engagement", "mql_hot": "MQL: hot inquiry",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        for chain in CUTOFF_CHAINS:
            for higher, lower in zip(chain, chain[1:], strict=False):
                top, bottom = data.get(higher), data.get(lower)
                if top is not None and bottom is not None and bottom > top:
                    self.add_error(lower, f"{lower} ({bottom:g}) must not be above "
                                          f"{higher} ({top:g}): grades are ordered")
        return data


class JSONValueField(forms.JSONField):
    """The rule's value as JSON text; empty text is no value (None), and None
    shows as empty rather than "null"."""

    default_error_messages = {
        "invalid": 'value is not valid JSON; write text in quotes ("DE"), a list '
                   '(["US", "DE"]), a number (200) or true / false',
    }

    def prepare_value(self, value: Any) -> Any:
        if value is None:
            return ""
        return super().prepare_value(value)


class RuleForm(forms.ModelForm):
    value = JSONValueField(required=False, widget=forms.TextInput(attrs={"size": 14}),
                           help_text="fit rules only; JSON")

    class Meta:
        model = Rule
        fields = RULE_FIELDS
        # One row per rule: narrow inputs so a row fits the page.
        widgets = {
            "name": forms.TextInput(attrs={"size": 18}),
            "field": forms.TextInput(attrs={"size": 18}),
            "operator": forms.Select(attrs={"style": "max-width: 10rem"}),
            "points": forms.NumberInput(attrs={"style": "width: 5.5rem"}),
            "half_life_days": forms.NumberInput(attrs={"style": "width: 5.5rem"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The rules are table rows under one header: name each input for screen readers.
        for bound in self.visible_fields():
            bound.field.widget.attrs.setdefault("aria-label", str(bound.label))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("kind") and data.get("field"):
            rule = Rule(kind=data["kind"], field=data["field"],
                        operator=data.get("operator") or "")
            error = rule_error(rule)
            if error:
                self.add_error("field", error)
        return data


RuleFormSet = forms.inlineformset_factory(
    RuleSet, Rule, form=RuleForm, fields=RULE_FIELDS, extra=2, can_delete=True,
)


class NewDraftForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=RuleSet.objects.all(), to_field_name="version", required=False,
        label="Copy of", empty_label="the active version",
    )
    note = forms.CharField(required=False, max_length=1000)


class DraftGone(Exception):
    """The draft was activated (or deleted) while it was being edited."""


def save_draft(ruleset: RuleSet, form: RuleSetForm, formset: Any) -> None:
    """Save a valid settings form and rule formset together, or neither.

    The row lock makes the editable check and the save one step: an activation
    running meanwhile either finishes first (and the save is refused) or waits.
    """
    with transaction.atomic():
        current = RuleSet.objects.select_for_update().filter(pk=ruleset.pk).first()
        if current is None or not current.editable:
            raise DraftGone
        # Only the settings: `active` and `activated_at` belong to activation.
        form.save(commit=False).save(update_fields=SETTINGS_FIELDS)
        formset.save()
