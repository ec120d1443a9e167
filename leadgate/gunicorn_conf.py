"""The gunicorn that `leadgate serve` runs (`-c python:leadgate.gunicorn_conf`,
`--worker-class leadgate.gunicorn_conf.PacedThreadWorker`).

gunicorn's threaded worker reads a request's headers and body in the thread
that serves it, with no time limit: a client that sends slowly, or never,
holds a thread for as long as it likes, and a few dozen such clients hold
them all (the public form at /f/<key> is open to anyone). Here, as Apache's
mod_reqtimeout does, every read of a request shares one deadline:

- its headers must arrive within LEADGATE_REQUEST_BODY_TIMEOUT seconds of
  the first byte (gunicorn itself waits 5 s for that byte without a thread);
- its body within that many seconds again, each LEADGATE_REQUEST_MIN_RATE
  bytes received moving the deadline one second on: an upload at any usable
  speed goes through, a client that trickles a byte now and then does not.

A client past its deadline is answered 400 (a body) or let go (headers), and
its thread is free again. A buffering reverse proxy in front (docs/deploy.md)
still belongs in production: it reads whole requests before they reach
gunicorn, so slow clients cost no thread at all.
"""

from __future__ import annotations

import math
import socket
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class PacedSocket:
    """A connection's socket whose reads share a deadline (all else passes
    through to the socket itself)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self.deadline = math.inf
        self.min_rate = 0.0

    def start(self, seconds: float, min_rate: float = 0.0) -> None:
        self.deadline = time.monotonic() + seconds if seconds > 0 else math.inf
        self.min_rate = min_rate

    def recv(self, size: int, *flags: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        # Past the deadline, what has already arrived is still taken (the view
        # may have read the body late), but nothing more is waited for.
        self._sock.settimeout(max(remaining, 0.0) if remaining != math.inf else None)
        try:
            data = self._sock.recv(size, *flags)
        except BlockingIOError:
            raise TimeoutError("the client sent its request too slowly") from None
        if self.min_rate > 0:
            self.deadline += len(data) / self.min_rate
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def pacing() -> tuple[float, float]:
    """(LEADGATE_REQUEST_BODY_TIMEOUT, LEADGATE_REQUEST_MIN_RATE)."""
    from django.conf import settings  # the worker has loaded the app by now

    return settings.LEADGATE_REQUEST_BODY_TIMEOUT, settings.LEADGATE_REQUEST_MIN_RATE


class PacedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker, reading each request against a deadline."""

    def handle(self, conn: Any) -> Any:
        if not isinstance(conn.sock, PacedSocket):
            conn.sock = PacedSocket(conn.sock)
        # A new request on the connection (its first, or the next on keep-alive).
        conn.sock.start(pacing()[0])
        return super().handle(conn)


def pre_request(worker: Any, req: Any) -> None:
    """The headers are in: the body gets its own time, moved on as it arrives."""
    sock = getattr(req.unreader, "sock", None)
    if isinstance(sock, PacedSocket):
        sock.start(*pacing())
