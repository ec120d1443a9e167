"""Hooks of the gunicorn that `leadgate serve` runs (`-c python:leadgate.gunicorn_conf`).

gunicorn's threaded worker reads a request's body in the thread that serves
it, with no time limit: a client that sends its headers and then the body
slowly, or never, holds a thread for as long as it likes, and a few dozen
such clients hold them all (the public form at /f/<key> is open to anyone).
Here each read of the body waits at most LEADGATE_REQUEST_BODY_TIMEOUT
seconds; a client that sends nothing for that long is answered 400 and let
go. A client that trickles a byte at a time still holds its thread, and slow
headers are read the same way: in production a buffering reverse proxy in
front (docs/deploy.md) reads whole requests before they reach gunicorn.
"""

from __future__ import annotations

from typing import Any


def pre_request(worker: Any, req: Any) -> None:
    from django.conf import settings  # the worker has loaded the app by now

    timeout = settings.LEADGATE_REQUEST_BODY_TIMEOUT
    sock = getattr(req.unreader, "sock", None)
    if sock is not None and timeout > 0:
        sock.settimeout(timeout)
