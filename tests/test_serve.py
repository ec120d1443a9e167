"""`leadgate serve` runs the web app and the worker together, and stops cleanly."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.markers import own_sqlite_service

ROOT = Path(__file__).resolve().parent.parent
pytestmark = own_sqlite_service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll a condition of another process; returns as soon as it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def served(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LEADGATE_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    leadgate = [sys.executable, "-m", "leadgate"]
    subprocess.run([*leadgate, "migrate", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [*leadgate, "serve", "--port", str(port), "--workers", "1"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group: nothing outlives the test
    )
    yield process, port, env
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # serve stops its web server and workers
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=30)
    # Whatever is left of the group (a child of a serve that had to be killed).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def queue_marker(env: dict, marker, text: str, queue: str = "default") -> None:
    """Queue, from another process, the task that writes `text` into `marker`."""
    enqueue = ("from tests.serve_tasks import write_marker; "
               f"write_marker.using(queue_name={queue!r}).enqueue({str(marker)!r}, {text!r})")
    subprocess.run([sys.executable, "-m", "leadgate", "shell", "-c", enqueue],
                   env=env, cwd=ROOT, check=True, timeout=60)


def test_it_serves_the_app_and_runs_background_tasks(served, tmp_path):
    process, port, env = served
    assert wait_for(lambda: healthz_ok(port)), "web app did not answer /healthz"

    marker = tmp_path / "marker.txt"
    queue_marker(env, marker, "done")
    assert wait_for(marker.exists), "the worker did not run the queued task"
    assert marker.read_text() == "done"


def test_it_stops_both_processes_on_sigterm(served):
    process, port, _env = served
    assert wait_for(lambda: healthz_ok(port))
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert not healthz_ok(port)


def test_it_runs_web_imports_in_a_worker_of_their_own(served, tmp_path):
    _process, port, env = served
    assert wait_for(lambda: healthz_ok(port)), "web app did not answer /healthz"
    marker = tmp_path / "imported.txt"
    queue_marker(env, marker, "imported", queue="imports")
    assert wait_for(marker.exists), "no worker ran the task queued on the imports queue"
    assert marker.read_text() == "imported"


def test_it_keeps_the_imports_queue_to_one_worker():
    from leadgate.orchestration.management.commands.serve import Command

    children = Command().children({"host": "127.0.0.1", "port": 8000, "workers": 1,
                                   "threads": 4, "task_workers": 3, "no_worker": False})
    queues = {child.name: child.argv[child.argv.index("--queue-name") + 1].split(",")
              for child in children if "--queue-name" in child.argv}
    assert queues == {"urgent worker": ["urgent"], "worker 1": ["urgent", "default"],
                      "worker 2": ["urgent", "default"], "worker 3": ["urgent", "default"],
                      "imports worker": ["imports"]}
