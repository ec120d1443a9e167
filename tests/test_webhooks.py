"""Outbound webhooks: queued from the event stream once each, signed
deliveries to a real local receiver, retries with backoff, giving up, switching
a failing subscription off, and the limits on targets."""

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.db.models import Max

from leadgate.api import tasks, webhooks
from leadgate.api.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription
from leadgate.intake.imports import ImportOptions, run_import
from leadgate.intake.models import Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.events import consume_all
from leadgate.leads.periodic import JOBS
from leadgate.leads.transitions import advance
from leadgate.routing.models import Alert
from leadgate.routing.sla import check_breaches, start_clock
from leadgate.scoring.models import Rule, RuleSet
from leadgate.scoring.rules import score_lead
from tests.api_helpers import api_get, make_key
from tests.factories import hand_off, make_lead, make_user
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def verify(secret: str, timestamp: str, signature: str, body: bytes,
           tolerance: int = 300) -> bool:
    """The recipe of leadgate.api.webhooks' docstring, as a receiver would use it."""
    if abs(time.time() - int(timestamp)) > tolerance:
        return False  # too old: a replay
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(signature, "sha256=" + mac.hexdigest())


class Receiver(BaseHTTPRequestHandler):
    """Records each POST; answers with the codes in `answers` in turn, then 200."""

    requests: list[dict] = []
    answers: list[int] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.requests.append({"path": self.path, "headers": self.headers, "body": body})
        status = Receiver.answers.pop(0) if Receiver.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def receiver(settings, now):
    settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    Receiver.requests, Receiver.answers = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    Receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/leadgate?x=1"
    yield Receiver
    server.shutdown()
    server.server_close()


def subscribe(url="https://crm.example/hook", events=WEBHOOK_EVENTS, active=True):
    return WebhookSubscription.objects.create(url=url, events=list(events), active=active)


def data():
    return {"lead": {"id": 1}}


def queued(subscription):
    """The subscription's deliveries once the event stream's consumers ran."""
    consume_all()
    return list(subscription.deliveries.order_by("pk"))


def events_of(subscription):
    return [delivery.event for delivery in queued(subscription)]


# --- emitting ---------------------------------------------------------------------------

def test_it_queues_one_delivery_per_active_subscription_listening_to_the_event(now):
    listening = subscribe(events=["lead.created", "lead.won"])
    subscribe(events=["lead.won"])
    subscribe(events=["lead.created"], active=False)
    [delivery] = webhooks.emit("lead.created", data())
    assert (delivery.subscription, delivery.status, delivery.next_attempt_at) == (
        listening, "pending", T0)
    assert delivery.payload == {
        "schema": "leadgate.webhook", "version": 1, "id": str(delivery.event_id),
        "event": "lead.created", "created_at": "2026-03-02T09:00:00Z", "data": data()}


def test_it_gives_every_subscriptions_copy_of_an_event_the_same_id(now):
    subscribe()
    subscribe()
    first, second = webhooks.emit("lead.won", data())
    assert first.event_id == second.event_id


def test_it_refuses_an_unknown_event(now):
    with pytest.raises(ValueError, match="unknown webhook event"):
        webhooks.emit("lead.exploded", data())


def test_it_queues_nothing_for_a_change_that_rolls_back(now):
    subscribe()
    with pytest.raises(RuntimeError), transaction.atomic():
        receive({"email": "ada@analytical.example"}, channel="api")
        raise RuntimeError("later step failed")
    consume_all()
    assert not WebhookDelivery.objects.exists()


def test_it_queues_each_event_once_however_often_the_consumer_runs(now):
    subscription = subscribe()
    receive({"email": "ada@analytical.example"}, channel="api")
    assert events_of(subscription) == ["lead.created"]
    assert events_of(subscription) == ["lead.created"]


def test_it_emits_lead_created_for_a_new_lead_only(now):
    subscription = subscribe()
    result = receive({"email": "ada@analytical.example", "first_name": "Ada"}, channel="api")
    receive({"email": "ada@analytical.example"}, channel="form")  # the same person again
    [delivery] = queued(subscription)
    assert delivery.event == "lead.created"
    assert delivery.payload["data"]["lead"]["id"] == result.lead.pk
    assert delivery.payload["data"]["lead"]["first_name"] == "Ada"
    assert delivery.payload["data"]["inquiry"]["channel"] == "api"


def test_it_emits_no_lead_created_for_each_lead_of_an_imported_list(now, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    subscription = subscribe()
    path = tmp_path / "list.csv"
    path.write_text("Email\nada@analytical.example\ngrace@navy.example\n", encoding="utf-8")
    assert run_import(path, ImportOptions()).created == 2
    assert events_of(subscription) == []


def test_it_emits_lead_mql_when_scoring_moves_a_lead(now):
    subscription = subscribe(events=["lead.mql"])
    ruleset = RuleSet.objects.create(version=RuleSet.objects.aggregate(v=Max("version"))["v"] + 1)
    Rule.objects.create(ruleset=ruleset, kind="engagement", name="Hot", field="inquiry:hot",
                        operator="exists", value=True, points=1)
    ruleset.activate()
    lead = make_lead()
    Inquiry.objects.create(lead=lead, channel="form", is_hot=True)
    score_lead(lead)
    [delivery] = queued(subscription)
    assert delivery.payload["data"]["lead"]["stage"] == "mql"
    assert delivery.payload["data"]["move"]["from"] == "inquiry"


def test_it_emits_the_handoff_and_closing_events_of_stage_moves(now, alice, sam, mia):
    subscription = subscribe()
    lead = make_lead(owner=alice)
    hand_off(lead, alice, sam)
    advance(lead, "accepted", by=sam)
    advance(lead, "opportunity", by=sam)
    advance(lead, "won", by=sam, amount=Decimal("12500.00"))
    assert events_of(subscription) == ["lead.qualified", "handoff.accepted", "lead.won"]
    qualified, accepted, won = queued(subscription)
    assert qualified.payload["data"]["handoff"]["to"]["username"] == "sam"
    assert accepted.payload["data"]["handoff"]["status"] == "accepted"
    assert won.payload["data"]["outcome"] == {"result": "won", "amount": "12500.00",
                                              "reason": ""}
    assert won.payload["data"]["lead"]["owner"]["username"] == "alice"


def test_it_emits_handoff_rejected_with_the_reason_and_lead_lost(now, alice, sam):
    subscription = subscribe(events=["handoff.rejected", "lead.lost"])
    rejected = make_lead(owner=alice)
    hand_off(rejected, alice, sam)
    advance(rejected, "rejected", by=sam, reason="bad timing")
    lost = make_lead(owner=alice)
    hand_off(lost, alice, sam)
    advance(lost, "accepted", by=sam)
    advance(lost, "lost", by=sam, reason="no budget")
    first, second = queued(subscription)
    assert (first.event, first.payload["data"]["handoff"]["reason"]) == (
        "handoff.rejected", "bad timing")
    assert (second.event, second.payload["data"]["outcome"]["reason"]) == (
        "lead.lost", "no budget")


def test_it_emits_sla_breached(now, alice, time_machine):
    subscription = subscribe(events=["sla.breached"])
    lead = make_lead(owner=alice)
    clock = start_clock(lead, Inquiry.objects.create(lead=lead, channel="form", is_hot=True),
                        now=now)
    time_machine.move_to(clock.due_at + timedelta(seconds=5), tick=False)
    assert check_breaches() == 1
    [delivery] = queued(subscription)
    assert delivery.payload["data"]["sla"]["due_at"] == "2026-03-02T09:05:00Z"
    assert delivery.payload["data"]["lead"]["id"] == lead.pk


def test_it_sends_the_leads_sla_clock_as_the_api_shows_it(now, alice, time_machine):
    subscription = subscribe(events=["lead.mql"])
    lead = make_lead(owner=alice)
    start_clock(lead, Inquiry.objects.create(lead=lead, channel="form", is_hot=True), now=now)
    time_machine.move_to(now + timedelta(minutes=1), tick=False)
    advance(lead, "mql", by=None, reason="scored")
    [delivery] = queued(subscription)
    shown = api_get(make_key(alice), f"/leads/{lead.pk}").json()["sla"]
    assert delivery.payload["data"]["lead"]["sla"] == shown
    assert (shown["state"], shown["due_at"]) == ("running", "2026-03-02T09:05:00Z")


def test_it_sends_no_sla_clock_for_a_lead_that_has_none(now, alice):
    subscription = subscribe(events=["lead.mql"])
    advance(make_lead(owner=alice), "mql", by=None, reason="scored")
    [delivery] = queued(subscription)
    assert delivery.payload["data"]["lead"]["sla"] is None


# --- sending ----------------------------------------------------------------------------

def test_it_sends_a_body_the_receiver_verifies_with_the_documented_recipe(receiver):
    subscription = subscribe(url=receiver.url)
    [delivery] = webhooks.emit("lead.created", data())
    assert tasks.send_webhooks.call() == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert verify(subscription.secret, headers["X-Leadgate-Timestamp"],
                  headers["X-Leadgate-Signature"], body)
    assert not verify("whsec_wrong", headers["X-Leadgate-Timestamp"],
                      headers["X-Leadgate-Signature"], body)
    assert json.loads(body) == delivery.payload
    assert headers["X-Leadgate-Timestamp"] == str(int(T0.timestamp()))
    assert (request["path"], headers["Content-Type"], headers["X-Leadgate-Event"]) == (
        "/hooks/leadgate?x=1", "application/json", "lead.created")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code,
            delivery.delivered_at) == ("delivered", 1, 200, T0)


def test_it_sends_every_few_seconds():
    assert JOBS[tasks.send_webhooks.module_path][0] == 5


def test_it_retries_with_backoff_until_the_receiver_answers(receiver, time_machine):
    receiver.answers = [500, 503]
    subscription = subscribe(url=receiver.url)
    [delivery] = webhooks.emit("lead.won", data())
    webhooks.send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.next_attempt_at == T0 + timedelta(seconds=30)
    time_machine.move_to(T0 + timedelta(seconds=29), tick=False)
    assert webhooks.send_due() == 0  # not due yet
    time_machine.move_to(T0 + timedelta(seconds=30), tick=False)
    webhooks.send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("failed", 503)
    assert delivery.next_attempt_at == T0 + timedelta(seconds=90)  # then 1 minute
    time_machine.move_to(T0 + timedelta(seconds=90), tick=False)
    webhooks.send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code,
            delivery.last_error) == ("delivered", 3, 200, "")
    assert len(receiver.requests) == 3
    assert len({json.loads(r["body"])["id"] for r in receiver.requests}) == 1
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


def test_it_waits_twice_as_long_after_each_failure_up_to_an_hour():
    waits = [webhooks.backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_it_gives_up_24_hours_after_the_event(receiver, time_machine, settings):
    settings.LEADGATE_WEBHOOK_MAX_FAILURES = 1000
    subscribe(url=receiver.url)
    [delivery] = webhooks.emit("lead.won", data())
    receiver.answers = [500] * 100
    while delivery.status != "given_up":
        time_machine.move_to(delivery.next_attempt_at, tick=False)
        assert webhooks.send_due() == 1
        delivery.refresh_from_db()
    assert delivery.next_attempt_at is None
    assert T0 + timedelta(hours=23) < webhooks.timezone.now() <= T0 + timedelta(hours=24)
    # 30 s, 1, 2 ... 32 min, then hourly: the 30th attempt is the last within 24 h.
    assert delivery.attempts == len(receiver.requests) == 30
    assert delivery.last_status_code == 500


def test_it_switches_a_subscription_off_after_n_failures_in_a_row(receiver, settings,
                                                                   time_machine, caplog):
    settings.LEADGATE_WEBHOOK_MAX_FAILURES = 3
    subscription = subscribe(url=receiver.url)
    receiver.answers = [500] * 10
    for _ in range(3):
        webhooks.emit("lead.won", data())
    assert webhooks.send_due() == 3
    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures, subscription.disabled_at) == (
        False, 3, T0)
    assert "3 failed delivery attempts in a row" in subscription.disabled_reason
    assert "HTTP 500" in subscription.disabled_reason
    assert "disabled" in caplog.text
    webhooks.emit("lead.won", data())  # off: nothing more queued, nothing more sent
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    assert webhooks.send_due() == 0
    assert subscription.deliveries.count() == 3


def test_it_alerts_and_emails_the_admins_when_it_switches_a_subscription_off(
        receiver, settings, smtp, django_capture_on_commit_callbacks):
    settings.LEADGATE_WEBHOOK_MAX_FAILURES = 2
    make_user("ada", role="admin")
    subscription = subscribe(url=receiver.url)
    subscription.created_by = make_user("mo", role="manager")
    subscription.save()
    receiver.answers = [500] * 10
    for _ in range(2):
        webhooks.emit("lead.won", data())
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.send_due()
    [alert] = Alert.objects.filter(kind=Alert.Kind.WEBHOOK_DISABLED)
    assert receiver.url in alert.message and "HTTP 500" in alert.message
    run_email_tasks()  # the outbox's send task, as an urgent worker runs it
    [(recipients, content)] = smtp.messages
    assert sorted(recipients) == ["ada@example.com", "mo@example.com"]
    assert "switched off" in content


def test_it_claims_a_due_delivery_for_one_sender_only(now):
    subscribe()
    webhooks.emit("lead.won", data())
    assert webhooks._claim(now) is not None
    assert webhooks._claim(now) is None


def test_it_records_an_unreachable_receiver(receiver):
    subscribe(url="http://127.0.0.1:9/")  # the discard port: nothing listens
    [delivery] = webhooks.emit("lead.won", data())
    webhooks.send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("failed", None)
    assert delivery.last_error.startswith("connection failed")


def test_it_pings_at_once_and_records_the_answer(receiver):
    subscription = subscribe(url=receiver.url, active=False)
    delivery = webhooks.ping(subscription)
    assert (delivery.event, delivery.status, delivery.last_status_code) == (
        "ping", "delivered", 200)
    assert json.loads(receiver.requests[0]["body"])["event"] == "ping"


# --- targets ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8000/hook", "http://10.0.0.7/hook",
    "http://192.168.1.1/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook",
    "http://0.0.0.0/hook", "http://[::ffff:10.0.0.1]/hook", "http://100.64.0.1/hook",
])
def test_it_refuses_a_private_target(url, settings):
    settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.TargetRefused, match="address"):
        webhooks.check_url(url)


def test_it_accepts_a_private_target_when_allowed(settings):
    settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE = True
    assert webhooks.check_url("http://127.0.0.1:8080/hook") == ("http", "127.0.0.1", 8080)


@pytest.mark.parametrize("url", ["ftp://crm.example/hook", "file:///etc/passwd",
                                 "javascript:alert(1)", "gopher://crm.example/"])
def test_it_refuses_a_scheme_other_than_http(url):
    with pytest.raises(webhooks.TargetRefused, match="only http and https"):
        webhooks.check_url(url)


def test_it_refuses_a_private_target_at_send_time(receiver, settings):
    subscription = subscribe(url=receiver.url)  # allowed when saved
    [delivery] = webhooks.emit("lead.won", data())
    settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE = False  # as if its DNS changed since
    webhooks.send_due()
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.last_error == "refused: 127.0.0.1 resolves to a loopback address (127.0.0.1)"
    assert receiver.requests == []
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1
