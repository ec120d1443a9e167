"""`leadgate demo`: a realistic, consistent, reproducible demo company."""

import hashlib
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone

from leadgate.demo import seed
from leadgate.demo.paths import START, WAYS, shortest_way, ways
from leadgate.demo.seed import DemoError, generate
from leadgate.intake.models import Campaign, CampaignCost, Inquiry, Source
from leadgate.leads.lifecycle import CLOSED, FUNNEL, ON_DESK, TRANSITIONS, Stage
from leadgate.leads.models import (
    Account,
    Handoff,
    Lead,
    Outcome,
    StageChange,
    Task,
    Team,
    Touch,
    User,
    create_lead,
)
from leadgate.routing.models import Assignment
from leadgate.workspace.models import Qualification

pytestmark = pytest.mark.django_db


def run_demo(leads=300, **options):
    out = StringIO()
    call_command("demo", leads=leads, quiet=True, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return run_demo(300)


def histories():
    """Each lead's stage changes in time order."""
    by_lead = defaultdict(list)
    for change in StageChange.objects.order_by("lead_id", "at", "pk"):
        by_lead[change.lead_id].append(change)
    return by_lead


def test_it_creates_the_company(demo):
    assert Lead.objects.count() == 300
    assert Source.objects.count() == 6
    assert Campaign.objects.count() == 12
    assert CampaignCost.objects.filter(campaign__name="Google Ads: brand").count() >= 12
    assert User.objects.filter(groups__name="qualifier").count() == 8
    assert Team.objects.filter(members__groups__name="qualifier").distinct().count() == 2
    assert User.objects.filter(groups__name="sales").count() == 4
    assert User.objects.filter(groups__name="manager").count() == 1
    assert User.objects.filter(is_superuser=True).count() == 1
    assert 80 <= Account.objects.count() <= 120


def test_it_gives_every_lead_an_inquiry_owner_and_team(demo):
    assert not Lead.objects.filter(inquiries__isnull=True).exists()
    assert not Lead.objects.filter(owner__isnull=True).exists()
    for lead in Lead.objects.select_related("owner"):
        assert lead.team_id == lead.owner.team_id
        assert lead.owner.has_role("qualifier")
        assert lead.phone == "" or (lead.phone.startswith("+") and lead.phone[1:].isdigit())
        assert "@" in lead.email
    assert set(Inquiry.objects.values_list("channel", flat=True)) <= {"form", "api", "import"}


def test_it_chains_every_stage_change_to_its_predecessor(demo):
    for changes in histories().values():
        assert (changes[0].from_stage, changes[0].to_stage) == ("", Stage.INQUIRY)
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage == before.to_stage
            assert after.at > before.at


def test_it_only_makes_legal_moves(demo):
    for changes in histories().values():
        for change in changes[1:]:
            if change.to_stage == Stage.INQUIRY:  # a new cycle after a closed one
                assert change.from_stage in (Stage.WON, Stage.LOST, Stage.DISQUALIFIED)
                continue
            move = TRANSITIONS[Stage(change.from_stage)][Stage(change.to_stage)]
            if move.reason_required:
                assert change.reason.strip()


def assert_walked_by(transitions):
    """Each demo lead's history is a chain of moves of `transitions`, a new
    cycle (after a closed one) starting again at the funnel's first stage."""
    for changes in histories().values():
        assert (changes[0].from_stage, changes[0].to_stage) == ("", START)
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage == before.to_stage
            if after.cycle == before.cycle + 1:
                assert before.to_stage in CLOSED
                assert after.to_stage == START
            else:
                assert after.cycle == before.cycle
                assert after.to_stage in transitions[Stage(before.to_stage)]


def test_it_walks_each_demo_lead_along_the_lifecycles_transitions(demo):
    assert_walked_by(TRANSITIONS)


def test_it_finds_the_shortest_way_through_the_lifecycle():
    assert [move.target for move in WAYS[Stage.INQUIRY, Stage.WORKING]] == [Stage.WORKING]
    assert [move.target for move in WAYS[Stage.INQUIRY, Stage.WON]] == [
        Stage.WORKING, Stage.QUALIFIED, Stage.ACCEPTED, Stage.OPPORTUNITY, Stage.WON]
    assert [move.target for move in WAYS["", START]] == [START]
    assert (Stage.WON, Stage.MQL) not in WAYS  # a closed cycle only starts a new one
    assert shortest_way(TRANSITIONS, Stage.LOST, Stage.WON) == ()
    for (start, _target), moves in WAYS.items():
        stage = Stage(start) if start else None
        for move in moves:
            if stage is not None and stage not in CLOSED:
                assert TRANSITIONS[stage][move.target] is move
            stage = move.target


def test_it_follows_the_lifecycle_when_it_changes(db, monkeypatch):
    # Without the shortcut hot leads take (inquiry -> working) they pass through MQL.
    table = {stage: dict(moves) for stage, moves in TRANSITIONS.items()}
    del table[Stage.INQUIRY][Stage.WORKING]
    monkeypatch.setattr(seed, "WAYS", ways(table))
    generate(300)
    assert not StageChange.objects.filter(from_stage=Stage.INQUIRY,
                                          to_stage=Stage.WORKING).exists()
    assert StageChange.objects.filter(from_stage=Stage.MQL, to_stage=Stage.WORKING,
                                      lead__inquiries__is_hot=True).exists()
    assert_walked_by(table)


def test_it_refuses_a_lifecycle_that_no_longer_reaches_a_stage_it_heads_for(db, monkeypatch):
    table = {stage: dict(moves) for stage, moves in TRANSITIONS.items()}
    del table[Stage.WORKING][Stage.QUALIFIED]
    monkeypatch.setattr(seed, "WAYS", ways(table))
    with pytest.raises(DemoError, match="no way from 'working' to 'qualified'"):
        generate(300)


def test_it_keeps_the_lead_in_its_last_stage(demo):
    by_lead = histories()
    for lead in Lead.objects.all():
        last = by_lead[lead.pk][-1]
        assert (lead.stage, lead.cycle, lead.stage_changed_at) == (last.to_stage, last.cycle,
                                                                    last.at)


def owners_over_time():
    """Each lead's owners by time: routing gave it to one, an SLA breach to another."""
    handed = defaultdict(list)
    for lead_id, at, to in Assignment.objects.order_by("at", "pk").values_list(
            "lead_id", "at", "to_user_id"):
        handed[lead_id].append((at, to))

    def owner_at(lead, at):
        return next((to for when, to in reversed(handed[lead.pk]) if when <= at), lead.owner_id)

    return owner_at


def test_it_puts_nothing_in_the_future(demo):
    now = timezone.now()
    assert not StageChange.objects.filter(at__gt=now).exists()
    assert not Touch.objects.filter(at__gt=now).exists()
    assert not Lead.objects.filter(created_at__lt=now - timezone.timedelta(days=366)).exists()
    owner_at = owners_over_time()
    for touch in Touch.objects.select_related("lead"):
        assert touch.at > touch.lead.created_at
        # A reply to a nurture email came in by itself (no actor); one the
        # qualifier logged has the qualifier who owned the lead then.
        reply = (touch.direction, touch.disposition) == ("inbound", "replied")
        owner = owner_at(touch.lead, touch.at)
        assert touch.actor_id in ((None, owner) if reply else (owner,))


def test_it_hands_off_every_lead_that_reached_qualified(demo):
    reached = set(StageChange.objects.filter(to_stage=Stage.QUALIFIED)
                  .values_list("lead_id", "cycle"))
    assert reached
    handed = set(Handoff.objects.values_list("lead_id", "cycle"))
    assert reached == handed
    for handoff in Handoff.objects.select_related("to_user"):
        assert handoff.to_user.has_role("sales")
        if handoff.status == "rejected":
            assert handoff.decision_reason
    assert not Lead.objects.filter(stage=Stage.QUALIFIED).exclude(
        handoffs__status="pending").exists()
    qualified = set(Qualification.objects.filter(verdict="sales_ready")
                    .values_list("lead_id", flat=True))
    assert {lead for lead, _ in reached} <= qualified


def test_it_records_outcomes_for_sales_stages(demo):
    for stage in (Stage.OPPORTUNITY, Stage.WON):
        reached = StageChange.objects.filter(to_stage=stage).count()
        assert reached == Outcome.objects.filter(kind=stage, amount__gt=0).count()
    assert not Outcome.objects.filter(kind="lost", reason="").exists()


def test_it_gives_every_lead_on_a_desk_an_open_task(demo):
    on_desk = set(Lead.objects.filter(stage__in=ON_DESK).values_list("pk", flat=True))
    with_task = set(Task.objects.open().values_list("lead_id", flat=True))
    assert on_desk == with_task


def test_it_brings_some_people_back_for_a_second_cycle(demo):
    returning = Lead.objects.filter(cycle=2)
    assert returning.exists()
    for lead in returning:
        cycles = list(lead.history().values_list("cycle", "from_stage", "to_stage"))
        assert cycles[0] == (1, "", Stage.INQUIRY)
        start = next(c for c in cycles if c[0] == 2)
        assert start[1] in (Stage.WON, Stage.LOST, Stage.DISQUALIFIED)
        assert start[2] == Stage.INQUIRY
        assert lead.inquiries.filter(cycle=2).exists()


def test_it_recycles_some_rejected_leads(db):
    run_demo(1000)
    assert StageChange.objects.filter(from_stage=Stage.REJECTED, to_stage=Stage.WORKING).exists()


def test_it_refuses_a_database_with_leads(demo):
    with pytest.raises(CommandError, match="already holds leads"):
        run_demo(10)


def test_it_keeps_existing_data_and_reprints_the_logins_with_if_empty(demo):
    before = (Lead.objects.count(), StageChange.objects.count())
    out = run_demo(50, if_empty=True)
    assert "already has leads (300); kept" in out
    assert "qualifier:  qualifier / leadgate-demo" in out
    assert (Lead.objects.count(), StageChange.objects.count()) == before


def test_it_prints_logins_that_work(db):
    out = run_demo(20, password="s3cret-demo-pw")

    def log_in(username: str):
        # The log-in throttle (axes) counts attempts by request; a blank one will do.
        return authenticate(HttpRequest(), username=username, password="s3cret-demo-pw")

    for username in ("manager", "qualifier", "sales", "marketing", "admin"):
        assert username in out
        assert log_in(username) is not None
    assert "s3cret-demo-pw" in out
    assert log_in("qualifier8").has_role("qualifier")
    assert User.objects.get(username="admin").has_role("admin")


def digest() -> str:
    rows = Lead.objects.order_by("pk").values_list("email", "stage", "cycle", "created_at")
    changes = StageChange.objects.order_by("pk").values_list("to_stage", "at")
    return hashlib.sha256(repr((list(rows), list(changes))).encode()).hexdigest()


def wipe():
    for model in (Lead, Account, Campaign, Source, Team):
        model.objects.all().delete()
    User.objects.all().delete()


def test_it_is_reproducible_for_a_seed(db, time_machine):
    time_machine.move_to("2025-06-01 12:00:00+00:00", tick=False)
    generate(200, seed=7, batch_size=64)
    first = digest()
    wipe()
    generate(200, seed=7, batch_size=64)
    assert digest() == first
    wipe()
    generate(200, seed=8, batch_size=64)
    assert digest() != first


def test_it_converts_at_realistic_b2b_rates(db, time_machine):
    # At a fixed time: the walk's draws depend on the hour it starts from, and
    # the later stages rest on a few dozen leads (won: about 30 opportunities),
    # so a band checked at any hour of any day would fail now and then.
    time_machine.move_to("2026-06-18 15:30:00+00:00", tick=False)
    generate(5000)
    # Count leads old enough for their first cycle to have played out.
    old = timezone.now() - timezone.timedelta(days=180)
    furthest = defaultdict(int)
    for lead_id, stage in StageChange.objects.filter(
        cycle=1, lead__created_at__lt=old, to_stage__in=FUNNEL
    ).values_list("lead_id", "to_stage"):
        furthest[lead_id] = max(furthest[lead_id], FUNNEL.index(stage))
    reached = [sum(1 for f in furthest.values() if f >= i) for i in range(len(FUNNEL))]
    rate = {FUNNEL[i + 1].value: reached[i + 1] / reached[i] for i in range(len(FUNNEL) - 1)}
    assert reached[0] > 2000
    assert 0.40 <= rate["mql"] <= 0.60
    assert 0.75 <= rate["working"] <= 0.95
    assert 0.20 <= rate["qualified"] <= 0.30
    assert 0.70 <= rate["accepted"] <= 0.85
    assert 0.50 <= rate["opportunity"] <= 0.70
    assert 0.20 <= rate["won"] <= 0.35


def test_it_leaves_the_database_ready_for_new_rows(demo):
    # Keys were assigned by the generator: PostgreSQL's sequences must have caught up.
    lead = create_lead(first_name="New", email="new@example.com")
    assert lead.pk > Lead.objects.exclude(pk=lead.pk).order_by("-pk").first().pk
    assert Touch.objects.create(lead=lead, channel="call", disposition="connected").pk


def test_it_leaves_no_lead_for_the_intake_retry_sweep(demo):
    assert not Lead.objects.filter(processed_at__isnull=True).exists()


def test_it_enrolls_every_lead_in_nurture_with_a_due_time_or_a_rest_end(demo):
    from leadgate.nurture.models import Enrollment

    nurtured = set(Lead.objects.filter(stage=Stage.NURTURE).values_list("pk", flat=True))
    assert nurtured
    live = {enrollment.lead_id: enrollment for enrollment in
            Enrollment.objects.filter(status__in=Enrollment.LIVE)}
    assert set(live) == nurtured
    now = timezone.now()
    for enrollment in live.values():
        if enrollment.status == "active":
            assert enrollment.next_due_at is not None and enrollment.rest_until is None
        else:
            assert enrollment.rest_until > now and enrollment.next_due_at is None
    assert {enrollment.status for enrollment in live.values()} == {"active", "resting"}
    assert any(enrollment.number >= 2 for enrollment in live.values())


def test_it_builds_the_cadences_a_marketer_would(demo):
    from leadgate.nurture.models import Cadence

    first = Cadence.objects.get(role="first")
    assert first.next_cadence.name == "Long-term: second cycle"
    assert Cadence.objects.get(role="quarterly").name == "Quarterly check-in"
    steps = first.current_version().ordered_steps()
    assert [step.kind for step in steps] == ["auto_email", "wait", "call", "auto_email"]
    assert [variant.label for variant in steps[3].variants.all()] == ["A", "B"]
    assert first.created_by.has_role("marketing")


def test_it_leaves_past_nurture_emails_sent_and_none_to_send(demo):
    from leadgate.mail.models import EmailEvent, OutboundEmail
    from leadgate.nurture.models import StepRun

    emails = OutboundEmail.objects.filter(kind="nurture")
    assert emails.exists()
    assert not emails.exclude(status="sent").exists()
    assert not emails.filter(sent_at__gt=timezone.now()).exists()
    assert StepRun.objects.filter(step__kind="auto_email", status="done").count() == emails.count()
    email = emails.select_related("lead").first()
    assert email.lead.first_name in email.body and "{{" not in email.body + email.subject
    for event in EmailEvent.objects.select_related("email"):
        assert event.at > event.email.sent_at


def test_it_ends_the_enrollment_of_every_lead_that_left_nurture(demo):
    from leadgate.nurture.models import Enrollment

    left = Enrollment.objects.filter(status="exited")
    assert left.filter(exit_reason="mql").exists()
    assert not left.filter(ended_at__isnull=True).exists()
    assert not left.filter(exit_reason="").exists()
    assert not Enrollment.objects.filter(status__in=Enrollment.LIVE).exclude(
        lead__stage=Stage.NURTURE).exists()


def test_it_shows_replies_to_nurture_emails_on_the_timeline(demo):
    from leadgate.mail.models import EmailEvent

    reply = EmailEvent.objects.filter(kind="replied").select_related("email").first()
    assert reply is not None and reply.detail
    assert Touch.objects.filter(lead_id=reply.email.lead_id, direction="inbound",
                                disposition="replied", notes=reply.detail).exists()


def test_it_stops_each_clock_with_the_first_human_touch_as_routing_would(demo):
    from leadgate.routing.models import SlaClock
    from leadgate.routing.sla import is_human_touch

    stopped = SlaClock.objects.filter(touch__isnull=False).select_related("touch")
    assert stopped.exists()
    for clock in stopped:
        touch = clock.touch
        assert is_human_touch(touch) and touch.cycle == clock.cycle
        assert touch.actor_id == clock.owner_id
        assert (clock.stopped_at, clock.response_seconds) == (
            touch.at, int((touch.at - clock.started_at).total_seconds()))
        assert clock.state == ("met" if touch.at <= clock.due_at else "breached")
        earlier = Touch.objects.filter(lead_id=clock.lead_id, cycle=clock.cycle,
                                       at__gte=clock.started_at, at__lt=touch.at,
                                       direction="outbound", actor__isnull=False)
        assert not earlier.exists()
    # Breached before anyone called: no response, and the lead went to a teammate.
    late = SlaClock.objects.filter(state="breached", touch__isnull=True)
    assert not late.filter(response_seconds__isnull=False).exists()
    assert Assignment.objects.filter(why="sla_breach").exists()


def test_it_counts_due_times_in_the_teams_business_hours(demo):
    from leadgate.routing.models import ExperimentAssignment, SlaClock
    from leadgate.routing.sla import due_time

    clocks = SlaClock.objects.select_related("policy", "lead__team")
    assert {clock.policy.segment for clock in clocks} >= {"hot_inbound", "inbound", "imported"}
    # A response-time test's arm sets the first clock of the cycle its lead joined in.
    arms = {(lead_id, at): int(minutes) for lead_id, at, minutes in ExperimentAssignment.objects
            .filter(experiment__kind="response_time").values_list("lead_id", "at", "arm__value")}
    for clock in clocks:
        minutes = arms.get((clock.lead_id, clock.started_at))
        assert clock.due_at == due_time(clock.policy, clock.lead.team, clock.started_at, minutes)
        if clock.state == "breached" and clock.touch_id is None:
            assert clock.due_at < clock.breached_at <= clock.due_at + timezone.timedelta(
                seconds=10)
    running = SlaClock.objects.filter(state="running")
    assert not running.exclude(lead__stage__in=ON_DESK).exists()
    assert not running.values("lead_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
