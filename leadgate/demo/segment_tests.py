"""The demo's segment tests (A/B), so the report has one of each state:

- a call-script test that ran for three months last year and was stopped:
  the demo's walk treats every script alike, so its arms come out alike;
- a response-time test running for the last five months on hot inbound
  leads, 5 minutes against an hour to the first call: the 1-hour arm's
  clocks are due later and its leads are answered later (`response`), and
  the walk qualifies late answers less often (`clocks.speed_factor`), so
  the arms differ as published lead-response studies say they would.

The tests are started and stopped through `routing.experiments`, so they
are validated as a manager's would be; the walk then gives each lead that
arrives in a test's segment while it runs an arm at random by the arms'
shares (`seed._Batch._join_tests`), as `experiments.assign` does at intake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadgate.leads.lifecycle import Role, Stage
from leadgate.leads.models import User
from leadgate.routing import experiments
from leadgate.routing.experiments import ArmSpec, ExperimentError
from leadgate.routing.models import Experiment, SlaPolicy
from leadgate.workspace.frameworks import SCRIPT_TEST
from leadgate.workspace.models import CallScript

Segment = SlaPolicy.Segment
RESPONSE_TIME = experiments.RESPONSE_TIME.slug


@dataclass(frozen=True)
class DemoTest:
    """A test as the walk needs it: when it ran (epoch seconds), which SLA
    segments join it, and its arms as (arm id, value, weight)."""

    experiment: int
    kind: str
    started: float
    stopped: float | None
    joins: Callable[[str], bool]
    arms: tuple[tuple[int, str, int], ...]

    def running_at(self, at: float) -> bool:
        return self.started <= at and (self.stopped is None or at < self.stopped)


SCRIPTS = [
    # Partners have told their leads about the product already: open with it.
    ("Opening with the product", [{"field": "inquiry.channel", "operator": "eq",
                                   "value": "api"}],
     "Introduce yourself, then: \"You asked about Leadgate: it answers every inbound lead "
     "within minutes and shows you which ones sales will want. How does your team follow "
     "up on leads today?\"",
     "Routing in a second, SLA clocks, the qualifier's desk, the handoff dossier."),
    ("Opening with the pain point", [],
     "Introduce yourself, then: \"Most teams we talk to answer a web lead in hours, and by "
     "then the lead has talked to someone else. How long does it take your team today?\"",
     "The cost of a slow answer, leads nobody worked, what sales sends back."),
]
OBJECTIONS = [{"objection": "We already have a CRM.",
               "answer": "Leadgate sits in front of it: only qualified leads reach it."}]


def _call_scripts() -> list[CallScript]:
    """The demo's scripts by position; one already there (by name) is kept."""
    kept = {script.name: script for script in CallScript.objects.filter(
        name__in=[name for name, *_ in SCRIPTS])}
    return [kept.get(name) or CallScript.objects.create(
        position=position, name=name, conditions=conditions, opening=opening,
        talking_points=points, objections=OBJECTIONS)
        for position, (name, conditions, opening, points) in enumerate(SCRIPTS)]


def _test(start: dict, started: datetime, stopped: datetime | None = None,
          reason: str = "") -> Experiment | None:
    """The test `start` describes (experiments.start's arguments), run from
    `started` (to `stopped`). One already there (by name: a database wiped
    of its leads keeps its tests) is kept, dated anew; when another test of
    its kind is running, the kind is left to that one (None)."""
    kept = Experiment.objects.filter(name=start["name"], kind=start["kind"]).first()
    if kept is not None:
        Experiment.objects.filter(pk=kept.pk).update(
            started_at=started, stopped_at=kept.stopped_at and stopped)
        kept.refresh_from_db()
        return kept
    try:
        experiment = experiments.start(**start, now=started)
    except ExperimentError:
        return None
    if stopped is not None:
        experiments.stop(experiment, reason=reason, now=stopped)
    return experiment


def _as_demo(experiment: Experiment | None, joins: Callable[[str], bool]) -> list[DemoTest]:
    if experiment is None:
        return []
    stopped = experiment.stopped_at.timestamp() if experiment.stopped_at else None
    return [DemoTest(experiment.pk, experiment.kind, experiment.started_at.timestamp(), stopped,
                     joins, tuple((arm.pk, arm.value, arm.weight)
                                  for arm in experiment.arms.order_by("position")))]


def seed_tests(now: datetime) -> list[DemoTest]:
    """The call scripts and the two tests, started (and the first stopped) by
    the manager at their times before `now`."""
    manager = User.objects.filter(groups__name=Role.MANAGER).order_by("pk").first()
    product, pain = _call_scripts()
    # Office hours (UTC) on the day, as a manager would start one.
    day = (now - timedelta(days=340)).replace(hour=9, minute=0, second=0)
    scripts = _test(dict(
        name="Opening with the pain point vs with the product", kind=SCRIPT_TEST.slug,
        goal=Stage.QUALIFIED, by=manager,
        conditions=[{"field": "inquiry.channel", "operator": "in", "value": ["form", "api"]}],
        hypothesis="Inbound leads qualify more often when the call opens with the problem "
                   "they have rather than with what the product does.",
        arms=[ArmSpec("Pain point", str(pain.pk)), ArmSpec("Product", str(product.pk))]),
        day, day + timedelta(weeks=13),
        "No clear difference after 13 weeks: the pain-point opening stays for inbound leads")
    day = (now - timedelta(days=240)).replace(hour=9, minute=0, second=0)
    speed = _test(dict(
        name="Call hot leads within 5 minutes or within an hour", kind=RESPONSE_TIME,
        goal=Stage.QUALIFIED, by=manager,
        conditions=[{"field": "inquiry.hot", "operator": "eq", "value": True}],
        hypothesis="Hot inbound leads called within 5 minutes qualify more often than leads "
                   "called within the hour, enough to staff the desk for it.",
        arms=[ArmSpec("5 minutes", "5"), ArmSpec("1 hour", "60")]), day)
    # Forms and the API (not imported lists) join the script test; hot
    # requests (inquiry.hot) the response-time test.
    return [*_as_demo(scripts, lambda segment: segment != Segment.IMPORTED),
            *_as_demo(speed, lambda segment: segment == Segment.HOT_INBOUND)]
