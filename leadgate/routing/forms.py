"""Forms of the managers' routing pages: rules and their conditions, seats,
absences, team hours, SLA policies, and reassignment by hand.

Every check is the one routing itself relies on (`conditions.condition_error`,
`Schedule.from_spec`), so what a manager saves is what routing can use. The
condition rows are in `condition_forms`, the weekly hours grid in `hours_forms`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms

from leadgate.leads.lifecycle import ON_DESK, Role
from leadgate.leads.models import Lead, Team, User
from leadgate.lib.business_hours import OFFICE_HOURS
from leadgate.lib.timezones import is_time_zone

# Re-exported: the segment tests' form (reports) takes its condition rows from here.
from .condition_forms import BaseConditionFormSet as BaseConditionFormSet
from .condition_forms import ConditionFormSet as ConditionFormSet
from .hours_forms import HoursGridMixin
from .models import Absence, RoutingRule, Seat, SlaPolicy


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


def team_hours(team: Team | None) -> dict[str, str]:
    """The hours a team works (office hours when it has none), as routing reads them."""
    return (team.hours if team is not None else None) or OFFICE_HOURS


class SeatForm(HoursGridMixin, forms.ModelForm):
    weight = forms.FloatField(help_text="share of new leads (2 = twice as many)")
    max_open = forms.IntegerField(required=False, min_value=1, label="Cap",
                                  help_text="open leads at most; empty: no cap",
                                  widget=forms.NumberInput(attrs={"style": "width: 5rem"}))
    # An explicit choice rather than "an empty grid means the team's": closing
    # every day by mistake must not silently hand the seat the team's hours.
    hours_mode = forms.ChoiceField(
        label="Working hours", initial="team", widget=forms.RadioSelect,
        choices=[("team", "The team's hours"), ("own", "Own hours (in the grid)")])

    class Meta:
        model = Seat
        fields = ["weight", "max_open", "paused"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = bool(self.instance.hours)
        self.initial.setdefault("hours_mode", "own" if own else "team")
        # Without hours of its own, the grid starts from the team's: a manager
        # choosing "own hours" edits them rather than starting from nothing.
        self.add_hours_grid(self.instance.hours if own else team_hours(self.instance.user.team))

    def clean_weight(self) -> float:
        weight = self.cleaned_data["weight"]
        if weight <= 0:
            raise forms.ValidationError("the weight must be above 0 (pause the seat instead)")
        return weight

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("hours_mode") != "own":
            # The grid is not used: what it holds (even a bad time) is not the seat's.
            for name in self.grid_field_names():
                self.errors.pop(name, None)
            data["hours"] = {}
            return data
        week = self.clean_hours_grid()
        if week is not None:
            data["hours"] = self.hours_spec(self.instance.user.display_time_zone, week)
        return data

    def save(self, commit: bool = True) -> Any:
        self.instance.hours = self.cleaned_data["hours"]
        return super().save(commit)


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


class TeamHoursForm(HoursGridMixin, forms.ModelForm):
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
        fields = ["time_zone", "holidays"]
        widgets = {"time_zone": forms.TextInput(attrs={"size": 18})}
        labels = {"time_zone": "Time zone"}
        help_texts = {"time_zone": "an IANA name, e.g. Europe/Paris"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["make_default"].initial = self.instance.is_default
        # A team without hours works office hours: the grid shows them, and
        # saving writes them down.
        self.add_hours_grid(team_hours(self.instance))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        week = self.clean_hours_grid()
        if week is not None:
            # An invalid zone is reported at its own field; the hours are still checked.
            tz = data.get("time_zone")
            zone = tz if isinstance(tz, str) and is_time_zone(tz) else "UTC"
            data["hours"] = self.hours_spec(zone, week)
        return data

    def save(self, commit: bool = True) -> Any:
        self.instance.hours = self.cleaned_data["hours"]
        return super().save(commit)


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


def instance_rows(objects: Any, form_class: Any, prefix: str,
                  bound: forms.ModelForm | None = None) -> list[tuple[Any, Any]]:
    """(object, form) for each object of a page that edits many rows at once:
    each form with ids of its own (`prefix` + pk), and `bound`, a form that
    failed validation, in its object's place so its errors and input show."""
    return [(obj, bound if bound is not None and bound.instance.pk == obj.pk
             else form_class(instance=obj, auto_id=f"{prefix}{obj.pk}_%s"))
            for obj in objects]
