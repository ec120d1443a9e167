"""`leadgate demo` gives the reports something true to show: campaign costs,
response clocks whose speed matters, the manager's targets, segment tests,
and the summary table rebuilt from it all."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q, Sum
from django.utils import timezone

from leadgate.demo.management.commands import demo as demo_command
from leadgate.intake.models import Campaign, CampaignCost, Inquiry
from leadgate.leads.models import Lead
from leadgate.reports.models import CycleFact, Target
from leadgate.routing.models import Experiment, SlaClock
from leadgate.routing.sla import due_time

pytestmark = pytest.mark.django_db
NOW = "2025-06-18 15:30:00+00:00"


def run_demo(leads: int) -> str:
    out = StringIO()
    call_command("demo", leads=leads, quiet=True, stdout=out)
    return out.getvalue()


@pytest.fixture
def at_a_fixed_time(db, time_machine, monkeypatch):
    """The demo as of NOW, without training the lead model (most of its time
    in a test, and nothing these tests read): it says so and goes on."""
    time_machine.move_to(NOW, tick=False)

    def no_training(*args, **kwargs):
        raise CommandError("not in this test")

    monkeypatch.setattr(demo_command, "call_command", no_training)


@pytest.fixture
def demo(at_a_fixed_time):
    return run_demo(300)


def shift(month: date, by: int) -> date:
    """The first of the month `by` months after `month`'s."""
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def months_until(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = shift(month, 1)
    return months


def test_it_costs_every_campaign_in_every_month_of_the_demo(demo):
    today = timezone.localdate()
    first = timezone.localdate(timezone.now() - timezone.timedelta(days=365))
    for campaign in Campaign.objects.all():
        costs = {cost.period_start.replace(day=1): cost for cost in campaign.costs.all()}
        assert sorted(costs) == months_until(first, today), campaign.name
        assert all(cost.amount > 0 and cost.period_end >= cost.period_start
                   for cost in costs.values())


def test_it_makes_paid_search_and_events_cost_more_per_lead_than_organic_and_referrals(demo):
    spent = dict(CampaignCost.objects.values("campaign__source__kind").annotate(s=Sum("amount"))
                 .values_list("campaign__source__kind", "s"))
    came = dict(Lead.objects.values("source__kind").annotate(n=Count("pk"))
                .values_list("source__kind", "n"))
    per_lead = {kind: spent[kind] / came[kind] for kind in spent}
    assert per_lead["web"] < 10  # the website's own traffic: next to nothing
    assert min(per_lead["paid"], per_lead["event"]) > 2 * per_lead["partner"] > per_lead["web"]
    assert per_lead["event"] > per_lead["list"]


def test_it_rebuilds_the_reports_summary_for_every_lead_and_cycle(demo):
    assert "summary rows" in demo
    cycles = sum(Lead.objects.values_list("cycle", flat=True))
    assert CycleFact.objects.count() == cycles
    assert not Lead.objects.exclude(pk__in=CycleFact.objects.values("lead_id")).exists()
    with_clock = CycleFact.objects.filter(sla_started_at__isnull=False)
    assert with_clock.count() == CycleFact.objects.count()  # every inquiry starts a clock
    assert with_clock.filter(response_seconds__isnull=False).exists()
    assert with_clock.filter(sla_breached=True).exists()


def test_it_sets_a_company_target_for_every_metric_last_year_and_next_quarter(demo):
    current = timezone.localdate().replace(day=1)
    months = months_until(shift(current, -11), shift(current, 3))
    company = Target.objects.filter(team=None)
    assert len(months) == 15
    for metric in Target.Metric.values:
        assert sorted(company.filter(metric=metric).values_list("month", flat=True)) == months
    assert set(Target.objects.values_list("set_by__username", flat=True)) == {"manager"}
    assert not Target.objects.filter(set_at__gt=timezone.now()).exists()
    assert Target.objects.exclude(team=None).filter(metric=Target.Metric.MQLS).exists()


def test_it_sets_targets_near_the_months_figures_some_above_some_below(demo):
    current = timezone.localdate().replace(day=1)
    counted = defaultdict(int)
    for when in CycleFact.objects.values_list("entered_at", flat=True):
        counted[timezone.localtime(when).date().replace(day=1)] += 1
    above = below = 0
    for target in Target.objects.filter(team=None, metric=Target.Metric.INQUIRIES,
                                        month__lt=current):
        actual = Decimal(counted[target.month])
        assert target.value != actual
        assert abs(target.value - actual) <= actual * Decimal("0.2") + 1
        above += target.value > actual
        below += target.value < actual
    assert above >= 2 and below >= 2


def test_it_qualifies_leads_answered_within_five_minutes_far_more_often(at_a_fixed_time):
    run_demo(1500)
    # Cycles old enough to have been worked out, by the first clock's response.
    settled = CycleFact.objects.filter(
        sla_started_at__lt=timezone.now() - timezone.timedelta(days=60))
    bands = settled.aggregate(
        fast=Count("pk", filter=Q(response_seconds__lte=300)),
        fast_qualified=Count("pk", filter=Q(response_seconds__lte=300,
                                            qualified_at__isnull=False)),
        slow=Count("pk", filter=Q(response_seconds__gt=3600)),
        slow_qualified=Count("pk", filter=Q(response_seconds__gt=3600,
                                            qualified_at__isnull=False)))
    assert bands["fast"] >= 40 and bands["slow"] >= 80
    fast = bands["fast_qualified"] / bands["fast"]
    slow = bands["slow_qualified"] / bands["slow"]
    assert fast >= 1.5 * slow


def responses(clocks) -> list[int]:
    return sorted(clocks.filter(response_seconds__isnull=False)
                  .values_list("response_seconds", flat=True))


def median(values: list[int]) -> float:
    return values[len(values) // 2]


def test_it_has_a_fast_qualifier_and_a_slow_one(demo):
    fast = responses(SlaClock.objects.filter(owner__username="qualifier"))
    slow = responses(SlaClock.objects.filter(owner__username="qualifier4"))
    assert len(fast) >= 10 and len(slow) >= 5
    assert median(fast) * 5 < median(slow)


def test_it_answers_slower_out_of_office_hours_and_over_lunch(demo):
    by_time: dict[str, list[int]] = defaultdict(list)
    for started, zone, seconds in SlaClock.objects.filter(response_seconds__isnull=False) \
            .values_list("started_at", "lead__team__time_zone", "response_seconds"):
        local = started.astimezone(ZoneInfo(zone))
        office = local.weekday() < 5 and 9 <= local.hour < 17
        by_time["lunch" if office and local.hour == 12 else "office" if office
                else "closed"].append(seconds)
    office, lunch, closed = (median(sorted(by_time[key])) for key in ("office", "lunch",
                                                                       "closed"))
    assert office < 20 * 60
    assert lunch > 2 * office
    assert closed > 4 * 3600


def test_it_shows_a_running_response_time_test_whose_arms_differ(at_a_fixed_time):
    run_demo(1500)
    test = Experiment.objects.get(kind="response_time", stopped_at=None)
    assert test.conditions == [{"field": "inquiry.hot", "operator": "eq", "value": True}]
    assert test.started_at < timezone.now() - timezone.timedelta(days=90)
    # The report lists a stopped test beside it, with the reason it was stopped.
    stopped = Experiment.objects.get(stopped_at__isnull=False)
    assert stopped.kind == "script" and stopped.stop_reason
    assert stopped.assignments.values("arm").distinct().count() == 2
    arms = {arm.value: arm for arm in test.arms.all()}
    assert sorted(arms) == ["5", "60"]
    converted: dict[str, list[bool]] = defaultdict(list)
    answered: dict[str, list[float]] = defaultdict(list)
    for joined in test.assignments.select_related("arm", "lead__team"):
        minutes = int(joined.arm.value)
        # It joined on a hot inquiry that arrived while the test ran.
        assert joined.at >= test.started_at
        assert Inquiry.objects.filter(lead=joined.lead, cycle=joined.cycle, is_hot=True,
                                      received_at=joined.at).exists()
        # Its clock was due when its arm says (in the team's business hours).
        clock = SlaClock.objects.select_related("policy").get(
            lead=joined.lead, cycle=joined.cycle, started_at=joined.at)
        assert clock.due_at == due_time(clock.policy, joined.lead.team, joined.at, minutes)
        # It converts as the report counts: qualified from its arrival on.
        facts = CycleFact.objects.filter(lead=joined.lead, cycle__gte=joined.cycle)
        converted[joined.arm.value].append(facts.filter(qualified_at__gte=joined.at).exists())
        worked = facts.filter(cycle=joined.cycle).values_list("working_at", flat=True).first()
        if worked is not None:
            answered[joined.arm.value].append((worked - joined.at).total_seconds())
    assert min(len(converted["5"]), len(converted["60"])) >= 50
    # Given an hour, the qualifiers take longer (half the leads come in out
    # of hours and wait for the morning in either arm).
    assert median(sorted(answered["5"])) * 2 < median(sorted(answered["60"]))
    fast, slow = (sum(converted[arm]) / len(converted[arm]) for arm in ("5", "60"))
    assert fast > slow


def test_it_opens_on_a_working_day_with_today(at_a_fixed_time):
    from leadgate.demo.today import HOT_REQUESTS, STALE
    from leadgate.leads.lifecycle import ON_DESK
    from leadgate.leads.models import Task

    out = StringIO()
    call_command("demo", leads=300, quiet=True, today=True, stdout=out)
    now = timezone.now()
    assert Lead.objects.count() == 300 + HOT_REQUESTS
    fresh = Lead.objects.filter(created_at__gt=now - timezone.timedelta(minutes=15))
    assert fresh.count() == HOT_REQUESTS
    # Each went the service's way: scored, routed, its hot clock running.
    assert SlaClock.objects.filter(lead__in=fresh, state="running",
                                   policy__segment="hot_inbound").count() == HOT_REQUESTS
    assert not fresh.filter(team=None).exists()
    stale = Task.objects.open().filter(lead__stage__in=ON_DESK, due_at__lt=now - STALE)
    assert not stale.filter(kind__in=("follow_up", "first_call", "call_back")).exists()
    assert "Today: 3 hot requests" in out.getvalue()
