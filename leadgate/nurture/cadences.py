"""Building cadences and reading how their steps do: what the nurture pages
(and anything else that builds a cadence: an import, a test) call.

`save_steps()` is the one way a cadence's steps change. It checks everything
before writing anything, so a template with an unknown merge field is refused
at save time rather than failing on a lead's email weeks later; and it keeps
the versioning rule of models.py: a version some lead started is history, so
an edit makes the next version, while an unused version is rewritten in place
(a cadence being drafted does not pile up versions).

`step_stats()` counts, per step and per A/B variant, what the step's runs led
to, with a couple of aggregate queries for the whole version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from leadgate.leads.models import User
from leadgate.mail.models import EmailEvent, OutboundEmail

from . import templating
from .models import Cadence, CadenceVersion, Enrollment, Step, StepRun, StepVariant

MAX_STEPS = 30
MAX_VARIANTS = 4
# A year of business days: further than that a step is a typo, not a plan.
MAX_DELAY_DAYS = 260
LABEL_MAX = StepVariant._meta.get_field("label").max_length or 8
SUBJECT_MAX = StepVariant._meta.get_field("subject").max_length or 255
# The parts of a variant, as StepSpec.variants holds them and errors name them.
PARTS = ("subject", "text_body", "html_body")
PART_NAMES = {"subject": "subject", "text_body": "text", "html_body": "HTML"}

# (label, subject, text_body, html_body)
Variant = tuple[str, str, str, str]


@dataclass
class StepSpec:
    """One step as an editor describes it (models.Step's fields, with its
    variants as (label, subject, text_body, html_body); a task's title is the
    variant's subject)."""

    kind: str
    delay_days: int = 0
    window_days: list[int] = field(default_factory=list)
    window_start: time | None = None
    window_end: time | None = None
    condition: dict[str, Any] = field(default_factory=dict)
    instructions: str = ""
    variants: list[Variant] = field(default_factory=list)

    @classmethod
    def of(cls, step: Step) -> StepSpec:
        """The spec of a saved step (its variants prefetched or not)."""
        return cls(kind=step.kind, delay_days=step.delay_days,
                   window_days=list(step.window_days or []), window_start=step.window_start,
                   window_end=step.window_end, condition=dict(step.condition or {}),
                   instructions=step.instructions,
                   variants=[(v.label, v.subject, v.text_body, v.html_body)
                             for v in sorted(step.variants.all(), key=lambda v: v.label)])

    def normalized(self) -> StepSpec:
        """The same step in the one form it is stored in: weekdays sorted once,
        empty condition parts dropped, variants by label; so an unchanged
        cadence compares equal to what is saved."""
        condition = {key: value for key, value in (self.condition or {}).items()
                     if value not in (None, "", [], {})}
        return StepSpec(
            kind=self.kind, delay_days=self.delay_days,
            # key=str: a stray non-number sorts too, and is refused by the check.
            window_days=sorted(set(self.window_days or []), key=str),
            window_start=self.window_start, window_end=self.window_end,
            condition=condition, instructions=(self.instructions or "").strip(),
            variants=sorted(((label.strip(), subject.strip(), text, html)
                             for label, subject, text, html in self.variants),
                            key=lambda variant: variant[0]))


def specs_of(version: CadenceVersion) -> list[StepSpec]:
    return [StepSpec.of(step) for step in version.ordered_steps()]


# --- creating and saving ---------------------------------------------------------------


def create_cadence(name: str, *, by: User | None, description: str = "", role: str = "",
                   next_cadence: Cadence | None = None) -> Cadence:
    """A new cadence with its version 1, no steps yet. ValidationError names
    the field: a name taken, a role another cadence has."""
    cadence = Cadence(name=(name or "").strip(), description=description or "",
                      role=role or "", next_cadence=next_cadence, created_by=by)
    taken = role_taken(role)
    if taken:
        raise ValidationError({"role": taken})
    cadence.full_clean()
    try:
        with transaction.atomic():
            cadence.save()
            CadenceVersion.objects.create(cadence=cadence, number=1, created_by=by)
    except IntegrityError as error:
        # Someone saved the same name or role between the check and the insert.
        raise ValidationError({"name": "a cadence of this name or role was just created by "
                                       "someone else; choose another"}) from error
    return cadence


def role_taken(role: str, cadence: Cadence | None = None) -> str:
    """Why `role` cannot be given to `cadence` (new when None): another
    cadence has it (one each: the database refuses a second). "" when free."""
    if not role:
        return ""
    others = Cadence.objects.filter(role=role)
    if cadence is not None and cadence.pk:
        others = others.exclude(pk=cadence.pk)
    other = others.first()
    if other is None:
        return ""
    return (f"“{other.name}” is already the {Cadence.Role(role).name.lower()} cadence; "
            "take the role from it first")


def save_steps(cadence: Cadence, steps: list[StepSpec], *, by: User | None,
               note: str = "") -> CadenceVersion:
    """Make `steps` the cadence's steps: in place when no lead started its
    current version, else as the next version (enrolled leads finish theirs).
    Everything is checked first: ValidationError with a message per problem,
    keyed "<step index>.<part>" (see check_steps), and nothing is written."""
    specs = [spec.normalized() for spec in steps]
    errors = check_steps(specs)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The lock makes "is the current version in use, then write" one step
        # per cadence: two editors saving at once do not both make version N+1
        # (the second waits, then finds N+1 unused and rewrites it).
        locked = Cadence.objects.select_for_update().filter(pk=cadence.pk).first()
        if locked is None:
            raise ValidationError({"steps": ["the cadence was deleted meanwhile"]})
        current = locked.current_version()
        if current is None:
            current = CadenceVersion.objects.create(cadence=locked, number=1, created_by=by)
        if specs == specs_of(current):
            return current  # nothing changed: no new version for leads to be split across
        if current.in_use:
            version = CadenceVersion.objects.create(
                cadence=locked, number=current.number + 1, created_by=by, note=note[:200])
        else:
            version = current
            # No enrollment has it, so no StepRun points at these steps either.
            version.steps.all().delete()
            if note:
                version.note = note[:200]
                version.save(update_fields=["note"])
        _write_steps(version, specs)
    return version


def _write_steps(version: CadenceVersion, specs: list[StepSpec]) -> None:
    rows = Step.objects.bulk_create(
        Step(version=version, position=index, kind=spec.kind, delay_days=spec.delay_days,
             window_days=spec.window_days, window_start=spec.window_start,
             window_end=spec.window_end, condition=spec.condition,
             instructions=spec.instructions)
        for index, spec in enumerate(specs))
    StepVariant.objects.bulk_create(
        StepVariant(step=row, label=label, subject=subject, text_body=text, html_body=html)
        for row, spec in zip(rows, specs, strict=True)
        for label, subject, text, html in spec.variants)


def set_archived(cadence: Cadence, archived: bool) -> None:
    """Archive (no new enrollments; enrolled leads finish it) or bring back."""
    Cadence.objects.filter(pk=cadence.pk).update(
        archived_at=timezone.now() if archived else None)
    cadence.refresh_from_db(fields=["archived_at"])


# --- checking --------------------------------------------------------------------------


def check_steps(specs: list[StepSpec]) -> dict[str, list[str]]:
    """Every problem of the steps, each message naming its step (counted from
    1), variant and part; keyed "<step index from 0>.<part>" so a form can put
    it by its field: "1.kind", "1.delay_days", "1.window_end", "1.condition",
    "1.instructions", "1.variants", "1.B.subject", "1.B.label"; "steps" for the
    list as a whole."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not specs:
        add("steps", "a cadence needs at least one step")
    if len(specs) > MAX_STEPS:
        add("steps", f"at most {MAX_STEPS} steps")
    for index, spec in enumerate(specs):
        _check_step(spec, _adder(index, add))
    return errors


def _adder(index: int, add: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """`add` for one step: its key and its words "step N, ..."."""
    def add_for_step(part: str, message: str) -> None:
        add(f"{index}.{part}", f"step {index + 1}, {message}")
    return add_for_step


def _check_step(spec: StepSpec, add: Callable[[str, str], None]) -> None:
    # Imported here: conditions reads scoring and intake, which the rest of
    # this module has no need of.
    from . import conditions

    if spec.kind not in Step.Kind.values:
        add("kind", f"kind: {spec.kind!r} is not one of {', '.join(Step.Kind.values)}")
        return
    if not isinstance(spec.delay_days, int) or not 0 <= spec.delay_days <= MAX_DELAY_DAYS:
        add("delay_days", f"delay: between 0 and {MAX_DELAY_DAYS} business days")
    elif spec.kind == Step.Kind.WAIT and spec.delay_days < 1:
        add("delay_days", "delay: a wait step waits at least 1 business day")
    window = Step(window_days=spec.window_days, window_start=spec.window_start,
                  window_end=spec.window_end)
    try:
        window.clean()  # the model's own window rules, so both agree
    except ValidationError as error:
        for part, messages in error.message_dict.items():
            for message in messages:
                add(part, f"{part.replace('_', ' ')}: {message}")
    for problem in conditions.problems(spec.condition):
        part = problem.split(":", 1)[0] if ":" in problem else "condition"
        add("condition." + part if part in ("grades", "segments", "engagement")
            else "condition", f"condition, {problem}")
    for problem in templating.problems(spec.instructions):
        add("instructions", f"instructions: {problem}")
    _check_variants(spec, add)


def _check_variants(spec: StepSpec, add: Callable[[str, str], None]) -> None:
    variants = spec.variants
    if spec.kind == Step.Kind.WAIT:
        if variants:
            add("variants", "a wait step sends nothing: it has no subject or body")
        return
    if len(variants) > MAX_VARIANTS:
        add("variants", f"at most {MAX_VARIANTS} variants")
    is_email = spec.kind in Step.EMAILS
    if not variants:
        add("variants", "an email needs a subject and a body" if is_email
            else "a task needs a title")
    labels = [label for label, *_ in variants]
    for label in sorted({label for label in labels if labels.count(label) > 1}):
        add(f"{label}.label", f"variant {label}: two variants have this label")
    for label, subject, text, html in variants:
        where = f"variant {label}" if label else "a variant"
        if not label or len(label) > LABEL_MAX:
            add(f"{label}.label", f"{where}: a label of 1 to {LABEL_MAX} characters")
        if not subject.strip():
            add(f"{label}.subject", f"{where}, subject: " + (
                "an email needs a subject" if is_email else "a task needs a title"))
        elif len(subject) > SUBJECT_MAX:
            add(f"{label}.subject", f"{where}, subject: at most {SUBJECT_MAX} characters")
        if is_email and not (text.strip() or html.strip()):
            add(f"{label}.text_body", f"{where}, text: an email needs a text or HTML body")
        for part, value in zip(PARTS, (subject, text, html), strict=True):
            for problem in templating.problems(value):
                add(f"{label}.{part}", f"{where}, {PART_NAMES[part]}: {problem}")


# --- statistics ------------------------------------------------------------------------


SENT = OutboundEmail.Status.SENT
Kind = EmailEvent.Kind
# What counts as a person's doing: an event no bot check flagged.
PERSON = Q(email__events__bot="")


@dataclass
class Counts:
    enrolled: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    bounced: int = 0
    unsubscribed: int = 0
    converted: int = 0

    COUNTED = ("enrolled", "sent", "opened", "clicked", "replied", "bounced", "unsubscribed",
               "converted")

    def add(self, row: dict[str, int]) -> None:
        for name in self.COUNTED:
            setattr(self, name, getattr(self, name) + (row.get(name) or 0))

    def _of_sent(self, count: int) -> float | None:
        return count / self.sent if self.sent else None

    @property
    def open_rate(self) -> float | None:
        return self._of_sent(self.opened)

    @property
    def click_rate(self) -> float | None:
        return self._of_sent(self.clicked)

    @property
    def reply_rate(self) -> float | None:
        return self._of_sent(self.replied)

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.enrolled if self.enrolled else None


@dataclass
class VariantStats(Counts):
    label: str = ""
    subject: str = ""


@dataclass
class StepStats(Counts):
    """A step's figures: `enrolled` enrollments reached it; of its emails
    `sent` went out, `opened`, `clicked`... by a person; `converted`
    enrollments came back to the desk (Enrollment.RETURNS) with this step
    their last. `variants`: the same per A/B variant, for email steps."""

    step: Step | None = None
    variants: list[VariantStats] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.step.position + 1 if self.step else 0


def _distinct_emails(condition: Q) -> Count:
    return Count("email_id", filter=condition, distinct=True)


def step_stats(version: CadenceVersion) -> list[StepStats]:
    """Per step of the version, in order, its figures and its variants'
    (three queries: the steps with their variants, the counts, the conversions)."""
    steps = version.ordered_steps()
    runs = StepRun.objects.filter(step__version=version)
    # One row per (step, variant). An event joins each run's email several
    # times over, so everything is counted distinct; each run has one
    # enrollment and one email, so the variants of a step add up to the step.
    counts = runs.values("step_id", "variant").annotate(
        enrolled=Count("enrollment_id", distinct=True),
        sent=_distinct_emails(Q(email__status=SENT)),
        opened=_distinct_emails(Q(email__events__kind=Kind.OPENED) & PERSON),
        clicked=_distinct_emails(Q(email__events__kind=Kind.CLICKED) & PERSON),
        replied=_distinct_emails(Q(email__events__kind=Kind.REPLIED) & PERSON),
        bounced=_distinct_emails(Q(email__events__kind=Kind.BOUNCED)),
        unsubscribed=_distinct_emails(Q(email__events__kind=Kind.UNSUBSCRIBED) & PERSON),
    ).order_by()
    # A conversion belongs to the step the enrollment last reached before it
    # came back: its latest run.
    last_run = (StepRun.objects.filter(enrollment_id=OuterRef("enrollment_id"))
                .order_by("-at", "-pk").values("pk")[:1])
    conversions = (runs.filter(enrollment__exit_reason__in=Enrollment.RETURNS,
                               pk=Subquery(last_run))
                   .values("step_id", "variant").annotate(converted=Count("pk")).order_by())
    rows: dict[tuple[int, str], dict[str, int]] = {}
    for row in counts:
        rows[(row["step_id"], row["variant"])] = row
    for row in conversions:
        rows.setdefault((row["step_id"], row["variant"]), {})["converted"] = row["converted"]
    return [_stats_of(step, rows) for step in steps]


def _stats_of(step: Step, rows: dict[tuple[int, str], dict[str, int]]) -> StepStats:
    stats = StepStats(step=step)
    by_label: dict[str, VariantStats] = {}
    if step.kind in Step.EMAILS:
        by_label = {variant.label: VariantStats(label=variant.label, subject=variant.subject)
                    for variant in step.variants.all()}
    for (step_id, label), row in rows.items():
        if step_id != step.pk:
            continue
        stats.add(row)
        if step.kind in Step.EMAILS and label:
            by_label.setdefault(label, VariantStats(label=label)).add(row)
    stats.variants = sorted(by_label.values(), key=lambda variant: variant.label)
    return stats


def live_counts(cadences: Iterable[Cadence]) -> dict[int, int]:
    """Live (active or resting) enrollments per cadence id, all versions."""
    ids = [cadence.pk for cadence in cadences]
    return dict(Enrollment.objects.filter(version__cadence_id__in=ids,
                                          status__in=Enrollment.LIVE)
                .values_list("version__cadence_id").annotate(n=Count("pk")).order_by())
