"""One role per process, as a set-up on several hosts runs them:
`leadgate web` alone, `leadgate worker` on the database queue or on Redis,
two `leadgate scheduler`s of which one is active, and /readyz telling when
the service can work."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.markers import own_sqlite_service
from tests.redis_service import require_redis
from tests.test_serve import ROOT, free_port, healthz_ok, queue_marker, wait_for

LEADGATE = [sys.executable, "-m", "leadgate"]
pytestmark = own_sqlite_service


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "LEADGATE_TASK_BACKEND", "REDIS_URL")}
    env.update(LEADGATE_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    subprocess.run([*LEADGATE, "migrate", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    return env


@pytest.fixture
def start(env):
    """Start a `leadgate` command; every one started is stopped after the test."""
    started = []

    def run(*args, extra_env=None):
        process = subprocess.Popen(
            [*LEADGATE, *args], env={**env, **(extra_env or {})}, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None, {}


def leadgate_shell(env, code):
    out = subprocess.run([*LEADGATE, "shell", "-c", code], env=env, cwd=ROOT, check=True,
                         timeout=60, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]  # after the shell's own "objects imported" line


def test_it_serves_the_web_app_alone_ready_once_a_worker_runs(env, start):
    port = free_port()
    web = start("web", "--port", str(port), "--workers", "1", "--threads", "4")
    assert wait_for(lambda: healthz_ok(port), timeout=60), "leadgate web did not answer"
    status, body = readyz(port)
    assert status == 503 and "no task worker" in body["workers"]
    start("worker", "--queues", "urgent,default")
    assert wait_for(lambda: readyz(port)[0] == 200, timeout=30), readyz(port)
    web.send_signal(signal.SIGTERM)  # gunicorn's own: it finishes and stops
    assert web.wait(timeout=20) == 0


def test_it_keeps_one_of_two_schedulers_active_and_hands_over_when_it_stops(env, start):
    first = start("scheduler", "--interval", "0.5")
    second = start("scheduler", "--interval", "0.5")
    holder = "from leadgate.leads.periodic import lease_holder as h; l = h(); print(l and l.holder)"

    def active_pid():
        text = leadgate_shell(env, holder)
        return int(text.split(".")[-2]) if text != "None" else None

    assert wait_for(lambda: active_pid() in (first.pid, second.pid), timeout=30)
    active = first if active_pid() == first.pid else second
    standby = second if active is first else first
    active.send_signal(signal.SIGTERM)  # gives the lease up as it stops
    assert active.wait(timeout=20) == 0
    assert wait_for(lambda: active_pid() == standby.pid, timeout=15)


def test_it_runs_tasks_from_redis_in_a_worker_of_its_own(env, start, tmp_path):
    require_redis()
    on_redis = {"LEADGATE_TASK_BACKEND": "rq", "REDIS_URL": "redis://127.0.0.1:6379/13"}
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
    start("worker", "--queues", "urgent,default", extra_env=on_redis)
    marker = tmp_path / "marker.txt"
    queue_marker({**env, **on_redis}, marker, "from redis")
    assert wait_for(marker.exists, timeout=30), "the RQ worker did not run the queued task"
    assert marker.read_text() == "from redis"
