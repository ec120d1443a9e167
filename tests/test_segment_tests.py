"""Segment tests (routing/experiments.py): started only when they can run,
leads of the segment given an arm once each at random, and each stage acting
on the arm: the SLA clock's minutes, the desk's call script, the cadence."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from leadgate.intake.merge import merge
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Event
from leadgate.leads.transitions import advance
from leadgate.nurture import engine
from leadgate.orchestration.tasks import after_intake_many
from leadgate.routing import experiments
from leadgate.routing.experiments import ArmSpec, ExperimentError
from leadgate.routing.models import ExperimentAssignment, SlaClock, SlaPolicy
from leadgate.workspace.frameworks import script_for
from leadgate.workspace.models import CallScript
from tests.factories import make_lead
from tests.nurture_factories import make_cadence

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday morning
HOT = [{"field": "inquiry.hot", "operator": "eq", "value": True}]


def response_test(**fields):
    fields.setdefault("arms", [ArmSpec("5 minutes", "5"), ArmSpec("1 hour", "60")])
    return experiments.start(name=fields.pop("name", "Within 5 minutes or an hour"),
                             kind="response_time", goal="qualified", **fields)


def hot_lead(owner=None):
    lead = make_lead(owner=owner)
    Inquiry.objects.filter(lead=lead).update(is_hot=True)
    return lead


@pytest.mark.django_db
def test_it_refuses_a_second_running_test_of_a_kind():
    response_test()
    with pytest.raises(ExperimentError) as refused:
        response_test(name="Another")
    assert refused.value.field == "kind"
    assert "is running" in str(refused.value)


@pytest.mark.django_db
def test_it_starts_a_test_of_a_kind_again_once_the_running_one_stopped():
    experiments.stop(response_test(), reason="enough leads")
    assert response_test(name="Again").running


@pytest.mark.django_db
@pytest.mark.parametrize(("arms", "field", "words"), [
    ([ArmSpec("5 minutes", "5")], "arms", "from 2"),
    ([ArmSpec("fast", "5"), ArmSpec("slow", "soon")], "arm 2", "whole number of minutes"),
    ([ArmSpec("fast", "5"), ArmSpec("fast", "60")], "arms", "same label"),
    ([ArmSpec("fast", "5"), ArmSpec("also fast", "5")], "arms", "alike"),
])
def test_it_names_the_arm_that_cannot_run(arms, field, words):
    with pytest.raises(ExperimentError) as refused:
        response_test(arms=arms)
    assert refused.value.field == field
    assert words in str(refused.value)


@pytest.mark.django_db
def test_it_refuses_a_segment_it_cannot_evaluate():
    with pytest.raises(ExperimentError) as refused:
        response_test(conditions=[{"field": "lead.shoe_size", "operator": "eq", "value": 3}])
    assert refused.value.field == "conditions"


@pytest.mark.django_db
def test_it_gives_leads_of_the_segment_an_arm_once_and_others_none(alice):
    experiment = response_test(conditions=HOT)
    hot, cold = hot_lead(alice), make_lead(owner=alice)
    made = experiments.assign([hot, cold], experiments.INTAKE, now=NOW)
    assert [row.lead_id for row in made] == [hot.pk]
    assert experiments.assign([hot, cold], experiments.INTAKE, now=NOW) == []
    row = ExperimentAssignment.objects.get(lead=hot)
    assert (row.experiment_id, row.cycle, row.at) == (experiment.pk, 1, NOW)
    event = Event.objects.get(kind="experiment.assigned")
    assert (event.lead_id, event.data["label"]) == (hot.pk, row.arm.label)


@pytest.mark.django_db
def test_it_splits_leads_between_the_arms_by_their_shares(alice):
    response_test(arms=[ArmSpec("5 minutes", "5", 1), ArmSpec("1 hour", "60", 3)])
    leads = [make_lead(owner=alice) for _ in range(400)]
    experiments.assign(leads, experiments.INTAKE, now=NOW)
    shares = Counter(ExperimentAssignment.objects.values_list("arm__label", flat=True))
    # 300 expected in the 1-hour arm; 200..380 is over eight standard deviations wide.
    assert 200 < shares["1 hour"] < 380
    assert shares["5 minutes"] + shares["1 hour"] == 400


@pytest.mark.django_db
def test_it_gives_no_arm_once_the_test_stopped(alice):
    experiments.stop(response_test())
    assert experiments.assign([make_lead(owner=alice)], experiments.INTAKE) == []


@pytest.mark.django_db
def test_it_starts_each_arms_clock_with_the_arms_minutes(alice, time_machine):
    time_machine.move_to(NOW, tick=False)
    SlaPolicy.objects.filter(segment="hot_inbound").update(business_hours=False, minutes=15)
    response_test(conditions=HOT)
    leads = [hot_lead(alice) for _ in range(40)]
    after_intake_many([lead.pk for lead in leads])
    arms = dict(ExperimentAssignment.objects.values_list("lead_id", "arm__value"))
    assert len(arms) == 40
    for clock in SlaClock.objects.filter(lead__in=leads):
        assert clock.due_at == NOW + timedelta(minutes=int(arms[clock.lead_id]))


@pytest.mark.django_db
def test_it_sets_only_the_first_clock_of_the_cycle_the_lead_joined_in(alice, time_machine):
    time_machine.move_to(NOW, tick=False)
    SlaPolicy.objects.filter(segment="hot_inbound").update(business_hours=False, minutes=15)
    response_test(conditions=HOT)
    lead = hot_lead(alice)
    after_intake_many([lead.pk])
    first = SlaClock.objects.get(lead=lead)
    SlaClock.objects.filter(pk=first.pk).update(state="met")  # answered
    time_machine.move_to(NOW + timedelta(days=1), tick=False)
    after_intake_many([lead.pk])  # another hot request, the same cycle
    second = SlaClock.objects.exclude(pk=first.pk).get(lead=lead)
    assert second.due_at == NOW + timedelta(days=1, minutes=15)


@pytest.mark.django_db
def test_it_keeps_the_policys_minutes_for_leads_outside_the_test(alice, time_machine):
    time_machine.move_to(NOW, tick=False)
    SlaPolicy.objects.filter(segment="inbound").update(business_hours=False, minutes=240)
    response_test(conditions=HOT)
    lead = make_lead(owner=alice)
    after_intake_many([lead.pk])
    assert SlaClock.objects.get(lead=lead).due_at == NOW + timedelta(minutes=240)


@pytest.mark.django_db
def test_it_shows_the_desk_the_script_of_the_leads_arm(alice):
    usual = CallScript.objects.create(name="Usual", position=0, opening="Hello")
    pain = CallScript.objects.create(name="Pain first", position=1, opening="Month-end?")
    experiments.start(name="Pain first or the usual", kind="script", goal="qualified",
                      arms=[ArmSpec("Usual", str(usual.pk)), ArmSpec("Pain", str(pain.pk))])
    leads = [make_lead(owner=alice) for _ in range(30)]
    experiments.assign(leads, experiments.INTAKE)
    arms = dict(ExperimentAssignment.objects.values_list("lead_id", "arm__label"))
    for lead in leads:
        assert script_for(lead) == (pain if arms[lead.pk] == "Pain" else usual)


@pytest.mark.django_db
def test_it_enrolls_a_lead_in_its_arms_cadence(alice):
    first = make_cadence(name="Monthly news", role="first")
    stories = make_cadence(name="Customer stories")
    experiments.start(name="News or stories", kind="cadence", goal="mql",
                      arms=[ArmSpec("News", str(first.pk)), ArmSpec("Stories", str(stories.pk))])
    leads = [make_lead(owner=alice) for _ in range(30)]
    for lead in leads:
        advance(lead, "working", by=alice, reason="called")
        enrollment = engine.enroll(lead, trigger="manual", by=alice)
        arm = ExperimentAssignment.objects.get(lead=lead).arm.label
        assert enrollment.version.cadence == (stories if arm == "Stories" else first)


@pytest.mark.django_db
def test_it_keeps_a_cadence_named_by_hand_out_of_the_test(alice):
    first = make_cadence(name="Monthly news", role="first")
    chosen = make_cadence(name="Chosen by hand")
    experiments.start(name="News or stories", kind="cadence", goal="mql",
                      arms=[ArmSpec("News", str(first.pk)),
                            ArmSpec("Stories", str(make_cadence().pk))])
    lead = make_lead(owner=alice)
    advance(lead, "working", by=alice, reason="called")
    engine.enroll(lead, trigger="manual", cadence=chosen, by=alice)
    assert not ExperimentAssignment.objects.filter(lead=lead).exists()


@pytest.mark.django_db
def test_it_keeps_the_survivors_arm_when_two_leads_in_a_test_merge(alice):
    response_test()
    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    experiments.assign([survivor, merged], experiments.INTAKE)
    kept = ExperimentAssignment.objects.get(lead=survivor).arm_id
    merge(survivor, merged, by=alice)
    assert list(ExperimentAssignment.objects.values_list("lead_id", "arm_id")) == [
        (survivor.pk, kept)]


@pytest.mark.django_db
def test_it_shows_the_leads_arm_on_its_page(client, alice):
    response_test(name="Within <5> minutes")
    lead = make_lead(owner=alice)
    experiments.assign([lead], experiments.INTAKE)
    label = ExperimentAssignment.objects.get(lead=lead).arm.label
    client.force_login(alice)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"Within &lt;5&gt; minutes: <strong>{label}</strong>" in page
