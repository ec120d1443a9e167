"""Scaled out, on this machine, through faults: 2 `leadgate web` + 2 RQ
`leadgate worker` + a `leadgate scheduler`, each its own OS process, on
their own PostgreSQL database and their own Redis (bench/cluster.py). Mixed
traffic goes to both web processes for a bounded time (API intake with
idempotency keys, bulk, web forms, desk touches, handoffs to a sales rep)
while nurture steps come due, while one worker and one
web process are SIGKILLed and restarted, the database connections of a
worker and a web process are cut (pg_terminate_backend) and Redis crashes
and comes back empty. Clients retry as real ones do (bench/cluster.py
RetryingClient). Then every lead acknowledged must be stored and processed
exactly once: one routing, one SLA clock, one acknowledgement email at the
SMTP sink, one lead.created webhook at the receiver; every handoff
acknowledged stored once with one email to the rep; every nurture step made
due taken once with one email; no email twice; and the service ends ready.

PostgreSQL only (DATABASE_URL; CI's PostgreSQL pass), with redis-server.
The scenario runs once for the module; each test checks one invariant.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.redis_service import require_redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from cluster import REDIS_SERVER, Cluster, wait_for  # noqa: E402 - bench/ is put on the path above
from soak import Stats, log_in, run_clients  # noqa: E402

MIX = {"api": 60, "bulk": 5, "form": 20, "touch": 10, "handoff": 6}
HANDOFFS = 8  # leads the qualifier hands off (then the "handoff" turns are touches)
NURTURE = 8  # demo enrollments whose next email step is made due during the traffic
NURTURE_EVERY = 2.0  # seconds between their due times: through the faults
CLIENTS = 6
TRAFFIC_SECONDS = 24
# Leads per second in all: what two RQ workers take through the steps after
# intake on 2 busy cores, so that the end is bounded by the faults, not a backlog.
RATE = 8
# The faults, in seconds from the start of the traffic: all in its first
# part, so that work they lose is swept up (retry_unprocessed, every 60 s,
# for leads unprocessed 15 s after arriving) within the test's time.
FAULTS = (
    (2.0, "SIGKILL worker1", lambda c: c.kill("worker1")),
    (3.5, "restart worker1", lambda c: c.restart("worker1")),
    (5.0, "SIGKILL web1", lambda c: c.kill("web1")),
    (5.5, "restart web1", lambda c: c.restart("web1")),
    (9.0, "pg_terminate_backend worker2", lambda c: c.terminate_backends("worker2")),
    (10.0, "pg_terminate_backend web2", lambda c: c.terminate_backends("web2")),
    (12.0, "restart Redis", lambda c: c.restart_redis()),
    (14.0, "pg_terminate_backend scheduler", lambda c: c.terminate_backends("scheduler")),
)
DRAIN_SECONDS = 100


@dataclass
class Outcome:
    cluster: Cluster
    stats: Stats
    report: dict
    drained_in: float | None
    faults: list[tuple[float, str, object]] = field(default_factory=list)
    ready: bool = False
    running: dict[str, bool] = field(default_factory=dict)
    mail: Counter = field(default_factory=Counter)  # Message-ID -> copies received
    recipients: Counter = field(default_factory=Counter)
    webhook_copies: Counter = field(default_factory=Counter)  # event id -> copies received

    def describe(self) -> str:
        failures = sorted(self.stats.failures().items())
        figures = {k: v for k, v in self.report.items() if not isinstance(v, list | dict)}
        kinds = Counter(kind for kind, _ in self.stats.statuses.elements())
        nurture = Counter(str(row["runs"]) for row in self.report.get("nurture", []))
        return (f"faults {self.faults}\nnon-2xx {failures}\nretries "
                f"{dict(self.stats.replays)}\nreport {figures}\nrequests {dict(kinds)}\n"
                f"handoffs: {len(self.stats.handed_off)} acknowledged, "
                f"{len(self.report.get('handoffs', []))} stored; nurture steps: {dict(nurture)}\n"
                f"unsent emails {self.report.get('unsent')}")


def done(cluster: Cluster, report: dict, stats: Stats) -> bool:
    stored = report["stored"]
    every_once = [[1, stored]]
    acks = [message_id for _, message_id in report["ack message ids"]]
    events = {event for _, event in report["event ids"]}
    handed = {lead for _, lead, *_ in report["handoffs"]}
    acks += [row[-1] for row in report["handoffs"]]
    acks += [row["email"][2] for row in report["nurture"] if row["email"]]
    with cluster.mail.lock:
        mailed = all(message_id in cluster.mail.message_ids for message_id in acks)
    with cluster.receiver.lock:
        hooked = events <= set(cluster.receiver.copies)
    return (report["processed"] == report["acknowledged"]
            and all(report[step] == every_once for step in
                    ("routings", "clocks", "ack emails", "ack touches", "webhook events"))
            and report["unsent emails"] == 0 and mailed and hooked
            and set(stats.handed_off) <= handed
            and all(row["email"] for row in report["nurture"]))


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("scale-out runs on PostgreSQL (set DATABASE_URL, as CI's PostgreSQL pass)")
    require_redis()
    if not os.path.exists(REDIS_SERVER):
        pytest.skip(f"no {REDIS_SERVER} to run a Redis of the test's own")
    cluster = Cluster(tmp_path_factory.mktemp("scale-out"), admin_url=url)
    phases = {"begun": time.monotonic()}
    try:
        cluster.create()
        cluster.set_up(demo_leads=200, handoffs=HANDOFFS, nurture=NURTURE)
        phases["set up"] = time.monotonic()
        cluster.start(webs=2, workers=2)
        phases["started"] = time.monotonic()
        session = log_in(cluster.ports[0], "qualifier", "leadgate-demo")
        result: dict[str, Stats] = {}

        def traffic() -> None:
            result["stats"] = run_clients(
                lambda n: cluster.client("scale", n, session, seed=n), CLIENTS,
                seconds=TRAFFIC_SECONDS, rate=RATE, mix=MIX)

        thread = threading.Thread(target=traffic, daemon=True)
        cluster.make_due([enrollment for enrollment, _, _ in cluster.nurture_steps],
                         NURTURE_EVERY)
        started = time.monotonic()
        thread.start()
        faults = []
        for at, what, action in FAULTS:
            time.sleep(max(0.0, started + at - time.monotonic()))
            faults.append((round(time.monotonic() - started, 1), what, action(cluster)))
        thread.join()
        stats = result["stats"]
        phases["traffic"] = time.monotonic()

        drain_started = time.monotonic()
        drained_in = None
        while True:
            report = cluster.report(stats.acknowledged,
                                    handoff_leads=[h["lead"] for h in cluster.handoffs],
                                    nurture=cluster.nurture_steps)
            if done(cluster, report, stats):
                drained_in = time.monotonic() - drain_started
                break
            if time.monotonic() - drain_started > DRAIN_SECONDS:
                break
            time.sleep(2)
        time.sleep(1)  # a copy sent late would arrive now
        wait_for(cluster.ready, 30)
        outcome = Outcome(cluster, stats, report, drained_in, faults, ready=cluster.ready(),
                          running=cluster.running())
        with cluster.mail.lock:
            outcome.mail = Counter(cluster.mail.message_ids)
            outcome.recipients = Counter(cluster.mail.recipients)
        with cluster.receiver.lock:
            outcome.webhook_copies = Counter(cluster.receiver.copies)
        phases["drained"] = time.monotonic()
        steps = list(phases.items())
        took = ", ".join(f"{name} {b - a:.0f} s"
                         for (_, a), (name, b) in zip(steps, steps[1:], strict=False))
        print(f"\nscale-out: {took}\n{outcome.describe()}")
        yield outcome
    finally:
        cluster.destroy()


def test_it_acknowledges_traffic_over_both_web_processes_through_the_faults(outcome):
    stats = outcome.stats
    assert [what for _, what, _ in outcome.faults] == [what for _, what, _ in FAULTS]
    assert outcome.faults[-4][2] >= 1, "no backend of worker2 to cut"
    assert len(stats.acknowledged) >= 100, outcome.describe()
    kinds = {kind.split(" (")[0] for kind, status in stats.statuses if 200 <= status < 300}
    assert {"api", "bulk", "form", "touch", "handoff touch"} <= kinds, outcome.describe()
    assert len(stats.handed_off) >= HANDOFFS // 2, outcome.describe()


def test_it_answers_no_failure_but_unreachable_or_unavailable(outcome):
    """A client sees a refused or cut connection (a process killed) or a 503
    with Retry-After (its database connection cut), and retries; never a 500
    nor a refusal of a valid request. (A bulk post answers per item: an item
    whose row could not be stored while the connection was cut says so, and
    soak counts it as ("bulk item", 500); its client sends it again.)"""
    unexpected = {(kind, status): n for (kind, status), n in outcome.stats.failures().items()
                  if status not in (0, 503) and not (status == 409 and "api" in kind)
                  and kind != "bulk item"}
    assert unexpected == {}, outcome.describe()


def test_it_stores_every_acknowledged_lead_once(outcome):
    report = outcome.report
    assert report["acknowledged"] == len(outcome.stats.acknowledged)
    assert (report["lost"], report["duplicated"], report["wrong id"]) == (0, 0, 0), \
        outcome.describe()
    assert report["inquiries not once"] == 0, outcome.describe()
    assert outcome.stats.replays["different"] == 0


def test_it_processes_every_acknowledged_lead_with_no_work_lost(outcome):
    assert outcome.report["processed"] == outcome.report["acknowledged"], outcome.describe()
    assert outcome.drained_in is not None, outcome.describe()


def test_it_routes_each_lead_once_and_starts_one_sla_clock(outcome):
    stored = outcome.report["stored"]
    assert outcome.report["routings"] == [[1, stored]], outcome.describe()
    assert outcome.report["clocks"] == [[1, stored]], outcome.describe()


def test_it_sends_each_lead_one_acknowledgement_email_to_the_mail_server(outcome):
    report = outcome.report
    assert report["ack emails"] == [[1, report["stored"]]], outcome.describe()
    assert report["ack touches"] == [[1, report["stored"]]], outcome.describe()
    acks = dict(report["ack message ids"])
    assert len(acks) == report["stored"]
    assert all(outcome.mail[message_id] == 1 for message_id in acks.values())
    assert all(outcome.recipients[email.lower()] == 1 for email in outcome.stats.acknowledged)


def test_it_stores_each_acknowledged_handoff_once_and_emails_the_rep_once(outcome):
    """A handoff the client saw done (the redirect to the lead) is one
    Handoff row, to the rep chosen; every handoff of these leads (also one
    whose answer was lost) has one email, sent to the rep, at the sink once."""
    rows = outcome.report["handoffs"]
    per_lead = Counter(lead for _, lead, *_ in rows)
    assert per_lead and max(per_lead.values()) == 1, rows
    assert {lead: per_lead[lead] for lead in outcome.stats.handed_off} == dict.fromkeys(
        outcome.stats.handed_off, 1), outcome.describe()
    rep, rep_email = outcome.cluster.rep
    for pk, lead, to_user, to_email, kind, to, status, message_id in rows:
        assert (to_user, to_email) == (rep, rep_email), (pk, lead)
        assert (kind, to, status) == ("handoff", [rep_email], "sent"), (pk, lead, status)
        assert outcome.mail[message_id] == 1, (pk, message_id)
    assert outcome.recipients[rep_email.lower()] == len(rows)


def test_it_sends_each_nurture_step_made_due_once(outcome):
    """Each nurture step made due during the traffic (through worker kills,
    cut connections and Redis lost) ran once, queued one email, and that
    email reached the mail server once."""
    steps = outcome.report["nurture"]
    assert len(steps) == len(outcome.cluster.nurture_steps) >= NURTURE // 2, steps
    for step in steps:
        assert step["runs"] == ["done"], step
        assert step["email"] is not None and step["email"][:2] == ["nurture", "sent"], step
        assert outcome.mail[step["email"][2]] == 1, step


def test_it_sends_no_email_twice(outcome):
    twice = {message_id: n for message_id, n in outcome.mail.items() if n > 1}
    assert twice == {}
    assert "-" not in outcome.mail, "an email without a Message-ID"
    assert outcome.report["unsent emails"] == 0
    assert set(outcome.report["sent message ids"]) <= set(outcome.mail)


def test_it_delivers_each_lead_created_event_once_to_the_webhook(outcome):
    events = dict(outcome.report["event ids"])
    assert outcome.report["webhook events"] == [[1, outcome.report["stored"]]]
    assert len(events) == outcome.report["stored"]
    assert all(outcome.webhook_copies[event] == 1 for event in events.values()), \
        {event: outcome.webhook_copies[event] for event in events.values()
         if outcome.webhook_copies[event] != 1}


def test_it_ends_ready_with_every_process_running(outcome):
    assert outcome.running == dict.fromkeys(outcome.cluster.roles, True)
    assert outcome.ready, {port: outcome.cluster.readyz(port) for port in outcome.cluster.ports}
    worker1 = outcome.cluster.roles["worker1"]
    assert worker1.starts == 2 and outcome.cluster.roles["web1"].starts == 2
