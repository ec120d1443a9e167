"""The real service under load and faults, in seconds: `leadgate serve` (web
app, task workers, scheduler) after `leadgate demo`, on the suite's database
(a fresh SQLite file, or a fresh PostgreSQL database when DATABASE_URL is set),
with the traffic of bench/soak.py. The long version is bench/bench_serve.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from cluster import ROUTED, Receiver  # noqa: E402 - bench/ is put on the path above
from cluster_scripts import CHECK  # noqa: E402
from soak import Client, Stats, run_clients  # noqa: E402

from tests.test_serve import free_port, healthz_ok, wait_for  # noqa: E402

# What the clients send: no touches (no desk session here).
MIX = {"api": 70, "api_async": 10, "bulk": 5, "form": 15}

SETUP = """
from leadgate.api.models import WebhookSubscription
from leadgate.intake.models import WebForm
form = WebForm.objects.create(name="Soak form", is_hot=True)
WebhookSubscription.objects.create(url={url!r}, events=["lead.created"])
print("FORM", form.key)
"""

@pytest.fixture
def receiver():
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def fresh_postgres(url: str) -> tuple[str, object]:
    """A new database on the suite's PostgreSQL server: its URL, and how to drop it."""
    import psycopg

    name = f"leadgate_soak_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return urllib.parse.urlparse(url)._replace(path=f"/{name}").geturl(), drop


class Service:
    """`leadgate serve` on its own database, set up as a user does it."""

    def __init__(self, workdir: Path, database_url: str | None) -> None:
        self.workdir, self.port, self.database_url = workdir, free_port(), database_url
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(LEADGATE_DATA_DIR=str(workdir),
                        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "bench")]),
                        LEADGATE_FORM_RATE_LIMIT="1000000", LEADGATE_AUTO_ACK="1",
                        LEADGATE_WEBHOOK_ALLOW_PRIVATE="1",
                        # A killed worker is noticed after 6 quiet heartbeats, and
                        # its leads retried this long after they arrived.
                        LEADGATE_WORKER_HEARTBEAT_SECONDS="1",
                        LEADGATE_INTAKE_RETRY_AFTER_SECONDS="15")
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.process: subprocess.Popen | None = None
        self.key = self.form_key = ""

    def leadgate(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "leadgate", *args], env=self.env,
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def set_up(self, webhook_url: str) -> None:
        self.leadgate("migrate", "-v0")
        self.leadgate("demo", "--leads", "200", "--quiet")
        self.key = self.leadgate("apikey", "create", "--name", "soak", "--scopes",
                                 "intake,read").strip().splitlines()[-1]
        out = self.leadgate("shell", "-c", SETUP.format(url=webhook_url))
        self.form_key = out.split("FORM ", 1)[1].split()[0]

    def start(self) -> None:
        self.log = open(self.workdir / "serve.log", "w")  # noqa: SIM115 - the service's lifetime
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leadgate", "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        assert wait_for(lambda: healthz_ok(self.port), 90), self.output()

    def output(self) -> str:
        return (self.workdir / "serve.log").read_text()

    def clients(self, count: int, leads: int, tag: str) -> Stats:
        return run_clients(
            lambda n: Client(self.port, self.key, self.form_key, tag, n, seed=n),
            count, leads=leads, mix=MIX)

    def report(self, stats: Stats) -> dict:
        path = self.workdir / f"acknowledged-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(stats.acknowledged))
        out = self.leadgate("shell", "-c", CHECK.format(path=str(path), routed=ROUTED)
                           + '\nprint("REPORT", json.dumps(report))\n')
        return json.loads(out.split("REPORT ", 1)[1])

    def processed(self, stats: Stats, timeout: float = 120) -> dict:
        """The report once every acknowledged lead is processed and its webhook
        queued (the event stream's consumer runs every 2 s), or the last one."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.report(stats)
            done = (report["processed"] == report["acknowledged"]
                    and report["webhook events"] == [[1, report["stored"]]])
            if done or time.monotonic() > deadline:
                return report
            time.sleep(1)

    def worker_pids(self) -> list[int]:
        """The general task workers' processes (not the urgent one), from their heartbeats."""
        query = "SELECT pid FROM leads_workerheartbeat WHERE queues LIKE '%default%'"
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as connection:
                return [row[0] for row in connection.execute(query)]
        with contextlib.closing(sqlite3.connect(self.workdir / "leadgate.sqlite3")) as db:
            return [row[0] for row in db.execute(query)]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=40)
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.log.close()


@pytest.fixture
def service(tmp_path, receiver):
    url = os.environ.get("DATABASE_URL")
    database_url, drop = fresh_postgres(url) if url else (None, None)
    service = Service(tmp_path, database_url)
    try:
        service.set_up(receiver.url)
        service.start()
        yield service
    finally:
        service.stop()
        if drop:
            drop()


def assert_each_once(report: dict, output: str) -> None:
    assert report["lost"] == 0, report
    assert report["duplicated"] == 0, report
    assert report["wrong id"] == 0, report
    assert report["inquiries not once"] == 0, report
    assert report["processed"] == report["acknowledged"], (report, output[-3000:])
    for step in ("routings", "clocks", "ack emails", "ack touches", "webhook events"):
        assert report[step] == [[1, report["stored"]]], (step, report)


def test_it_stores_and_processes_once_every_lead_of_ten_concurrent_clients(service, receiver):
    stats = service.clients(10, 200, "ten")

    assert stats.failures() == Counter(), stats.failures()
    assert len(stats.acknowledged) >= 200
    assert stats.replays["different"] == 0
    report = service.processed(stats)
    assert_each_once(report, service.output())
    assert service.process.poll() is None, "leadgate serve stopped"
    assert "Traceback" not in service.output()


def test_it_processes_every_lead_once_when_the_workers_are_killed_mid_task(service, receiver):
    assert wait_for(lambda: len(service.worker_pids()) >= 1, 60), "no task worker is up"
    first = service.clients(4, 60, "before")
    pids = service.worker_pids()
    for pid in pids:  # while they work through the leads just sent
        os.kill(pid, signal.SIGKILL)
    second = service.clients(4, 60, "after")
    stats = Stats()
    stats.merge(first)
    stats.merge(second)

    assert stats.failures() == Counter(), stats.failures()
    assert "stopped unexpectedly (exit code -9)" in service.output()
    assert wait_for(lambda: "restarted" in service.output(), 60), service.output()
    report = service.processed(stats, timeout=180)
    assert_each_once(report, service.output())
    assert wait_for(lambda: len(receiver.events) >= report["stored"], 60)
    assert all(len(ids) == 1 for ids in receiver.events.values()), "a lead.created event twice"
    assert service.process.poll() is None, "leadgate serve stopped"
