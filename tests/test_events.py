"""The event stream (leads.events): every kind written in the transaction of
its change and rolled back with it; consumers handed their kinds in order,
once each, resuming where a failure left them; no event read past while a
transaction that may precede it is still running."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from leadgate.intake.merge import merge
from leadgate.intake.models import Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads import events
from leadgate.leads.models import Event, EventCursor
from leadgate.leads.periodic import JOBS
from leadgate.leads.tasks import dispatch_events
from leadgate.leads.transitions import advance
from leadgate.mail import inbound, tracking
from leadgate.mail.models import OutboundEmail
from leadgate.mail.suppression import suppress
from leadgate.nurture import engine
from leadgate.routing import experiments
from leadgate.routing.assign import reassign
from leadgate.routing.sla import check_breaches, start_clock
from leadgate.scoring.models import Rule, RuleSet
from leadgate.scoring.rules import score_lead
from leadgate.workspace.queue import claim, release
from leadgate.workspace.touches import NextStep, log_touch
from tests.factories import hand_off, make_lead, qualify_sales_ready
from tests.nurture_factories import email_step, make_cadence

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def people(alice, bob, sam, time_machine):
    return {"alice": alice, "bob": bob, "sam": sam, "clock": time_machine}


def _clocked(alice):
    lead = make_lead(owner=alice)
    return lead, start_clock(lead, Inquiry.objects.create(lead=lead, channel="form",
                                                          is_hot=True), now=T0)


def _called(lead, by):
    log_touch(lead, by, channel="call", disposition="no_answer",
              next_step=NextStep("Call again", T0 + timedelta(days=1)))


def _tightened(p):
    """A form inquiry's clock, then a hot request on the same lead."""
    lead = make_lead(owner=p["alice"])
    assert start_clock(lead, Inquiry.objects.create(lead=lead, channel="form"), now=T0)
    start_clock(lead, Inquiry.objects.create(lead=lead, channel="form", is_hot=True), now=T0)


def _breach(p):
    _lead, clock = _clocked(p["alice"])
    p["clock"].move_to(clock.due_at + timedelta(seconds=1), tick=False)
    check_breaches()


def _graded(p):
    ruleset = RuleSet.objects.create(version=99)
    Rule.objects.create(ruleset=ruleset, kind="fit", name="Any", field="email",
                        operator="exists", value=True, points=10)
    ruleset.activate()
    score_lead(make_lead())


def _handoff(p):
    hand_off(make_lead(owner=p["alice"]), p["alice"], p["sam"])


def _decided(decision):
    def act(p):
        lead = make_lead(owner=p["alice"])
        hand_off(lead, p["alice"], p["sam"])
        advance(lead, decision, by=p["sam"], reason="timing")
    return act


def _won(p):
    lead = make_lead(owner=p["alice"])
    hand_off(lead, p["alice"], p["sam"])
    advance(lead, "accepted", by=p["sam"])
    advance(lead, "opportunity", by=p["sam"])
    advance(lead, "won", by=p["sam"], amount=Decimal("100"))


def _released(p):
    lead = make_lead(owner=p["alice"])
    claim(lead, p["bob"])
    release(lead, p["bob"])


def _suppressed(reason):
    def act(p):
        lead = make_lead(owner=p["alice"])
        suppress(lead.email, reason, lead=lead)
    return act


def _enrolled(p, *steps):
    lead = make_lead(owner=p["alice"])
    engine.enroll(lead, trigger="manual", cadence=make_cadence(*steps))
    return lead


def _stepped(p):
    _enrolled(p, email_step(), email_step(delay=2))
    engine.run_due()


def _sent_email(p):
    """A nurture email of an hour ago (past the bot window)."""
    lead = _enrolled(p, email_step())
    engine.run_due()
    OutboundEmail.objects.filter(lead=lead).update(status="sent", sent_at=T0 - timedelta(hours=1))
    return OutboundEmail.objects.get(lead=lead)


def _replied(p):
    email = _sent_email(p)
    inbound.receive((f"From: {email.to[0]}\r\nTo: leadgate@localhost\r\nSubject: Re: news\r\n"
                     f"Message-ID: <reply-1@example.com>\r\nIn-Reply-To: {email.message_id}"
                     "\r\n\r\nYes, call me.\r\n").encode())


def _in_a_test(p):
    experiments.start(name="Call within 5 minutes or an hour", kind="response_time",
                      goal="qualified", arms=[experiments.ArmSpec("5 min", "5"),
                                              experiments.ArmSpec("1 h", "60")])
    experiments.assign([make_lead(owner=p["alice"])], experiments.INTAKE, now=T0)


ACTIONS = {
    "inquiry.received": lambda p: receive({"email": "ada@analytical.example"}, channel="api"),
    "stage.moved": lambda p: advance(make_lead(), "mql", by=None, reason="scored"),
    "lead.assigned": lambda p: reassign(make_lead(owner=p["alice"]), p["bob"], by=p["alice"]),
    "sla.started": lambda p: _clocked(p["alice"]),
    "sla.tightened": _tightened,
    "sla.stopped": lambda p: _called(_clocked(p["alice"])[0], p["alice"]),
    "sla.breached": _breach,
    "touch.logged": lambda p: _called(make_lead(owner=p["alice"]), p["alice"]),
    "claim.taken": lambda p: claim(make_lead(owner=p["alice"]), p["bob"]),
    "claim.released": _released,
    "verdict.given": lambda p: qualify_sales_ready(make_lead(owner=p["alice"]), p["alice"]),
    "handoff.sent": _handoff,
    "handoff.accepted": _decided("accepted"),
    "handoff.rejected": _decided("rejected"),
    "outcome.recorded": _won,
    "score.graded": _graded,
    "email.unsubscribed": _suppressed("unsubscribed"),
    "email.bounced": _suppressed("hard_bounce"),
    "email.complained": _suppressed("complaint"),
    "lead.suppressed": _suppressed("do_not_contact"),
    "nurture.enrolled": _enrolled,
    "nurture.stepped": _stepped,
    "nurture.rested": lambda p: (_enrolled(p), engine.run_due()),
    "nurture.exited": lambda p: engine.leave(_enrolled(p), "manual"),
    "nurture.returned": lambda p: engine.stop(_enrolled(p)),
    "email.opened": lambda p: tracking.record(_sent_email(p), "opened", "Mozilla/5.0"),
    "email.clicked": lambda p: tracking.record(_sent_email(p), "clicked", "Mozilla/5.0",
                                               index=0),
    "email.replied": _replied,
    "experiment.assigned": _in_a_test,
    "lead.merged": lambda p: merge(make_lead(owner=p["alice"]), make_lead(owner=p["alice"]),
                                   by=p["alice"]),
}


def test_it_has_an_action_for_every_kind():
    assert set(ACTIONS) == set(events.KINDS)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(events.KINDS))
def test_it_writes_the_event_in_the_transaction_of_the_change_and_rolls_back_with_it(
        kind, people, now):
    with pytest.raises(RuntimeError), transaction.atomic():
        ACTIONS[kind](people)
        assert Event.objects.filter(kind=kind).exists()
        raise RuntimeError("the change fails later")
    assert not Event.objects.filter(kind=kind).exists()


@pytest.mark.django_db
def test_it_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown event kind"):
        events.record("lead.exploded")


@pytest.fixture
def consumer():
    """A consumer `test` of stage moves that records what it was handed, and
    fails once on the event whose lead is in `fail_on`."""
    handed: list[int] = []
    fail_on: set[int] = set()

    @events.subscribe("test", kinds={"stage.moved"}, batch=3)
    def handle(batch):
        for event in batch:
            if event.lead_id in fail_on:
                fail_on.discard(event.lead_id)
                raise RuntimeError("crashed mid-batch")
            handed.append(event.lead_id)
            # A write of its own, in its transaction: rolled back with a crash.
            EventCursor.objects.get_or_create(name=f"seen-{event.lead_id}")

    yield handed, fail_on
    del events.CONSUMERS["test"]


def moved(count: int) -> list:
    """`count` leads moved to mql, each with a claim event between (another kind)."""
    leads = [make_lead() for _ in range(count)]
    for lead in leads:
        advance(lead, "mql", by=None, reason="scored")
        events.record("claim.taken", lead)
    return leads


def drain(name: str) -> None:
    while events.consume(name):
        pass


@pytest.mark.django_db
def test_it_hands_a_consumer_its_kinds_only_in_order(consumer):
    handed, _ = consumer
    leads = moved(4)
    drain("test")
    assert handed == [lead.pk for lead in leads]


@pytest.mark.django_db
def test_it_resumes_a_consumer_that_crashed_mid_batch_without_loss_or_duplicate(consumer):
    handed, fail_on = consumer
    leads = moved(5)
    fail_on.add(leads[1].pk)
    with pytest.raises(RuntimeError):
        drain("test")
    assert EventCursor.objects.filter(name__startswith="seen-").count() == 0
    handed.clear()  # what the crashed batch saw was rolled back with it
    drain("test")
    assert handed == [lead.pk for lead in leads]
    assert EventCursor.objects.filter(name__startswith="seen-").count() == 5


@pytest.mark.django_db
def test_it_runs_the_other_consumers_when_one_fails(consumer, caplog):
    handed, fail_on = consumer

    seen = []
    events.subscribe("zz-other", kinds={"stage.moved"})(
        lambda batch: seen.extend(event.lead_id for event in batch))
    try:
        lead = make_lead()
        advance(lead, "mql", by=None, reason="scored")
        fail_on.add(lead.pk)
        events.consume_all()
        assert (handed, seen) == ([], [lead.pk])
        assert "event consumer test failed" in caplog.text
        events.consume_all()
        assert handed == [lead.pk]
    finally:
        del events.CONSUMERS["zz-other"]


def test_it_dispatches_the_events_every_two_seconds():
    assert JOBS[dispatch_events.module_path][0] == 2


@pytest.mark.django_db
def test_it_reads_positions_back_as_it_wrote_them():
    assert events.parse_position(events.format_position((12, 345))) == (12, 345)
    assert events.parse_position("12") is None
    assert events.parse_position("x.1") is None


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="SQLite lets one writer in at a time: rows commit in id order")
@pytest.mark.django_db(transaction=True)
def test_it_reads_past_no_event_of_a_transaction_still_running(consumer):
    handed, _ = consumer
    early, late = make_lead(), make_lead()
    wrote, finish = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                advance(early, "mql", by=None, reason="scored")  # the lower id
                wrote.set()
                finish.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert wrote.wait(10)
        advance(late, "mql", by=None, reason="scored")  # commits first
        assert events.consume("test") == 0  # `late` waits for `early`'s transaction
    finally:
        finish.set()
        thread.join()
    drain("test")
    assert handed == [early.pk, late.pk]
    assert connection.vendor == "postgresql"
