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
from typing import Any


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


class LockWatch:
    """How long write transactions hold SQLite's write lock, and how long another
    writer waits for it meanwhile (Leadgate's SQLite backend only; on another
    database `report()` says so).

    `held`: each write transaction of this process's other threads, from taking
    the writer to letting it go (leadgate.sqlite's take_writer/drop_writer).
    `waits`: a probe thread that writes one row every `interval` seconds through
    the same queue as everyone else, and records how long each of its writes took:
    what a web request or the scheduler would have waited, whichever process
    (forked rescoring children too) held the lock."""

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval = interval
        self.held: list[float] = []
        self.waits: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._patched: tuple | None = None

    def __enter__(self) -> "LockWatch":
        import threading

        from django.db import connection

        if connection.vendor != "sqlite" or not hasattr(connection, "take_writer"):
            return self
        from leadgate.sqlite import base

        take, drop = base.DatabaseWrapper.take_writer, base.DatabaseWrapper.drop_writer
        watch = self

        def take_writer(wrapper) -> None:
            had = wrapper._writer is not None
            take(wrapper)
            if not had and wrapper._writer is not None:
                wrapper._watch_since = time.perf_counter()

        def drop_writer(wrapper) -> None:
            had = wrapper._writer is not None
            drop(wrapper)
            if had and threading.current_thread() is not watch._thread:
                watch.held.append(time.perf_counter() - wrapper._watch_since)

        wrapper_class = base.DatabaseWrapper
        wrapper_class.take_writer, wrapper_class.drop_writer = take_writer, drop_writer
        self._patched = (base, take, drop)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_lock_probe (n integer)")
            cursor.execute("INSERT INTO bench_lock_probe (n) VALUES (0)")
        self._thread = threading.Thread(target=self._probe, name="lock-probe", daemon=True)
        self._thread.start()
        return self

    def _probe(self) -> None:
        from django.db import connection, transaction

        try:
            while not self._stop.wait(self.interval):
                started = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("UPDATE bench_lock_probe SET n = n + 1")
                self.waits.append(time.perf_counter() - started)
        finally:
            connection.close()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._patched:
            base, take, drop = self._patched
            base.DatabaseWrapper.take_writer, base.DatabaseWrapper.drop_writer = take, drop
            self._patched = None

    def report(self, what: str) -> str:
        if not self.waits and not self.held:
            return f"write lock during {what}: not measured (not Leadgate's SQLite backend)"
        long = sum(1 for seconds in self.held if seconds > 0.5)
        held = (f"{len(self.held):,} write transactions in this process, {long:,} over 0.5 s, "
                f"longest {max(self.held):.2f} s" if self.held else
                "no write transactions in this process")
        waited = (f"another writer waited at most {max(self.waits):.2f} s "
                  f"(p99 {percentile(self.waits, 0.99):.2f} s, {len(self.waits):,} probes)"
                  if self.waits else "no probe")
        return f"write lock during {what}: {held}; {waited}"


# Rows a fill writes per executemany (bench_rescore, bench_reports).
FILL_BATCH = 10_000


class Writer:
    """Raw executemany inserts into a model's table: the columns given per row,
    every other concrete column its field default (so a new field with a
    default needs no change here), flushed every FILL_BATCH rows."""

    def __init__(self, model: Any, names: list[str]) -> None:
        from django.db import connection

        meta = model._meta
        given = [meta.get_field(name) for name in names]
        rest = [f for f in meta.concrete_fields if f not in given and not f.primary_key]
        self.constants = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        columns = [f.column for f in given + rest]
        qn = connection.ops.quote_name
        self.table = meta.db_table
        # The SQL is built from the model's _meta names, not from input.
        self.sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(columns))})")
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, *values: Any) -> None:
        self.rows.append(values + self.constants)
        if len(self.rows) >= FILL_BATCH:
            self.flush()

    def flush(self) -> None:
        from django.db import connection

        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []
