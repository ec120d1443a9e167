"""Slow clients against the real `leadgate serve`: a request whose headers or
body do not arrive in time (LEADGATE_REQUEST_BODY_TIMEOUT, moved on by each
LEADGATE_REQUEST_MIN_RATE bytes received) is let go, so such clients cannot
hold the web threads (and /healthz) for as long as they like; an upload at a
usable speed goes through."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest

from tests.test_serve import ROOT, free_port, healthz_ok, wait_for

THREADS = 4


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """One server for the module (starting one takes seconds); each test lets
    go of what it held."""
    tmp_path = tmp_path_factory.mktemp("slow")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LEADGATE_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               LEADGATE_REQUEST_BODY_TIMEOUT="1", LEADGATE_REQUEST_MIN_RATE="500",
               LEADGATE_FORM_RATE_LIMIT="1000")  # every test posts from one address
    leadgate = [sys.executable, "-m", "leadgate"]
    subprocess.run([*leadgate, "migrate", "-v0"], env=env, check=True, cwd=ROOT, timeout=120)
    key = subprocess.run(
        [*leadgate, "shell", "-c", "from leadgate.intake.models import WebForm; "
         "print(WebForm.objects.create(name='Contact').key)"],
        env=env, check=True, cwd=ROOT, timeout=60, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # after shell's own notes
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


def trickle(sock: socket.socket, seconds: float = 15) -> bytes:
    """Send a byte every 0.2 s (each well within the 1 s a read may wait)
    until the server answers or hangs up; what it answered."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"x")
        except OSError:
            return b"(hung up)"
        try:
            return sock.recv(100) or b"(hung up)"
        except TimeoutError:
            continue
    return b"(still held)"


def test_it_answers_400_to_a_body_that_trickles_in(web):
    port, key = web
    sock = slow_post(port, key)
    assert trickle(sock).startswith(b"HTTP/1.1 400")
    sock.close()


def test_it_lets_go_of_headers_that_trickle_in(web):
    port, _ = web
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    said = trickle(sock)
    assert said == b"(hung up)" or said.startswith(b"HTTP/1.1 400")
    sock.close()


def test_it_answers_health_checks_while_clients_trickle(web):
    port, key = web
    held = [slow_post(port, key) for _ in range(THREADS * 2)]
    for sock in held:
        sock.setblocking(False)
    deadline = time.monotonic() + 30
    answered = False
    while not answered and time.monotonic() < deadline:
        for sock in held:
            with contextlib.suppress(OSError):
                sock.send(b"x")
        answered = healthz_ok(port)
    assert answered
    for sock in held:
        sock.close()


def test_it_takes_a_large_form_post_sent_at_a_usable_speed(web):
    port, key = web
    answers = {f"question {n}": "a" * 4000 for n in range(14)}  # kept beside the lead
    body = urllib.parse.urlencode({"email": "big@example.com", **answers})
    assert len(body) > 50_000
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"POST /f/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
                 + b"Content-Type: application/x-www-form-urlencoded\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode())
    # 10 parts, each after 0.15 s without an answer: 1.5 s in all, over the 1 s
    # the body would have without the bytes it sends.
    part = len(body) // 10 + 1
    for start in range(0, len(body), part):
        assert answer(sock, 0.15) == b"(no answer)"
        sock.sendall(body[start:start + part].encode())
    status = answer(sock, 10)
    assert status.startswith(b"HTTP/1.1 201")
    sock.close()
