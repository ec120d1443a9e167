"""The SLA clock: due times in business hours, the first human touch, breaches,
escalation, and workers that never act twice on one clock."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadgate.intake.models import Inquiry
from leadgate.leads.models import Event, Lead, Task, Touch
from leadgate.leads.periodic import JOBS
from leadgate.routing import tasks
from leadgate.routing.models import Alert, Assignment, Seat, SlaClock, SlaPolicy
from leadgate.routing.sla import (
    cancel_clocks,
    check_breaches,
    start_clock,
    start_clocks,
    stop_clock,
)
from tests.concurrency import at_once
from tests.factories import make_lead, make_team, make_user
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

# Winter dates, so Paris is UTC+1 and New York UTC-5 on every day used here.
FRIDAY_1630 = datetime(2025, 2, 28, 16, 30, tzinfo=UTC)  # 17:30 Paris, 11:30 New York
TUESDAY_10 = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)  # 11:00 Paris


@pytest.fixture
def paris(team):
    team.time_zone = "Europe/Paris"
    team.save()
    return team


def arrive(lead, channel="form", hot=False, at=None):
    inquiry = Inquiry.objects.create(lead=lead, channel=channel, is_hot=hot)
    return start_clock(lead, inquiry, now=at)


def touch(lead, actor, at, direction="outbound", channel="call"):
    return Touch.objects.create(lead=lead, actor=actor, at=at, direction=direction,
                                channel=channel, disposition="no_answer")


# --- due times -----------------------------------------------------------------

def test_it_counts_an_inbound_hour_across_the_weekend(alice, paris):
    clock = arrive(make_lead(owner=alice), at=FRIDAY_1630)  # 30 minutes left on Friday
    assert clock.due_at == datetime(2025, 3, 3, 8, 30, tzinfo=UTC)  # Monday 09:30 Paris


def test_it_counts_in_the_teams_own_time_zone(charlie):
    charlie.team.time_zone = "America/New_York"
    charlie.team.save()
    clock = arrive(make_lead(owner=charlie), at=FRIDAY_1630)  # 11:30 in New York
    assert clock.due_at == datetime(2025, 2, 28, 17, 30, tzinfo=UTC)  # 12:30 New York


def test_it_gives_an_imported_lead_one_business_day(alice, paris):
    clock = arrive(make_lead(owner=alice), channel="import", at=TUESDAY_10)
    assert clock.due_at == TUESDAY_10 + timedelta(days=1)
    assert clock.policy.segment == "imported"


def test_it_makes_a_hot_inquiry_at_night_due_five_minutes_after_opening(alice, paris):
    night = datetime(2025, 2, 25, 1, 0, tzinfo=UTC)  # 02:00 Paris
    clock = arrive(make_lead(owner=alice), hot=True, at=night)
    assert clock.due_at == datetime(2025, 2, 25, 8, 5, tzinfo=UTC)  # 09:05 Paris


def test_it_counts_around_the_clock_when_the_policy_says_so(alice, paris):
    SlaPolicy.objects.filter(segment="hot_inbound").update(business_hours=False)
    night = datetime(2025, 2, 25, 1, 0, tzinfo=UTC)
    assert arrive(make_lead(owner=alice), hot=True, at=night).due_at == night + timedelta(
        minutes=5)


@pytest.mark.parametrize("channel", ["manual", "crm"])
def test_it_starts_no_clock_for_leads_entered_by_hand_or_synced(alice, channel):
    assert arrive(make_lead(owner=alice), channel=channel, at=TUESDAY_10) is None
    assert not SlaClock.objects.exists()


def test_it_keeps_one_clock_with_the_earliest_due_time(alice, paris):
    lead = make_lead(owner=alice)
    first = arrive(lead, at=TUESDAY_10)
    assert arrive(lead, channel="import", at=TUESDAY_10) == first  # colder: unchanged
    hot = arrive(lead, hot=True, at=TUESDAY_10 + timedelta(minutes=1))
    assert hot.pk == first.pk
    assert hot.due_at == TUESDAY_10 + timedelta(minutes=6)
    assert SlaClock.objects.filter(lead=lead).count() == 1


# --- stopping ------------------------------------------------------------------

def test_it_starts_a_batchs_clocks_as_one_by_one(alice, paris, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    leads = [make_lead(owner=alice, team=paris) for _ in range(3)]
    pairs = [(lead, Inquiry.objects.create(lead=lead, channel="form", is_hot=hot))
             for lead, hot in zip(leads, (True, False, True), strict=True)]
    clocks = start_clocks(pairs)
    alone = arrive(make_lead(owner=alice, team=paris), hot=True)
    assert [clock.due_at for clock in clocks] == [
        alone.due_at, TUESDAY_10 + timedelta(hours=1), alone.due_at]
    assert SlaClock.objects.filter(lead__in=leads, state="running").count() == 3
    assert (sorted(Task.objects.filter(lead__in=leads, kind="first_call")
                   .values_list("due_at", flat=True))
            == sorted(clock.due_at for clock in clocks))


def test_it_starts_a_batchs_clocks_in_statements_that_do_not_grow_with_it(
        alice, paris, django_assert_max_num_queries):
    def pairs(n):
        leads = [make_lead(owner=alice, team=paris) for _ in range(n)]
        return [(lead, Inquiry.objects.create(lead=lead, channel="form")) for lead in leads]

    few, many = pairs(2), pairs(20)
    with CaptureQueriesContext(connection) as small:
        start_clocks(few)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert all(start_clocks(many))


def test_it_stops_the_clock_at_the_first_human_touch(alice, paris):
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    call = touch(lead, alice, TUESDAY_10 + timedelta(minutes=3))
    clock = stop_clock(call)
    assert (clock.state, clock.response_seconds, clock.touch) == ("met", 180, call)
    assert clock.stopped_at == call.at
    assert Event.objects.filter(owner_id=alice.pk, kind="sla.stopped",
                                data__clock=clock.pk).exists()


def test_it_does_not_stop_the_clock_for_an_automatic_email(alice, paris):
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    acknowledgement = touch(lead, None, TUESDAY_10, channel="email")
    assert stop_clock(acknowledgement) is None
    assert SlaClock.objects.get(lead=lead).state == "running"


def test_it_does_not_stop_the_clock_when_the_lead_writes_to_us(alice, paris):
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    assert stop_clock(touch(lead, alice, TUESDAY_10, direction="inbound")) is None


def test_it_records_a_late_touch_before_the_check_as_breached_and_stopped(alice, paris):
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    late = TUESDAY_10 + timedelta(minutes=7)
    clock = stop_clock(touch(lead, alice, late))
    assert (clock.state, clock.breached_at, clock.stopped_at) == ("breached", late, late)
    assert clock.response_seconds == 420
    assert check_breaches(now=late + timedelta(minutes=1)) == 0


def test_it_cancels_the_clock_of_a_lead_leaving_the_desk(alice, paris):
    lead = make_lead(owner=alice)
    arrive(lead, at=TUESDAY_10)
    assert cancel_clocks(lead, now=TUESDAY_10) == 1
    assert SlaClock.objects.get(lead=lead).state == "cancelled"
    assert check_breaches(now=TUESDAY_10 + timedelta(days=3)) == 0


# --- breaches ------------------------------------------------------------------

def test_it_escalates_a_breach_alerts_emails_and_reassigns(
    alice, bob, paris, mia, smtp, django_capture_on_commit_callbacks, time_machine
):
    lead = make_lead(owner=alice)
    first = arrive(lead, hot=True, at=TUESDAY_10)
    # The check runs every 10 s: this one comes 8 s after the due time.
    time_machine.move_to(first.due_at + timedelta(seconds=8), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_breaches() == 1
    first.refresh_from_db()
    assert (first.state, first.owner) == ("breached", alice)
    assert first.breached_at - first.due_at < timedelta(seconds=30)
    alert = Alert.objects.get(kind="sla_breach")
    assert (alert.lead, alert.team) == (lead, paris)
    assert "Reassigned to bob" in alert.message
    run_email_tasks()  # the outbox's send task, as an urgent worker runs it
    [(recipients, content)] = smtp.messages
    assert recipients == ["mia@example.com"]
    assert "SLA breached" in content
    assert Lead.objects.get(pk=lead.pk).owner == bob
    moved = Assignment.objects.get(lead=lead)
    assert (moved.from_user, moved.to_user, moved.why, moved.by) == (
        alice, bob, "sla_breach", None)
    new = SlaClock.objects.get(lead=lead, state="running")
    assert (new.owner, new.policy) == (bob, first.policy)
    assert new.due_at == first.breached_at + timedelta(minutes=5)


def test_it_emails_the_teams_own_manager_rather_than_every_manager(
    alice, bob, paris, mia, smtp, django_capture_on_commit_callbacks
):
    make_user("tess", "manager", paris)
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    with django_capture_on_commit_callbacks(execute=True):
        check_breaches(now=TUESDAY_10 + timedelta(minutes=6))
    run_email_tasks()
    assert [recipients for recipients, _ in smtp.messages] == [["tess@example.com"]]


def test_it_keeps_escalating_while_nobody_acts(alice, bob, paris):
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    check_breaches(now=TUESDAY_10 + timedelta(minutes=5))
    check_breaches(now=TUESDAY_10 + timedelta(minutes=10))
    assert Lead.objects.get(pk=lead.pk).owner == alice  # back from bob
    assert SlaClock.objects.filter(lead=lead, state="breached").count() == 2
    assert Alert.objects.filter(kind="sla_breach").count() == 2


def test_it_leaves_the_lead_and_says_so_when_nobody_else_is_available(alice, bob, paris):
    Seat.objects.create(user=bob, paused=True)
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    assert check_breaches(now=TUESDAY_10 + timedelta(minutes=6)) == 1
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert "Nobody else" in Alert.objects.get().message
    assert not SlaClock.objects.filter(state="running").exists()


def test_it_alerts_without_reassigning_when_the_policy_does_not_escalate(alice, bob, paris):
    SlaPolicy.objects.filter(segment="hot_inbound").update(escalate=False)
    lead = make_lead(owner=alice)
    arrive(lead, hot=True, at=TUESDAY_10)
    assert check_breaches(now=TUESDAY_10 + timedelta(minutes=6)) == 1
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert Alert.objects.filter(kind="sla_breach").count() == 1


def test_it_leaves_clocks_that_are_not_due_alone(alice, paris):
    arrive(make_lead(owner=alice), hot=True, at=TUESDAY_10)
    assert check_breaches(now=TUESDAY_10 + timedelta(minutes=4)) == 0
    assert SlaClock.objects.get().state == "running"


def test_it_acts_once_when_the_check_runs_twice(alice, bob, paris):
    arrive(make_lead(owner=alice), hot=True, at=TUESDAY_10)
    due = TUESDAY_10 + timedelta(minutes=5)
    assert (check_breaches(now=due), check_breaches(now=due)) == (1, 0)


def test_it_breaches_more_clocks_than_one_batch_in_one_check(alice, bob, paris):
    from leadgate.routing.sla import BREACH_BATCH

    for _ in range(BREACH_BATCH + 5):
        arrive(make_lead(owner=alice), hot=True, at=TUESDAY_10)
    assert check_breaches(now=TUESDAY_10 + timedelta(minutes=6)) == BREACH_BATCH + 5
    assert not SlaClock.objects.filter(state="running", due_at__lte=TUESDAY_10
                                       + timedelta(minutes=6)).exists()


def test_it_keeps_the_other_breaches_when_one_lead_fails(alice, bob, paris, monkeypatch):
    from leadgate.routing import sla

    leads = [make_lead(owner=alice) for _ in range(3)]
    for lead in leads:
        arrive(lead, hot=True, at=TUESDAY_10)
    real = sla.raise_alert

    def failing_for_the_second(kind, message, **kwargs):  # stands for any failure
        if kwargs["lead"].pk == leads[1].pk:
            raise RuntimeError("the alert could not be written")
        return real(kind, message, **kwargs)

    monkeypatch.setattr(sla, "raise_alert", failing_for_the_second)
    assert check_breaches(now=TUESDAY_10 + timedelta(minutes=6)) == 2
    states = {clock.lead_id: clock.state for clock in SlaClock.objects.filter(
        started_at=TUESDAY_10)}
    assert states == {leads[0].pk: "breached", leads[1].pk: "running",
                      leads[2].pk: "breached"}
    # Its reassignment was undone with it; the next check tries again.
    assert Lead.objects.get(pk=leads[1].pk).owner == alice
    monkeypatch.setattr(sla, "raise_alert", real)
    assert check_breaches(now=TUESDAY_10 + timedelta(minutes=6)) == 1


def test_it_runs_the_check_every_ten_seconds():
    assert JOBS[tasks.check_breaches.module_path][0] == 10


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_two_workers_act_on_one_clock(settings):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database does not run writers in parallel")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # An earlier transactional test may have flushed the migration's policies.
    SlaPolicy.objects.get_or_create(segment="hot_inbound", defaults={"minutes": 5})
    team = make_team("Parallel")
    team.time_zone = "Europe/Paris"
    team.save()
    people = [make_user(f"q{n}", "qualifier", team) for n in range(3)]
    for n in range(30):
        arrive(make_lead(owner=people[n % 3]), hot=True, at=TUESDAY_10)
    results = at_once(lambda: check_breaches(now=TUESDAY_10 + timedelta(minutes=5)), threads=3)

    assert sum(results) == 30
    assert Alert.objects.filter(kind="sla_breach").count() == 30
    assert Assignment.objects.filter(why="sla_breach").count() == 30
    assert SlaClock.objects.filter(state="running").count() == 30  # one new clock each
