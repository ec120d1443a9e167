"""What every benchmark script does around its measurement: a fresh database in
a temporary folder, and cleaning up after."""

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def fresh_environment(prefix: str, database_url: str | None = None) -> Path:
    """Point Leadgate's settings at a new temporary folder (and SQLite file in
    it, unless `database_url` names an EMPTY database). Call before django.setup()."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["LEADGATE_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["LEADGATE_SQLITE_PATH"] = str(workdir / "leadgate.sqlite3")
    return workdir


def finish(workdir: Path, keep: bool) -> None:
    if keep:
        print(f"kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of the values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    """Until `leadgate serve` on this port answers /healthz (exits if it stops)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped while starting; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")
