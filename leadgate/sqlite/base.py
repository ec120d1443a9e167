"""SQLite for a service whose threads and processes all write.

SQLite takes one writer at a time. A writer that finds the database busy
sleeps in SQLite's busy handler, in steps of up to 100 ms, and tries again;
with the web app's threads, the workers and the scheduler all writing, a
waiter keeps missing its turn: waits of several seconds for transactions of a
few milliseconds, and, under load, "database is locked" once the busy timeout
runs out.

This backend (`ENGINE: "leadgate.sqlite"`, the default in settings) keeps
Django's SQLite backend and makes writers queue instead of poll. Before
SQLite's write lock (`BEGIN IMMEDIATE`, which every transaction starts with,
see settings, or a write statement in autocommit) a writer takes

1. its process's lock for the database (threads of one process queue on it), then
2. an exclusive `flock` on a file beside the database (processes queue in the
   kernel, which wakes the next the moment the last one lets go; the kernel
   also lets go of a process that dies),

and releases both when the transaction ends. SQLite's busy timeout stays as a
last resort for other programs that write the file. Both waits give up after
that same timeout with "database is locked".

Transactions that hold the lock longer than LONG_HOLD are logged: every other
writer waits for them, which is why the jobs that write much commit in batches.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

logger = logging.getLogger("leadgate.db")

LONG_HOLD = 5.0  # seconds
GIVE_WAY_AT_MOST = 2.0  # seconds
# Set by `leadgate worker --background` and by as_background(): this process's
# writes give way (give_way).
background = False

_WRITES_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_NOT_WRITES = frozenset({
    "SELECT", "PRAGMA", "EXPLAIN", "VALUES", "BEGIN", "COMMIT", "END", "ROLLBACK",
    "SAVEPOINT", "RELEASE",
})

_process_locks: dict[str, FairLock] = {}
_guard = threading.Lock()
_held_files: set[int] = set()  # flock descriptors this process holds


def _after_fork_in_child() -> None:
    """A forked child (parallel rescoring) starts with no writer: the parent's
    thread that held a lock does not exist here, and the child's copy of a held
    descriptor would keep the parent's flock alive after the parent lets go."""
    global _guard
    _guard = threading.Lock()
    _process_locks.clear()
    for fd in list(_held_files):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_files.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def as_background() -> Iterator[None]:
    """This process's writes give way (see give_way) for the block: a command
    that writes for long (an import, the demo seeder) beside the service."""
    global background
    before, background = background, True
    try:
        yield
    finally:
        background = before


def is_write(sql: str) -> bool:
    """Whether a statement may write (and so takes SQLite's write lock)."""
    words = sql.lstrip(" \t\r\n(").split(None, 1)
    if not words:
        return False
    first = words[0].upper()
    if first == "WITH":
        return bool(_WRITES_IN_WITH.search(sql))
    return first not in _NOT_WRITES


class FairLock:
    """A lock taken in the order it was asked for. threading.Lock lets whoever
    runs next take it: under load a few threads kept missing their turn for
    seconds while others went again and again."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._queue: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            while self._held or self._queue[0] is not ticket:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._queue.remove(ticket)
                    self._changed.notify_all()
                    return False
                self._changed.wait(remaining)
            self._queue.popleft()
            self._held = True
            return True

    def release(self) -> None:
        with self._changed:
            self._held = False
            self._changed.notify_all()


def process_lock(name: str) -> FairLock:
    with _guard:
        return _process_locks.setdefault(name, FairLock())


def lock_file(path: str, timeout: float, *, waiting: str | None = None) -> int | None:
    """An exclusive flock on `path`: its descriptor (close it to let go), or
    None when it was not free within `timeout` seconds. While it waits, a
    shared flock on `waiting` (when given) tells background writers that
    someone interactive is in the queue (see give_way)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        flag = os.open(waiting, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) if waiting else None
        try:
            if flag is not None:
                fcntl.flock(flag, fcntl.LOCK_SH)
            if not _wait_for_flock(fd, timeout):
                return None  # the waiting thread closes fd when it gets the lock
        finally:
            if flag is not None:
                os.close(flag)
    except BaseException:
        os.close(fd)
        raise
    _held_files.add(fd)
    return fd


def give_way(waiting: str) -> None:
    """A background writer (a task worker) lets interactive writers (the web
    app's requests, the urgent worker, the scheduler) that are waiting go
    first: it waits until none holds the `waiting` flag, up to GIVE_WAY_AT_MOST
    seconds, so a busy web app delays background work but never stops it."""
    flag = os.open(waiting, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(flag, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if _wait_for_flock(flag, GIVE_WAY_AT_MOST):
            os.close(flag)
        return  # else the helper thread closes it
    os.close(flag)


def _wait_for_flock(fd: int, timeout: float) -> bool:
    """Block in the kernel for the lock, up to `timeout`. flock() itself has no
    timeout, so a helper thread waits; if the caller gives up first, the helper
    closes the descriptor as soon as it gets the lock, which lets it go."""
    state = {"abandoned": False}
    guard = threading.Lock()
    acquired = threading.Event()

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            return
        with guard:
            if state["abandoned"]:
                os.close(fd)
                return
            acquired.set()

    threading.Thread(target=wait, name="sqlite-writer-wait", daemon=True).start()
    if acquired.wait(timeout):
        return True
    with guard:
        if acquired.is_set():
            return True
        state["abandoned"] = True
        return False


def unlock_file(fd: int) -> None:
    _held_files.discard(fd)
    os.close(fd)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: tuple[FairLock, int] | None = None
        self._writer_since = 0.0

    # --- the queue for the write lock -----------------------------------------

    def _queues_writers(self) -> bool:
        # An in-memory test database is one shared connection: nothing to queue.
        return not self.is_in_memory_db()

    def take_writer(self) -> None:
        if self._writer is not None or not self._queues_writers():
            return
        name = str(self.settings_dict["NAME"])
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        started = time.monotonic()
        lock = process_lock(name)
        if not lock.acquire(timeout=timeout):
            raise OperationalError(f"database is locked: no turn to write within {timeout:g} s")
        try:
            if background:
                give_way(f"{name}-waiting")
            fd = lock_file(f"{name}-writer", max(0.0, timeout - (time.monotonic() - started)),
                           waiting=None if background else f"{name}-waiting")
        except BaseException:
            lock.release()
            raise
        if fd is None:
            lock.release()
            raise OperationalError(f"database is locked: no turn to write within {timeout:g} s")
        self._writer, self._writer_since = (lock, fd), time.monotonic()

    def drop_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        lock, fd = writer
        try:
            unlock_file(fd)
        finally:
            lock.release()
        held = time.monotonic() - self._writer_since
        if held > LONG_HOLD:
            logger.warning("a write transaction held the SQLite write lock for %.1f s", held)

    # --- where transactions start and end --------------------------------------

    def _start_transaction_under_autocommit(self) -> None:
        self.take_writer()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self.drop_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            if self.connection is None or not self.connection.in_transaction:
                self.drop_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self.drop_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self.drop_writer()

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.wrapper = self
        return cursor


class QueuedCursor(base.SQLiteCursorWrapper):
    """A write statement outside a transaction queues for the writer too."""

    wrapper: DatabaseWrapper

    def _alone(self, query: str) -> bool:
        wrapper = self.wrapper
        return (wrapper._writer is None and not wrapper.connection.in_transaction
                and wrapper._queues_writers() and is_write(query))

    def execute(self, query: str, params: Any = None) -> Any:
        if not self._alone(query):
            return super().execute(query, params)
        self.wrapper.take_writer()
        try:
            return super().execute(query, params)
        finally:
            self.wrapper.drop_writer()

    def executemany(self, query: str, param_list: Any) -> Any:
        if not self._alone(query):
            return super().executemany(query, param_list)
        self.wrapper.take_writer()
        try:
            return super().executemany(query, param_list)
        finally:
            self.wrapper.drop_writer()
