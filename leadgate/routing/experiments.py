"""Segment tests (A/B): the leads of a segment are split at random between
arms treated differently, and the reports compare how far each arm gets.

What an arm changes is the test's `kind`, registered by the stage that acts
on it (the registry lives here, the lowest stage that acts on one):

    response_time  (routing, below)  minutes to the first call: the SLA clock
    script         (workspace)       the call script the desk shows
    cadence        (nurture)         the cadence the lead is enrolled in

A lead is given its arm once per test, at the kind's point: on arrival, after
scoring and routing and before its clock starts (`assign(leads, INTAKE)` from
the steps after intake), or when it is enrolled in nurture. The stage then
reads the lead's arm with `arm_value()`. At most one test of a kind runs at
a time: two would give one lead two treatments of the same thing, and
neither result could be told apart.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.lifecycle import ON_DESK, Stage
from leadgate.leads.models import Lead, User

from .conditions import Facts, conditions_error, holds
from .models import Arm, Experiment, ExperimentAssignment, SlaClock

INTAKE, ENROLLMENT = Experiment.Point.INTAKE, Experiment.Point.ENROLLMENT

# The stages a test can be judged on; "mql" only for tests that start in
# nurture (a lead that comes back), an arriving lead is scored before its arm.
GOALS: dict[str, str] = {
    Stage.MQL.value: "came back as an MQL",
    Stage.WORKING.value: "worked (contacted)",
    Stage.QUALIFIED.value: "qualified and handed off",
    Stage.ACCEPTED.value: "accepted by sales",
    Stage.OPPORTUNITY.value: "became an opportunity",
    Stage.WON.value: "won",
}
MAX_ARMS = 4
MIN_MINUTES, MAX_MINUTES = 1, 7 * 24 * 60


@dataclass(frozen=True)
class Kind:
    """What a kind of test changes. `choices()` lists the values an arm may
    take (None: a number of minutes)."""

    slug: str
    label: str
    point: str
    treatment: str  # what an arm's value is, as the form asks for it
    choices: Callable[[], list[tuple[str, str]]] | None = None
    # A lead put in the test by hand (a list's bulk action), past the kind's
    # point: why its arm would change nothing for it, or None if it would.
    # Not set: only at the point (a cadence is read when the lead is enrolled).
    joins_late: Callable[[Lead], str | None] | None = None

    @property
    def point_label(self) -> str:
        return Experiment.Point(self.point).label

    def goals(self) -> dict[str, str]:
        return GOALS if self.point == ENROLLMENT else {
            stage: label for stage, label in GOALS.items() if stage != Stage.MQL}

    def value_error(self, value: str) -> str | None:
        if self.choices is None:
            if not value.isdigit() or not MIN_MINUTES <= int(value) <= MAX_MINUTES:
                return f"a whole number of minutes from {MIN_MINUTES} to {MAX_MINUTES}"
            return None
        if value not in dict(self.choices()):
            return "not one of the choices"
        return None

    def describe(self, value: str) -> str:
        if self.choices is None:
            return minutes_label(int(value)) if value.isdigit() else value
        return dict(self.choices()).get(value, f"#{value} (gone)")


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.slug] = kind
    return kind


def minutes_label(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day" + ("s" if days > 1 else "")
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _clock_not_started(lead: Lead) -> str | None:
    if lead.stage not in ON_DESK:
        return f"not on a qualifier's desk (it is {lead.get_stage_display().lower()})"
    if SlaClock.objects.filter(lead=lead, cycle=lead.cycle).exists():
        return "its first call's clock of this cycle has started: an arm would change nothing"
    return None


RESPONSE_TIME = register(Kind("response_time", "Response time", INTAKE,
                              "Minutes to the first call", joins_late=_clock_not_started))


@dataclass(frozen=True)
class ArmSpec:
    label: str
    value: str
    weight: int = 1


class ExperimentError(ValueError):
    """A test that cannot be started as given; `field` names the part."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def start(*, name: str, kind: str, goal: str, arms: Sequence[ArmSpec], by: User | None = None,
          conditions: list | None = None, hypothesis: str = "", min_effect: float = 0.05,
          now: datetime | None = None) -> Experiment:
    """Start a test (it runs from now on). Raises ExperimentError naming the
    field: no name, an unknown kind or goal, fewer than two arms or more than
    MAX_ARMS, an arm's value the kind does not take, two arms alike, a
    segment that cannot be evaluated, or a test of the kind already running."""
    found = KINDS.get(kind)
    if not name.strip():
        raise ExperimentError("name", "a test needs a name")
    if found is None:
        raise ExperimentError("kind", f"one of {', '.join(sorted(KINDS))}")
    if goal not in found.goals():
        raise ExperimentError("goal", f"one of {', '.join(found.goals())}")
    if not 0.005 <= min_effect <= 0.5:
        raise ExperimentError("min_effect", "between 0.5 and 50 points")
    if not 2 <= len(arms) <= MAX_ARMS:
        raise ExperimentError("arms", f"from 2 to {MAX_ARMS} arms")
    for number, arm in enumerate(arms, start=1):
        if not arm.label.strip():
            raise ExperimentError(f"arm {number}", "an arm needs a label")
        error = found.value_error(arm.value)
        if error:
            raise ExperimentError(f"arm {number}", f"{found.treatment.lower()}: {error}")
        if not 1 <= arm.weight <= 100:
            raise ExperimentError(f"arm {number}", "a share from 1 to 100")
    if len({arm.label.strip() for arm in arms}) < len(arms):
        raise ExperimentError("arms", "two arms have the same label")
    if len({arm.value for arm in arms}) < len(arms):
        raise ExperimentError("arms", "two arms treat leads alike: nothing to compare")
    error = conditions_error(conditions or [])
    if error:
        raise ExperimentError("conditions", error)
    with transaction.atomic():
        running = Experiment.objects.select_for_update().filter(kind=kind, stopped_at=None).first()
        if running is not None:
            raise ExperimentError("kind", f"the test {running.name!r} of this kind is running: "
                                          "stop it first")
        experiment = Experiment.objects.create(
            name=name.strip(), hypothesis=hypothesis.strip(), kind=kind, goal=goal,
            conditions=conditions or [], min_effect=min_effect, created_by=by,
            started_at=now or timezone.now())
        Arm.objects.bulk_create(
            Arm(experiment=experiment, position=position, label=arm.label.strip(),
                value=arm.value, weight=arm.weight) for position, arm in enumerate(arms))
    return experiment


def stop(experiment: Experiment, *, reason: str = "", now: datetime | None = None) -> None:
    """No more leads join; the leads in it keep the arm they had (their clock
    or enrollment is under way), a script test's leads get the usual script."""
    Experiment.objects.filter(pk=experiment.pk, stopped_at=None).update(
        stopped_at=now or timezone.now(), stop_reason=reason.strip()[:200])
    experiment.refresh_from_db()


def assign(leads: Iterable[Lead], point: str, *,
           now: datetime | None = None) -> list[ExperimentAssignment]:
    """Give each lead an arm of every running test of `point` whose segment
    it is in, at random by the arms' shares, once per test: a lead that has
    one keeps it. Returns the assignments made."""
    now = now or timezone.now()
    running = [experiment for experiment in
               Experiment.objects.filter(stopped_at=None, kind__in=_kinds_at(point))
               .prefetch_related("arms")]
    leads = list(leads)
    if not running or not leads:
        return []
    had = set(ExperimentAssignment.objects.filter(
        experiment__in=running, lead__in=leads).values_list("experiment_id", "lead_id"))
    made = []
    for lead in leads:
        facts = Facts(lead)
        for experiment in running:
            if (experiment.pk, lead.pk) in had or not holds(experiment.conditions, facts):
                continue
            row = _give_arm(experiment, lead, now)
            if row is not None:
                made.append(row)
    return made


def _give_arm(experiment: Experiment, lead: Lead, now: datetime,
              by: User | None = None) -> ExperimentAssignment | None:
    """An arm drawn at random by the shares, with its event; None if the lead
    got one meanwhile (another worker: that one stands)."""
    arms = list(experiment.arms.all())
    arm = random.choices(arms, weights=[arm.weight for arm in arms])[0]  # noqa: S311
    data = {"experiment": experiment.pk, "name": experiment.name, "arm": arm.pk,
            "label": arm.label}
    if by is not None:
        data["by"] = by.pk
    try:
        with transaction.atomic():
            row = ExperimentAssignment.objects.create(
                experiment=experiment, arm=arm, lead=lead, cycle=lead.cycle, at=now)
            events.record("experiment.assigned", lead, at=now, data=data)
    except IntegrityError:
        return None
    return row


class NotJoined(ValueError):
    """Why a lead cannot be put in a test by hand, in words for the person."""


def add(lead: Lead, experiment: Experiment, *, by: User,
        now: datetime | None = None) -> ExperimentAssignment:
    """Put a lead in a running test by hand (a list's bulk action): its arm is
    drawn at random as on arrival, so the comparison between arms stays fair
    whichever leads a person picks. Only leads of the test's segment (the
    report speaks for that segment), once, and only where the arm still acts
    (`Kind.joins_late`). Raises NotJoined with the reason."""
    kind = KINDS.get(experiment.kind)
    if not experiment.running:
        raise NotJoined(f"the test {experiment.name!r} has stopped")
    if kind is None:
        raise NotJoined(f"no such kind of test: {experiment.kind}")
    if kind.joins_late is None:
        raise NotJoined(f"leads join this test {kind.point_label}, not by hand")
    had = ExperimentAssignment.objects.filter(experiment=experiment, lead=lead).first()
    if had is not None:
        raise NotJoined(f"already in the test ({had.arm.label})")
    if not holds(experiment.conditions, Facts(lead)):
        raise NotJoined("not in the test's segment")
    reason = kind.joins_late(lead)
    if reason:
        raise NotJoined(reason)
    row = _give_arm(experiment, lead, now or timezone.now(), by=by)
    if row is None:
        raise NotJoined("joined the test meanwhile")
    return row


def joinable_tests() -> list[Experiment]:
    """The running tests a lead can be put in by hand."""
    return [experiment for experiment in Experiment.objects.filter(stopped_at=None)
            if experiment.kind in KINDS and KINDS[experiment.kind].joins_late is not None]


def _kinds_at(point: str) -> list[str]:
    return [slug for slug, kind in KINDS.items() if kind.point == point]


def running_arms(lead_ids: Iterable[int], kind: str) -> dict[int, tuple[str, int]]:
    """Each lead's arm value in the running test of `kind`, with the cycle it
    joined in (leads in none left out)."""
    return {lead_id: (value, cycle) for lead_id, value, cycle in
            ExperimentAssignment.objects.filter(
                lead_id__in=list(lead_ids), experiment__kind=kind,
                experiment__stopped_at=None).values_list("lead_id", "arm__value", "cycle")}


def arm_values(lead_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each lead's arm value in the running test of `kind` (leads in none left out)."""
    return {lead_id: value for lead_id, (value, _cycle) in running_arms(lead_ids, kind).items()}


def arm_value(lead: Lead | int, kind: str) -> str | None:
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    return arm_values([lead_id], kind).get(lead_id)


def arms_of(lead: Lead) -> list[ExperimentAssignment]:
    """The lead's arms in every test, newest first, for its page."""
    return list(ExperimentAssignment.objects.filter(lead=lead)
                .select_related("experiment", "arm").order_by("-at"))
