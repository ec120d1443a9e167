"""Forms of the nurture pages: a cadence's settings, the step editor, the preview.

The editor is one plain HTML form with numbered fields ("step-0-kind",
"step-0-subject_A", ...), no JSON and no script: adding, removing and moving a
step are submit buttons that send the form back and get it again rearranged,
unsaved. Each step's fields are a StepForm; what it holds becomes a
cadences.StepSpec, and cadences.save_steps() checks and saves the lot, its
errors keyed so that each lands next to its field here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from .cadences import MAX_DELAY_DAYS, MAX_STEPS, StepSpec, role_taken
from .models import Cadence, Step

LABELS = ("A", "B", "C", "D")
WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
ENGAGEMENT = [("", "any"), ("engaged", "engaged since the previous step"),
              ("not_engaged", "not engaged since the previous step")]
# Where save_steps' error keys ("<index>.<part>") go in a StepForm.
PART_FIELDS = {
    "kind": "kind", "delay_days": "delay_days", "window_days": "window_days",
    "window_start": "window_start", "window_end": "window_end",
    "instructions": "instructions", "variants": "subject_A",
    "condition.grades": "grades", "condition.segments": "segments",
    "condition.engagement": "engagement",
}
VARIANT_FIELDS = {"subject": "subject", "text_body": "text", "html_body": "html"}
ACTION = re.compile(r"^(save|add|up|down|remove)(?::(\d+))?$")


class CadenceForm(forms.ModelForm):
    class Meta:
        model = Cadence
        fields = ["name", "description", "role", "next_cadence"]
        labels = {"role": "Role", "next_cadence": "Next cycle's cadence"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"next_cadence": "the track of the lead's next nurture cycle"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Cadence.objects.filter(archived_at__isnull=True)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        next_cadence = self.fields["next_cadence"]
        assert isinstance(next_cadence, forms.ModelChoiceField)
        next_cadence.queryset = others
        next_cadence.empty_label = "the same cadence again"

    def clean_role(self) -> str:
        role = self.cleaned_data.get("role") or ""
        taken = role_taken(role, self.instance)
        if taken:
            raise ValidationError(taken)
        return role


class CadenceEditForm(CadenceForm):
    note = forms.CharField(required=False, max_length=200, label="Note on this change",
                           help_text="kept with the version, e.g. “shorter second email”")


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=Step.Kind.choices, label="Kind",
                             widget=forms.Select(attrs={"data-step-kind": ""}))
    delay_days = forms.IntegerField(min_value=0, max_value=MAX_DELAY_DAYS, initial=0,
                                    label="Delay (business days)",
                                    widget=forms.NumberInput(attrs={"class": "num-input"}))
    window_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, label="Days",
        widget=forms.CheckboxSelectMultiple)
    window_start = forms.TimeField(required=False, label="From",
                                   widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    window_end = forms.TimeField(required=False, label="Until",
                                 widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    grades = forms.CharField(required=False, max_length=200, label="Grades",
                             widget=forms.TextInput(attrs={"placeholder": "A, B2"}))
    segments = forms.CharField(required=False, max_length=1000, label="Segments",
                               widget=forms.TextInput(
                                   attrs={"placeholder": "industry:Software, country:FR"}))
    engagement = forms.ChoiceField(choices=ENGAGEMENT, required=False, label="Engagement")
    instructions = forms.CharField(required=False, label="Instructions (tasks)",
                                   widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, number: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = number
        for label in LABELS:
            self.fields[f"subject_{label}"] = forms.CharField(
                required=False, max_length=255, label=f"{label}: subject or task title")
            self.fields[f"text_{label}"] = forms.CharField(
                required=False, label=f"{label}: text body",
                widget=forms.Textarea(attrs={"rows": 4, "class": "code-box"}))
            self.fields[f"html_{label}"] = forms.CharField(
                required=False, label=f"{label}: HTML body",
                widget=forms.Textarea(attrs={"rows": 4, "class": "code-box"}))
        # Every step has the same labels: name each input for screen readers
        # (and tests) by its step too.
        # (The weekday checkboxes keep their own labels, Mon..Sun.)
        for name, bound in self.fields.items():
            if name != "window_days":
                bound.widget.attrs.setdefault("aria-label", f"Step {number} {bound.label}")

    @property
    def variant_slots(self) -> list[dict[str, Any]]:
        """The variants' fields by label, for the template."""
        return [{"label": label, "subject": self[f"subject_{label}"],
                 "text": self[f"text_{label}"], "html": self[f"html_{label}"],
                 "filled": any(self._value(f"{part}_{label}") for part in
                               ("subject", "text", "html"))}
                for label in LABELS]

    def _value(self, name: str) -> str:
        value = self[name].value()
        return str(value or "").strip()

    def spec(self) -> StepSpec:
        """The step as cadences takes it. The fields a kind does not use
        (hidden by editor.js, or left over from the kind before) are left out
        rather than refused: a wait has no words, window or condition, a
        call, social or direct-mail task only a title and instructions."""
        data = self.cleaned_data
        kind = data["kind"]
        if kind == Step.Kind.WAIT:
            return StepSpec(kind=kind, delay_days=data["delay_days"])
        variants = []
        for label in LABELS if kind in Step.EMAILS else LABELS[:1]:
            parts = (data[f"subject_{label}"], data[f"text_{label}"], data[f"html_{label}"])
            if kind not in Step.EMAILS:
                parts = (parts[0], "", "")
            if any(part.strip() for part in parts):
                variants.append((label, *parts))
        condition: dict[str, Any] = {
            "grades": [grade.upper() for grade in _split(data["grades"])],
            "segments": _split(data["segments"]),
            "engagement": data["engagement"],
        }
        return StepSpec(
            kind=kind, delay_days=data["delay_days"], window_days=data["window_days"],
            window_start=data["window_start"], window_end=data["window_end"],
            condition={key: value for key, value in condition.items() if value},
            instructions=data["instructions"] if kind in Step.TASKS else "",
            variants=variants)


def initial_of(spec: StepSpec) -> dict[str, Any]:
    """A StepForm's initial values for a saved step."""
    initial: dict[str, Any] = {
        "kind": spec.kind, "delay_days": spec.delay_days, "window_days": spec.window_days,
        "window_start": spec.window_start, "window_end": spec.window_end,
        "grades": ", ".join(spec.condition.get("grades") or []),
        "segments": ", ".join(spec.condition.get("segments") or []),
        "engagement": spec.condition.get("engagement") or "",
        "instructions": spec.instructions,
    }
    free = [label for label in LABELS if label not in {v[0] for v in spec.variants}]
    for label, subject, text, html in spec.variants:
        # A label of the editor's own stays in its slot; another (made
        # elsewhere) takes the first free one.
        slot = label if label in LABELS else (free.pop(0) if free else None)
        if slot:
            initial.update({f"subject_{slot}": subject, f"text_{slot}": text,
                            f"html_{slot}": html})
    return initial


BLANK_STEP: dict[str, Any] = {"kind": Step.Kind.AUTO_EMAIL, "delay_days": 2}


def _raw_steps(post: QueryDict) -> list[dict[str, Any]]:
    """The steps' submitted values, in order, without their numbers."""
    names = list(StepForm().fields)
    rows = []
    for index in range(_step_count(post)):
        prefix = f"step-{index}-"
        rows.append({name: post.getlist(prefix + name) if name == "window_days"
                     else post.get(prefix + name, "") for name in names})
    return rows


def _step_count(post: QueryDict) -> int:
    try:
        return max(0, min(int(post.get("step-count", "0")), MAX_STEPS + 1))
    except ValueError:
        return 0


def step_forms(rows: list[dict[str, Any]] | None = None, *,
               data: QueryDict | None = None) -> list[StepForm]:
    """Bound forms of a submitted editor (`data`), or unbound ones showing `rows`."""
    if data is not None:
        return [StepForm(data, prefix=f"step-{index}", number=index + 1)
                for index in range(_step_count(data))]
    return [StepForm(prefix=f"step-{index}", number=index + 1, initial=row)
            for index, row in enumerate(rows or [])]


@dataclass
class Editor:
    """Everything the edit page shows: the cadence's settings, its steps,
    and the errors that belong to no field."""

    settings: CadenceEditForm
    steps: list[StepForm]
    errors: list[str] = field(default_factory=list)

    @classmethod
    def for_cadence(cls, cadence: Cadence, specs: list[StepSpec]) -> Editor:
        rows = [initial_of(spec) for spec in specs] or [dict(BLANK_STEP, delay_days=0)]
        return cls(CadenceEditForm(instance=cadence), step_forms(rows))

    @classmethod
    def submitted(cls, cadence: Cadence, post: QueryDict) -> Editor:
        # A copy of the cadence: a refused save must not rename the page's heading.
        instance = Cadence.objects.get(pk=cadence.pk)
        return cls(CadenceEditForm(post, instance=instance), step_forms(data=post))

    @classmethod
    def rearranged(cls, cadence: Cadence, post: QueryDict, action: str) -> Editor:
        """The submitted editor with a step added, moved or removed, unsaved
        and unchecked (what is typed is shown again as typed)."""
        rows = _raw_steps(post)
        verb, _, number = action.partition(":")
        index = int(number) if number.isdigit() else -1
        if verb == "add" and len(rows) < MAX_STEPS:
            rows.append(dict(BLANK_STEP))
        elif verb == "remove" and 0 <= index < len(rows):
            rows.pop(index)
        elif verb == "up" and 0 < index < len(rows):
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif verb == "down" and 0 <= index < len(rows) - 1:
            rows[index], rows[index + 1] = rows[index + 1], rows[index]
        settings = {name: post.get(name, "") for name in CadenceEditForm.base_fields}
        return cls(CadenceEditForm(instance=cadence, initial=settings), step_forms(rows))

    def is_valid(self) -> bool:
        valid = self.settings.is_valid()
        return all([step.is_valid() for step in self.steps]) and valid

    def specs(self) -> list[StepSpec]:
        return [step.spec() for step in self.steps]

    @property
    def note(self) -> str:
        return str(self.settings.cleaned_data.get("note") or "")

    def add_errors(self, error: ValidationError) -> None:
        """save_steps()'s errors, each by its field (else at the top)."""
        if not hasattr(error, "error_dict"):
            self.errors.extend(error.messages)
            return
        for key, messages in error.message_dict.items():
            target = self._field_of(key)
            for message in messages:
                if target is None:
                    self.errors.append(message)
                else:
                    form, name = target
                    form.add_error(name, message)

    def _field_of(self, key: str) -> tuple[StepForm, str] | None:
        index, _, part = key.partition(".")
        if not index.isdigit() or int(index) >= len(self.steps):
            return None
        form = self.steps[int(index)]
        name = PART_FIELDS.get(part)
        if name is None:
            label, _, variant_part = part.partition(".")
            if label in LABELS and variant_part in VARIANT_FIELDS:
                name = f"{VARIANT_FIELDS[variant_part]}_{label}"
        return (form, name) if name and name in form.fields else None

    @property
    def error_count(self) -> int:
        return (len(self.errors) + len(self.settings.errors)
                + sum(len(step.errors) for step in self.steps))


def editor_action(post: QueryDict) -> str:
    """The button pressed: "save" (also Enter in a field: Save is the form's
    first button), "add", "up:N", "down:N", "remove:N"."""
    action = post.get("action", "save")
    return action if ACTION.match(action) else "save"


class PreviewForm(forms.Form):
    lead = forms.IntegerField(min_value=1, label="Lead (id)",
                              widget=forms.NumberInput(attrs={"list": "preview-leads"}))
    step = forms.TypedChoiceField(coerce=int, label="Step")
    variant = forms.ChoiceField(choices=[(label, label) for label in LABELS], initial="A",
                                required=False, label="Variant")

    def __init__(self, *args: Any, steps: list[Step], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step = self.fields["step"]
        assert isinstance(step, forms.TypedChoiceField)
        step.choices = [(s.position + 1, f"{s.position + 1}: {s.get_kind_display()}")
                        for s in steps if s.kind != Step.Kind.WAIT]
