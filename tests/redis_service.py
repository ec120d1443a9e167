"""The local Redis that the RQ tests use (127.0.0.1:6379, as CI's PostgreSQL
pass starts it). Without one they are skipped, unless LEADGATE_REQUIRE_REDIS=1
(CI), where that fails: `make test` needs no Redis, CI proves the RQ path."""

import os
import socket

import pytest

HOST, PORT = "127.0.0.1", 6379


def redis_answers() -> bool:
    try:
        socket.create_connection((HOST, PORT), timeout=1).close()
    except OSError:
        return False
    return True


def require_redis() -> None:
    if redis_answers():
        return
    message = f"no Redis on {HOST}:{PORT} (CI's PostgreSQL pass starts one)"
    if os.environ.get("LEADGATE_REQUIRE_REDIS") == "1":
        pytest.fail(f"{message}; LEADGATE_REQUIRE_REDIS=1 makes this a failure.")
    pytest.skip(message)
