"""Slow clients against the real `leadgate serve`: a request whose body never
arrives is let go after LEADGATE_REQUEST_BODY_TIMEOUT, so such clients cannot
hold the web threads (and /healthz) for as long as they like."""

import contextlib
import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.test_serve import ROOT, free_port, healthz_ok, wait_for

THREADS = 4


@pytest.fixture
def web(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LEADGATE_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               LEADGATE_REQUEST_BODY_TIMEOUT="1")
    leadgate = [sys.executable, "-m", "leadgate"]
    subprocess.run([*leadgate, "migrate", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    key = subprocess.run(
        [*leadgate, "shell", "-c", "from leadgate.intake.models import WebForm; "
         "print(WebForm.objects.create(name='Contact').key)"],
        env=env, check=True, cwd=ROOT, timeout=60, capture_output=True, text=True,
    ).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [*leadgate, "serve", "--port", str(port), "--no-worker", "--threads", str(THREADS)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    assert wait_for(lambda: healthz_ok(port), 60)
    yield port, key
    process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def slow_post(port: int, key: str) -> socket.socket:
    """A web-form post that promises 1,000 bytes of body and sends 10."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"POST /f/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
                 + b"Content-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 1000\r\n\r\nemail=a%40")
    return sock


def answer(sock: socket.socket, seconds: float) -> bytes:
    sock.settimeout(seconds)
    try:
        return sock.recv(100)
    except TimeoutError:
        return b"(no answer)"


def test_it_answers_400_to_a_form_post_whose_body_never_arrives(web):
    port, key = web
    sock = slow_post(port, key)
    # gunicorn alone would wait 5 s for the rest (its own bound on draining)
    assert answer(sock, 3).startswith(b"HTTP/1.1 400")
    sock.close()


def test_it_answers_health_checks_again_once_slow_clients_are_let_go(web):
    port, key = web
    held = [slow_post(port, key) for _ in range(THREADS * 2)]
    # Each is let go after its 1 s (without the limit, never while they are held).
    assert wait_for(lambda: healthz_ok(port), 30)
    for sock in held:
        sock.close()
