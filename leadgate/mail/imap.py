"""The reply mailbox, read over IMAP: `poll()` takes its unread messages
and hands each to inbound.receive().

Run every 60 s when LEADGATE_IMAP_HOST is set (inbound_tasks.py). Messages
are fetched with BODY.PEEK[], which leaves them unread, and flagged \\Seen
only once receive() has committed them: a poll that dies halfway reads the
rest again next time, and receive() keeps a message once by its
Message-ID, so nothing is lost and nothing is acted on twice. A mail server
that cannot be reached is one warning line, retried at the next run.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from imapclient import SEEN, IMAPClient

from . import inbound

logger = logging.getLogger("leadgate.mail.imap")

# Messages fetched per command, and per run: a full mailbox (a first start,
# a week of downtime) is read over several runs, so that the urgent worker
# this runs on is not held from the emails people are waiting for.
BATCH = 25
MAX_PER_RUN = 200
# Seconds a connection may wait on the server: a hung server must not hold
# the worker.
TIMEOUT = 30.0
# A bigger message (a reply with a large attachment) is read by its headers
# alone: enough to match it to our email and act on it.
MAX_SIZE = inbound.MAX_MESSAGE_BYTES

# What a server that is down, slow, refusing the login or the folder raises:
# socket and TLS errors, timeouts, and imaplib's (IMAPClient's) errors.
UNREACHABLE = (OSError, imaplib.IMAP4.error)


def connect() -> Any:
    """A connection to the reply mailbox's server (not logged in yet)."""
    return IMAPClient(settings.LEADGATE_IMAP_HOST, port=settings.LEADGATE_IMAP_PORT,
                      ssl=settings.LEADGATE_IMAP_SSL, timeout=TIMEOUT)


def poll(connect: Callable[[], Any] = connect) -> int:
    """Receive the unread messages of the reply mailbox's folder; how many
    were received (0 when no server is configured or it cannot be reached)."""
    if not settings.LEADGATE_IMAP_HOST:
        return 0
    received = 0
    client = None
    try:
        client = connect()
        client.login(settings.LEADGATE_IMAP_USER, settings.LEADGATE_IMAP_PASSWORD)
        client.select_folder(settings.LEADGATE_IMAP_FOLDER)
        unseen = sorted(client.search(["UNSEEN"]))[:MAX_PER_RUN]
        for start in range(0, len(unseen), BATCH):
            received += _receive_batch(client, unseen[start:start + BATCH])
    except UNREACHABLE as error:
        # One line, no traceback: the server is someone else's, and the next
        # run tries again.
        logger.warning("reply mailbox %s:%s: %s (%d received; retrying next run)",
                       settings.LEADGATE_IMAP_HOST, settings.LEADGATE_IMAP_PORT,
                       _first_line(error), received)
    finally:
        if client is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                client.logout()
    if received:
        logger.info("reply mailbox: %d messages received", received)
    return received


def _receive_batch(client: Any, uids: list[int]) -> int:
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    whole = [uid for uid in uids if _size(sizes.get(uid)) <= MAX_SIZE]
    big = [uid for uid in uids if uid not in set(whole)]
    raws: dict[int, tuple[bytes, str]] = {}
    if whole:
        for uid, data in client.fetch(whole, ["BODY.PEEK[]"]).items():
            raws[uid] = (data.get(b"BODY[]"), "")
    if big:
        note = (f"(Over {MAX_SIZE // (1024 * 1024)} MB: only the headers were read; "
                "the message is in the reply mailbox.)")
        for uid, data in client.fetch(big, ["BODY.PEEK[HEADER]"]).items():
            raws[uid] = (data.get(b"BODY[HEADER]"), note)
    done: list[int] = []
    try:
        for uid in uids:
            raw, note = raws.get(uid, (None, ""))
            if not isinstance(raw, bytes):
                continue  # deleted meanwhile by another client: nothing to read
            inbound.receive(raw, note=note)
            done.append(uid)
    finally:
        # Those received (committed) are marked read even when a later one
        # failed (the database went away): they are not read again.
        if done:
            client.add_flags(done, [SEEN], silent=True)
    return len(done)


def _size(data: dict | None) -> int:
    value = (data or {}).get(b"RFC822.SIZE", 0)
    return value if isinstance(value, int) else 0


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
