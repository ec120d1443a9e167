"""Forms of the managers' routing pages: rules and their conditions, seats,
absences, team hours, SLA policies, and reassignment by hand.

Every check is the one routing itself relies on (`conditions.condition_error`,
`Schedule.from_spec`), so what a manager saves is what routing can use.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from django import forms

from leadgate.leads.lifecycle import ON_DESK, Role
from leadgate.leads.models import Lead, Team, User
from leadgate.lib.business_hours import OFFICE_HOURS, Schedule
from leadgate.lib.timezones import is_time_zone
from leadgate.scoring.forms import JSONValueField
from leadgate.scoring.models import Rule

from .conditions import condition_error, conditions_error
from .models import Absence, RoutingRule, Seat, SlaPolicy

HOURS_HELP = 'JSON, e.g. {"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"}'


def active_qualifiers() -> Any:
    return (User.objects.filter(is_active=True, groups__name=Role.QUALIFIER)
            .select_related("team").distinct().order_by("team__name", "username"))


class QualifierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.team})" if obj.team_id else name


class RuleForm(forms.ModelForm):
    user = QualifierChoiceField(queryset=active_qualifiers(), required=False,
                                label="Or a qualifier", empty_label="—")

    class Meta:
        model = RoutingRule
        fields = ["name", "active", "team", "user"]
        labels = {"team": "Team"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not data.get("team") and not data.get("user") and "team" not in self.errors:
            self.add_error("team", "choose a team or a qualifier the matching leads go to")
        return data


class ConditionForm(forms.Form):
    field = forms.CharField(required=False, max_length=100,
                            widget=forms.TextInput(attrs={"size": 20,
                                                          "placeholder": "account.country"}))
    operator = forms.ChoiceField(choices=Rule.Operator.choices, initial="eq")
    value = JSONValueField(required=False, widget=forms.TextInput(attrs={"size": 18}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound in self.visible_fields():
            bound.field.widget.attrs.setdefault("aria-label", f"Condition {bound.label}")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("field") and data.get("value") in (None, "")

    def condition(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"field": data["field"].strip(), "operator": data.get("operator") or "eq",
                "value": data.get("value")}


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
        for number, form in enumerate(self.forms, start=1):
            if form.cleaned_data.get("DELETE") or form.is_blank():
                continue
            if not form.cleaned_data.get("field"):
                form.add_error("field", f"condition {number}: a field is required")
                continue
            error = condition_error(form.condition())
            if error:
                form.add_error("field", f"condition {number}: {error}")

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
    return [{"field": c.get("field", ""), "operator": c.get("operator", "eq"),
             "value": c.get("value")} for c in conditions if isinstance(c, dict)]


class HoursField(forms.JSONField):
    """A business-hours spec as JSON text; empty is {} (the default hours)."""

    default_error_messages = {"invalid": f"not valid JSON; {HOURS_HELP}"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", HOURS_HELP)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 30}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value in (None, {}, ""):
            return ""
        return super().prepare_value(value)

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        if cleaned in (None, ""):
            return {}
        if not isinstance(cleaned, dict) or not all(
            isinstance(key, str) and isinstance(item, str) for key, item in cleaned.items()
        ):
            raise forms.ValidationError(f"an object of days to hours; {HOURS_HELP}")
        return cleaned


def schedule_error(tz: str, hours: dict[str, str], holidays: Any = ()) -> str | None:
    try:
        Schedule.from_spec(tz, hours, holidays)
    except ValueError as error:
        return str(error)
    return None


class SeatForm(forms.ModelForm):
    weight = forms.FloatField(help_text="share of new leads (2 = twice as many)")
    max_open = forms.IntegerField(required=False, min_value=1, label="Cap",
                                  help_text="open leads at most; empty: no cap",
                                  widget=forms.NumberInput(attrs={"style": "width: 5rem"}))
    hours = HoursField(label="Own hours",
                       help_text=f"in the qualifier's time zone; empty: the team's. {HOURS_HELP}")

    class Meta:
        model = Seat
        fields = ["weight", "max_open", "paused", "hours"]

    def clean_weight(self) -> float:
        weight = self.cleaned_data["weight"]
        if weight <= 0:
            raise forms.ValidationError("the weight must be above 0 (pause the seat instead)")
        return weight

    def clean_hours(self) -> dict[str, str]:
        hours = self.cleaned_data["hours"]
        if hours:
            error = schedule_error(self.instance.user.display_time_zone, hours)
            if error:
                raise forms.ValidationError(f"own hours: {error}")
        return hours


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["starts_on", "ends_on", "note"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"}),
                   "note": forms.TextInput(attrs={"size": 16})}
        labels = {"starts_on": "Away from", "ends_on": "Until (included)"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", f"the last day ({end}) is before the first ({start})")
        return data


class HolidaysField(forms.CharField):
    """Dates as text, YYYY-MM-DD, separated by commas, spaces or lines."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 28})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "local dates closed all day, YYYY-MM-DD, one per line")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value) or ""
        days: list[str] = []
        for item in re.split(r"[\s,;]+", text.strip()):
            if not item:
                continue
            try:
                days.append(date.fromisoformat(item).isoformat())
            except ValueError:
                raise forms.ValidationError(f"{item!r} is not a date (YYYY-MM-DD)") from None
        return sorted(set(days))


class TeamHoursForm(forms.ModelForm):
    hours = HoursField(label="Business hours",
                       help_text=f"in the team's time zone; empty: Monday-Friday 09:00-18:00. "
                                 f"{HOURS_HELP}")
    holidays = HolidaysField(label="Holidays")

    # Not the model field: making a team the default unsets the one before
    # (people_views.team_edit, in one transaction), which the model's
    # one-default constraint would refuse as a form error first.
    make_default = forms.BooleanField(
        label="Default team", required=False,
        help_text="takes the leads no routing rule sends elsewhere (one team at most: "
                  "the team that was the default stops being it)")

    class Meta:
        model = Team
        fields = ["time_zone", "hours", "holidays"]
        widgets = {"time_zone": forms.TextInput(attrs={"size": 18})}
        labels = {"time_zone": "Time zone"}
        help_texts = {"time_zone": "an IANA name, e.g. Europe/Paris"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["make_default"].initial = self.instance.is_default

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        tz = data.get("time_zone")
        hours = data.get("hours")
        if hours is not None and "hours" not in self.errors:
            # An invalid zone is reported at its own field; the hours are still checked.
            zone = tz if isinstance(tz, str) and is_time_zone(tz) else "UTC"
            error = schedule_error(zone, hours or OFFICE_HOURS)
            if error:
                self.add_error("hours", f"business hours: {error}")
        return data


class SlaPolicyForm(forms.ModelForm):
    minutes = forms.IntegerField(min_value=1, max_value=60 * 24 * 365,
                                 help_text="time allowed to the first human touch",
                                 widget=forms.NumberInput(attrs={"style": "width: 6rem"}))

    class Meta:
        model = SlaPolicy
        fields = ["minutes", "business_hours", "active", "escalate"]
        labels = {"business_hours": "Business hours only", "escalate": "Escalate on breach"}


class ReassignForm(forms.Form):
    to_user = forms.IntegerField(label="Give to", error_messages={
        "required": "choose the qualifier to give the lead to",
        "invalid": "choose the qualifier to give the lead to"})
    note = forms.CharField(required=False, max_length=1000,
                           widget=forms.TextInput(attrs={"size": 24}))


def reassign_refusal(by: User, lead: Lead, to_user: User | None) -> str | None:
    """Why `by` may not give the lead to `to_user`, or None. Managers and admins
    give to any qualifier; qualifiers only to someone of their own team.
    (Being an active qualifier is checked by `assign.reassign`.)"""
    if to_user is None:
        return "no such user"
    if lead.stage not in ON_DESK:
        return f"the lead is not on a qualifier's desk (it is {lead.get_stage_display()})"
    if by.has_role(Role.MANAGER, Role.ADMIN):
        return None
    if by.team_id is None or to_user.team_id != by.team_id:
        return f"{to_user.username} is not on your team"
    return None


def as_json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def instance_rows(objects: Any, form_class: Any, prefix: str,
                  bound: forms.ModelForm | None = None) -> list[tuple[Any, Any]]:
    """(object, form) for each object of a page that edits many rows at once:
    each form with ids of its own (`prefix` + pk), and `bound`, a form that
    failed validation, in its object's place so its errors and input show."""
    return [(obj, bound if bound is not None and bound.instance.pk == obj.pk
             else form_class(instance=obj, auto_id=f"{prefix}{obj.pk}_%s"))
            for obj in objects]
