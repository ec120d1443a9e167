"""Segment tests (A/B): for each test, how far the leads of each arm got, and
whether the difference is more than noise; and the nurture emails' A/B
variants with the same arithmetic.

An arm's lead converts when a cycle of it (the one it was in when it joined
the test, or a later one) reached the test's goal stage after it joined
(`CycleFact.<goal>_at >= ExperimentAssignment.at`): a lead that had reached
it before, e.g. an MQL before its response-time arm, does not count. Leads
whose cycle is still open have not converted yet: counted, and shown apart,
so an arm that is merely younger is not read as worse.

The arithmetic (`lib/proportions`): each arm's rate with its Wilson
interval; each arm against the first (the control) with Newcombe's interval
and the two-proportion z-test; all arms at once with a chi-square test when
there are more than two; and the leads each arm needs to see the test's
smallest effect worth seeing (80% power, 5% level), from the control's rate.
No verdict is drawn before every arm has them: looking at the p-value every
day and stopping when it dips under 0.05 finds effects that are not there
(far more often than one test in twenty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import QueryDict

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import User
from leadgate.lib.proportions import chi_square, difference, rate, sample_size
from leadgate.nurture.cadences import step_stats
from leadgate.nurture.models import CadenceVersion, Step, StepVariant
from leadgate.routing.experiments import GOALS, KINDS
from leadgate.routing.models import Arm, Experiment, ExperimentAssignment

from .coverage import day_text
from .filters import Filters
from .models import CycleFact
from .registry import READERS, Chart, Column, Report, Result, Table, register

LEVEL = 0.05
POWER = 0.8
EDITORS = (Role.MANAGER, Role.ADMIN)


@dataclass
class ArmResult:
    arm: Arm
    leads: int
    converted: int
    still_open: int


@dataclass
class Verdict:
    """Where a test stands: `needed` leads per arm, the fewest an arm has,
    the p-value of the comparison, and the sentence for the page."""

    needed: int | None
    fewest: int
    p_value: float | None
    text: str

    @property
    def progress(self) -> float | None:
        return min(1.0, self.fewest / self.needed) if self.needed else None


def arm_results(experiment: Experiment, filters: Filters | None = None) -> list[ArmResult]:
    """Each arm's leads, converted and still open, in one grouped query;
    `filters`' segment (source, team, country...) narrows the leads, the
    period does not: a test spans its own time."""
    assignments = ExperimentAssignment.objects.filter(experiment=experiment)
    goal_at = f"{experiment.goal}_at"
    reached = CycleFact.objects.filter(lead_id=OuterRef("lead_id"), cycle__gte=OuterRef("cycle"),
                                       **{f"{goal_at}__gte": OuterRef("at")})
    same_cycle = CycleFact.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"))
    if filters is not None:
        assignments = assignments.filter(Exists(same_cycle.filter(filters.segment())))
    counts = {row["arm_id"]: row for row in assignments.annotate(
        done=Exists(reached), open=Exists(same_cycle.filter(is_open=True)))
        .values("arm_id").annotate(
            leads=Count("pk"), converted=Count("pk", filter=Q(done=True)),
            still_open=Count("pk", filter=Q(done=False, open=True))).order_by()}
    return [ArmResult(arm, counts.get(arm.pk, {}).get("leads", 0),
                      counts.get(arm.pk, {}).get("converted", 0),
                      counts.get(arm.pk, {}).get("still_open", 0))
            for arm in experiment.arms.all()]


def verdict(experiment: Experiment, arms: list[ArmResult]) -> Verdict:
    control = arms[0]
    fewest = min(arm.leads for arm in arms)
    base = control.converted / control.leads if control.leads else None
    needed = None
    if base is not None and 0 < base < 1:
        target = min(base + experiment.min_effect, 0.99)
        needed = sample_size(base, target, alpha=LEVEL, power=POWER)
    p_value = comparison_p(arms)
    effect = f"{experiment.min_effect * 100:g} points"
    if needed is None:
        text = ("Too early to size: the control arm needs conversions (and some leads that did "
                "not convert) before the leads each arm needs can be known.")
    elif fewest < needed:
        state = "It was stopped" if not experiment.running else "Keep it running"
        text = (f"{state} at {fewest:,} of the {needed:,} leads each arm needs to see a "
                f"difference of {effect} ({POWER:.0%} power, {LEVEL:.0%} level): "
                "no verdict yet. Stopping when the p-value first dips under "
                f"{LEVEL:g} finds differences that are not there.")
    elif p_value is not None and p_value < LEVEL:
        best = max(arms, key=lambda arm: arm.converted / arm.leads if arm.leads else 0)
        text = (f"{best.arm.label} converts best, and the difference is more than noise "
                f"(p = {p_value:.3f}).")
    else:
        shown = f"p = {p_value:.2f}" if p_value is not None else "no p-value"
        text = (f"No difference of {effect} or more between the arms ({shown}, "
                f"{fewest:,} leads an arm).")
    return Verdict(needed, fewest, p_value, text)


def comparison_p(arms: list[ArmResult]) -> float | None:
    """Two arms: the two-proportion z-test; more: chi-square over all."""
    if len(arms) == 2:
        a, b = arms
        return difference(b.converted, b.leads, a.converted, a.leads).p_value
    return chi_square([[arm.converted, arm.leads - arm.converted] for arm in arms])


def segment_text(conditions: list[dict[str, Any]]) -> str:
    """A test's conditions as a manager typed them: `inquiry.hot eq true`."""
    return ", ".join(f"{c.get('field')} {c.get('operator', 'eq')} {json.dumps(c.get('value'))}"
                     for c in conditions) or "every lead"


@register
class SegmentTests(Report):
    slug, title = "tests", "Segment tests"
    summary = ("A/B tests of response time, call scripts and cadences: each arm's conversion, "
               "the difference with its interval and p-value, and how many leads a verdict "
               "needs; the nurture emails' variants")
    roles = READERS
    template = "reports/_segment_tests.html"
    position = 70

    def options(self, query: QueryDict) -> dict[str, Any]:
        value = query.get("test", "")
        if value and not value.isdigit():
            raise ValidationError({"test": "a test's number"})
        if value and not Experiment.objects.filter(pk=value).exists():
            raise ValidationError({"test": f"no test number {value}"})
        return {"test": int(value) if value else None}

    def compute(self, filters: Filters, user: User, test: int | None = None) -> Result:
        result = Result()
        experiments = list(Experiment.objects.prefetch_related("arms"))
        chosen = next((e for e in experiments if e.pk == test), None) if test else (
            next((e for e in experiments if e.running), experiments[0] if experiments else None))
        overview = Table("tests", "Tests", [
            Column("name", "Test", "text"), Column("kind", "Changes", "text"),
            Column("arms", "Arms", "text"), Column("goal", "Converts when", "text"),
            Column("started", "Started", "text"), Column("state", "State", "text"),
            Column("leads", "Leads"), Column("progress", "Of the leads needed", "percent"),
            Column("verdict", "Verdict", "text")],
            empty="No segment test yet.")
        detail: dict[str, Any] = {}
        for experiment in experiments:
            arms = arm_results(experiment, filters)
            judged = verdict(experiment, arms)
            kind = KINDS.get(experiment.kind)
            overview.rows.append({
                "id": experiment.pk, "name": experiment.name,
                "kind": kind.label if kind else experiment.kind,
                "arms": " / ".join(arm.arm.label for arm in arms),
                "goal": GOALS.get(experiment.goal, experiment.goal),
                "started": day_text(experiment.started_at), "state": "running" if experiment.running
                else "stopped", "leads": sum(arm.leads for arm in arms),
                "progress": judged.progress, "verdict": judged.text})
            if experiment is chosen:
                detail = {"experiment": experiment, "verdict": judged, "arms": arms}
        result.tables.append(overview)
        if chosen is not None:
            arms_table = self._arms(chosen, detail["arms"])
            result.tables.append(arms_table)
            result.charts.append(self._chart(chosen, arms_table))
        result.tables.append(email_variants())
        result.notes.append(
            "Leads are counted by the test they joined, whatever the period; the segment "
            "filters (source, team, country...) narrow them. Still open: the lead's cycle has "
            "not ended, so it may yet convert.")
        result.extra = {"chosen": chosen, "verdict": detail.get("verdict"),
                        "segment": segment_text(chosen.conditions) if chosen else "",
                        # A service key reads reports without a user.
                        "can_edit": user is not None and user.has_role(*EDITORS)}
        return result

    def _arms(self, experiment: Experiment, arms: list[ArmResult]) -> Table:
        kind = KINDS.get(experiment.kind)
        table = Table("arms", f"Arms of {experiment.name}", [
            Column("arm", "Arm", "text"), Column("treatment", kind.treatment if kind else "",
                                                 "text"),
            Column("leads", "Leads"), Column("converted", "Converted"),
            Column("open", "Still open"), Column("rate", "Conversion", "rate"),
            # As the speed report gives its 5-vs-30-minutes difference.
            Column("difference", "Against the control", "percent"),
            Column("low", "Difference, 95% low", "percent"),
            Column("high", "Difference, 95% high", "percent"),
            Column("p_value", "p-value", "number")],
            note=f"Conversion: {GOALS.get(experiment.goal, experiment.goal)} after joining the "
                 f"test. The first arm is the control.")
        control = arms[0]
        for number, arm in enumerate(arms):
            row: dict[str, Any] = {
                "arm": arm.arm.label,
                "treatment": kind.describe(arm.arm.value) if kind else arm.arm.value,
                "leads": arm.leads, "converted": arm.converted, "open": arm.still_open,
                "rate": rate(arm.converted, arm.leads),
                "difference": None, "low": None, "high": None, "p_value": None}
            if number:
                diff = difference(arm.converted, arm.leads, control.converted, control.leads)
                row.update(difference=diff.diff, low=diff.low, high=diff.high,
                           p_value=None if diff.p_value is None else round(diff.p_value, 4))
            table.rows.append(row)
        if len(arms) > 2:
            p_all = comparison_p(arms)
            table.note += (" All arms alike (chi-square): p = "
                           f"{p_all:.3f}." if p_all is not None else "")
        return table

    def _chart(self, experiment: Experiment, table: Table) -> Chart:
        return Chart("arms-chart", {
            "type": "bar", "format": "percent",
            "title": f"Conversion by arm: {experiment.name}",
            "labels": [row["arm"] for row in table.rows],
            "datasets": [{"label": "Conversion",
                          "data": [row["rate"].value for row in table.rows]}]})


def email_variants() -> Table:
    """Every nurture email step sent in more than one variant: each variant's
    opens, clicks and replies by a person, and whether their click rates
    differ (chi-square over the variants)."""
    table = Table("emails", "Nurture email variants", [
        Column("cadence", "Cadence", "text"), Column("step", "Step", "count"),
        Column("variant", "Variant", "text"), Column("subject", "Subject", "text"),
        Column("sent", "Sent"), Column("opened", "Opened", "rate"),
        Column("clicked", "Clicked", "rate"), Column("replied", "Replied", "rate"),
        Column("p_value", "Clicks differ: p-value", "number")],
        empty="No nurture email step has two variants with emails sent yet.",
        note="A variant is chosen at random for each enrollment. Opens are undercounted by "
             "mail clients that block images; clicks and replies are the firmer signal.")
    tested = (StepVariant.objects.filter(step__kind__in=Step.EMAILS)
              .values("step_id").annotate(n=Count("pk")).filter(n__gte=2)
              .values("step__version_id"))
    for version in (CadenceVersion.objects.filter(pk__in=tested)
                    .select_related("cadence").order_by("cadence__name", "number")):
        for stats in step_stats(version):
            if len(stats.variants) < 2 or not stats.sent:
                continue
            p_value = chi_square([[v.clicked, v.sent - v.clicked] for v in stats.variants])
            for variant in stats.variants:
                table.rows.append({
                    "cadence": f"{version.cadence.name} (v{version.number})",
                    "step": stats.number, "variant": variant.label, "subject": variant.subject,
                    "sent": variant.sent, "opened": rate(variant.opened, variant.sent),
                    "clicked": rate(variant.clicked, variant.sent),
                    "replied": rate(variant.replied, variant.sent),
                    "p_value": None if p_value is None else round(p_value, 4)})
    return table
