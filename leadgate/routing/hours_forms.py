"""Business hours as form fields: one row per weekday with an "open" box and
its spans (opens, closes), a second span for a lunch break; used by the team
hours form and a seat's own hours (`routing.forms`).

What is saved is the spec `Schedule.from_spec` reads (`hours_grid.week_to_spec`),
checked with `schedule_error` as routing will read it. Errors name the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django import forms

from leadgate.lib.business_hours import DAY_NAMES, MIDNIGHT, Interval, Schedule

from .hours_grid import CLOSED_WEEK, Week, most_spans, spec_to_week, wall_text, week_to_spec

DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Two spans a day unless stored hours have more: a morning and an afternoon.
GRID_SPANS = 2
TIME_FORMAT = "%H:%M"


def schedule_error(tz: str, hours: Mapping[str, str], holidays: Any = ()) -> str | None:
    try:
        Schedule.from_spec(tz, hours, holidays)
    except ValueError as error:
        return str(error)
    return None


def span_words(number: int) -> tuple[str, str]:
    """Column heads of a day's span `number` (1-based)."""
    if number == 1:
        return "Opens", "Closes"
    if number == 2:
        return "Opens again", "Closes again"
    return f"Opens ({number})", f"Closes ({number})"


class ClosingTimeField(forms.TimeField):
    """A closing time; 24:00 is taken for midnight (the end of the day), which
    an <input type="time"> writes 00:00, the way `business_hours` reads it."""

    def to_python(self, value: Any) -> time | None:
        if isinstance(value, str) and value.strip() == "24:00":
            return MIDNIGHT
        return super().to_python(value)


def time_field(label: str, closing: bool) -> forms.TimeField:
    kind = ClosingTimeField if closing else forms.TimeField
    return kind(required=False, label=label,
                input_formats=[TIME_FORMAT, "%H:%M:%S"],
                error_messages={"invalid": f"{label}: not a time such as 09:00"},
                widget=forms.TimeInput(format=TIME_FORMAT,
                                       attrs={"type": "time", "class": "hours-time"}))


@dataclass
class DayRow:
    """One weekday of the grid, as the template shows it."""

    label: str
    open: forms.BoundField
    cells: list[tuple[str, forms.BoundField]]  # (column head, time input), in order
    errors: list[str] = field(default_factory=list)


class HoursGridMixin:
    """Adds the grid's fields to a form (call `add_hours_grid` in __init__) and
    reads them back (`clean_hours_grid` in clean)."""

    grid_spans: int = GRID_SPANS
    # Why stored hours could not be shown (the grid then starts closed).
    hours_note: str = ""

    def add_hours_grid(self, spec: Mapping[str, str] | None) -> None:
        form: Any = self  # a Form: fields and initial are its own
        try:
            week = spec_to_week(spec or {})
        except ValueError as error:
            week = CLOSED_WEEK
            self.hours_note = f"The stored hours could not be read ({error}): set them again."
        self.grid_spans = max(GRID_SPANS, most_spans(week))
        for day, (name, label) in enumerate(zip(DAY_NAMES, DAY_LABELS, strict=True)):
            form.fields[f"{name}_open"] = forms.BooleanField(
                required=False, label=label,
                widget=forms.CheckboxInput(attrs={"aria-label": f"Open on {label}",
                                                  "class": "hours-open"}))
            form.initial.setdefault(f"{name}_open", bool(week[day]))
            for number in range(1, self.grid_spans + 1):
                opens_word, closes_word = span_words(number)
                opens, closes = f"{name}_opens_{number}", f"{name}_closes_{number}"
                form.fields[opens] = time_field(f"{label} {opens_word.lower()}", closing=False)
                form.fields[closes] = time_field(f"{label} {closes_word.lower()}", closing=True)
                for bound_name in (opens, closes):
                    form.fields[bound_name].widget.attrs["aria-label"] = (
                        form.fields[bound_name].label)
                if number <= len(week[day]):
                    start, end = week[day][number - 1]
                    form.initial.setdefault(opens, start)
                    form.initial.setdefault(closes, end)

    def grid_field_names(self) -> set[str]:
        names = set()
        for name in DAY_NAMES:
            names.add(f"{name}_open")
            for number in range(1, self.grid_spans + 1):
                names |= {f"{name}_opens_{number}", f"{name}_closes_{number}"}
        return names

    def grid_heads(self) -> list[str]:
        return [word for number in range(1, self.grid_spans + 1)
                for word in span_words(number)]

    def grid_rows(self) -> list[DayRow]:
        form: Any = self
        rows = []
        heads = self.grid_heads()
        for name, label in zip(DAY_NAMES, DAY_LABELS, strict=True):
            inputs = [form[f"{name}_{part}_{number}"] for number in range(1, self.grid_spans + 1)
                      for part in ("opens", "closes")]
            row = DayRow(label, form[f"{name}_open"], list(zip(heads, inputs, strict=True)))
            for bound in [row.open, *inputs]:
                row.errors.extend(str(e) for e in bound.errors if str(e) not in row.errors)
            rows.append(row)
        return rows

    def grid_columns(self) -> int:
        return 1 + 2 * self.grid_spans

    def clean_hours_grid(self) -> Week | None:
        """The week the grid gives, or None after adding an error at each wrong day."""
        form: Any = self
        data = form.cleaned_data
        week: list[tuple[Interval, ...]] = []
        wrong = False
        for name, label in zip(DAY_NAMES, DAY_LABELS, strict=True):
            if not data.get(f"{name}_open"):
                week.append(())
                continue
            if any(f"{name}_{part}_{number}" in form.errors for part in ("opens", "closes")
                   for number in range(1, self.grid_spans + 1)):
                wrong = True  # a time that is not one: already said, at its field
                continue
            spans, error = self._day_spans(name, label)
            if error:
                form.add_error(f"{name}_open", error)
                wrong = True
            week.append(spans)
        if wrong:
            return None
        if not any(week):
            form.add_error("mon_open", "open on at least one day: tick the days and give "
                                       "their hours")
            return None
        return tuple(week)

    def _day_spans(self, name: str, label: str) -> tuple[tuple[Interval, ...], str | None]:
        form: Any = self
        data = form.cleaned_data
        spans: list[Interval] = []
        for number in range(1, self.grid_spans + 1):
            opens, closes = data.get(f"{name}_opens_{number}"), data.get(f"{name}_closes_{number}")
            if opens is None and closes is None:
                continue  # an unused span (the lunch break's, say)
            if opens is None or closes is None:
                missing = "opening" if opens is None else "closing"
                return (), f"{label}: give the {missing} time too"
            if closes != MIDNIGHT and closes <= opens:
                return (), (f"{label}: closes before it opens ({wall_text(opens)} to "
                            f"{wall_text(closes)}); a day's hours cannot run past midnight "
                            "(close at 00:00 for midnight)")
            if spans and (spans[-1][1] == MIDNIGHT or opens < spans[-1][1]):
                return (), (f"{label}: opens again at {wall_text(opens)}, before it closes "
                            f"at {wall_text(spans[-1][1], end=True)}")
            spans.append((opens, closes))
        if not spans:
            return (), f"{label}: give its opening and closing times, or untick it"
        return tuple(spans), None

    def hours_spec(self, tz: str, week: Week) -> dict[str, str] | None:
        """The spec of a clean week, checked as routing will read it (a guard:
        the grid's own checks should have caught anything wrong)."""
        spec = week_to_spec(week)
        error = schedule_error(tz, spec)
        if error:
            form: Any = self
            form.add_error("mon_open", f"business hours: {error}")
            return None
        return spec
