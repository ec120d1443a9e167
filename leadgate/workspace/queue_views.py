"""The desk as a live queue: the page, its rows (re-fetched on each change),
and the server-sent events stream that says when to re-fetch.

The stream reads the event stream (leads.events): the events of leads the
user owns or owned until just now, past the last position sent (indexed
queries every LEADGATE_QUEUE_POLL_SECONDS), so every web process sees every
change whoever made it; the SSE id is the position (`txid.id`). Each
connection ends after LEADGATE_QUEUE_STREAM_SECONDS with a `retry:` hint; the
browser reconnects with Last-Event-ID, so a gunicorn thread is never held for
long.

Each open stream still holds one of the web process's threads while it is
open, so a process serves at most LEADGATE_QUEUE_STREAMS_MAX of them, and a
user at most LEADGATE_QUEUE_STREAMS_PER_USER (tabs): beyond either, the answer
is a short `busy` event and a long retry, on which the page re-fetches its
rows, so it polls until a stream is free and the other requests (and
/healthz) always find a thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadgate.leads import events
from leadgate.leads.http import AuthedRequest
from leadgate.leads.models import Event

from . import views
from .queue import calling_hours, queue_for

# Indirections the tests replace with a fake clock (no real waiting).
_clock = time.monotonic
_sleep = time.sleep

KEEP_ALIVE_SECONDS = 10.0
RETRY_MS = 500
BUSY_RETRY_MS = 15_000  # how often a page without a stream re-fetches its rows


class StreamSlots:
    """The streams this process has open, in all and per user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._per_user: Counter[int] = Counter()

    def take(self, user_id: int) -> bool:
        with self._lock:
            if (sum(self._per_user.values()) >= settings.LEADGATE_QUEUE_STREAMS_MAX
                    or self._per_user[user_id] >= settings.LEADGATE_QUEUE_STREAMS_PER_USER):
                return False
            self._per_user[user_id] += 1
            return True

    def give_back(self, user_id: int) -> None:
        with self._lock:
            self._per_user[user_id] -= 1
            if self._per_user[user_id] <= 0:
                del self._per_user[user_id]


SLOTS = StreamSlots()


def _stream_seconds() -> float:
    return float(settings.LEADGATE_QUEUE_STREAM_SECONDS)


def _poll_seconds() -> float:
    return float(settings.LEADGATE_QUEUE_POLL_SECONDS)


def _check_desk(request: AuthedRequest) -> None:
    if not request.user.has_role(*views.DESK_ROLES):
        raise PermissionDenied


# At most this many events per message (a desk re-fetches its rows once for all).
PAGE = 100


def last_position(user_id: int) -> tuple[int, int]:
    """The position of the latest settled event about the user's desk."""
    settled = events.settled().order_by("-txid", "-id").values_list("txid", "id")
    latest = [row for row in (settled.filter(owner_id=user_id).first(),
                              settled.filter(previous_owner_id=user_id).first()) if row]
    return max(latest) if latest else (0, 0)


def desk_events(user_id: int, position: tuple[int, int]) -> list[Event]:
    """The next settled events about the user's desk after `position`: leads
    they own, or owned until the event (two index reads, merged)."""
    settled = events.settled().filter(events.after(position)).order_by("txid", "id")
    rows = {event.pk: event for query in (settled.filter(owner_id=user_id),
                                          settled.filter(previous_owner_id=user_id))
            for event in query.only("txid", "kind", "lead_id")[:PAGE]}
    return sorted(rows.values(), key=lambda event: event.position)[:PAGE]


def queue_context(request: AuthedRequest) -> dict:
    now = timezone.now()
    items = queue_for(request.user, now=now)
    start, end = calling_hours()
    hours = f"{start:%H:%M}-{end:%H:%M}"
    held = [item for item in items if item.held_back]
    groups = [{"css": "callable", "title": "", "items": [i for i in items if not i.held_back]}]
    if held:
        groups.append({"css": "held", "items": held,
                       "title": f"Held back: outside calling hours ({hours} local)"})
    return {"nav": "desk", "items": items, "groups": groups, "now": now,
            "calling_hours": hours}


@login_required
@require_GET
def queue_page(request: AuthedRequest) -> HttpResponse:
    """My queue. `?tab=all` lists all my open leads, `?tab=pool` the pool I
    see, `?tab=unrouted` (managers) the leads in no team (workspace.views.desk)."""
    if request.GET.get("tab") in ("pool", "all", "unrouted"):
        return views.desk(request)
    _check_desk(request)
    # Taken before the queue is read: an event after it triggers a refresh.
    after = last_position(request.user.pk)
    return render(request, "workspace/queue.html", {
        **queue_context(request), "after": events.format_position(after), "tab": "queue",
        **views.desk_tabs(request.user)})


@login_required
@require_GET
def queue_rows(request: AuthedRequest) -> HttpResponse:
    _check_desk(request)
    return render(request, "workspace/_queue_rows.html", queue_context(request))


def _start(request: HttpRequest, user_id: int) -> tuple[int, int]:
    for raw in (request.headers.get("Last-Event-ID"), request.GET.get("after")):
        position = events.parse_position(raw)
        if position is not None:
            return position
    return last_position(user_id)


def event_stream(user_id: int, position: tuple[int, int]) -> Iterator[str]:
    """`queue` events (one per poll that found rows: id = the newest row's
    position), keep-alive comments, and a retry hint when the connection's
    time is up."""
    deadline = _clock() + _stream_seconds()
    poll = _poll_seconds()
    quiet_since = _clock()
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    while True:
        rows = desk_events(user_id, position)
        if rows:
            position = rows[-1].position
            data = json.dumps([{"kind": row.kind, "lead": row.lead_id} for row in rows])
            yield f"id: {events.format_position(position)}\nevent: queue\ndata: {data}\n\n"
            quiet_since = _clock()
        elif _clock() - quiet_since >= KEEP_ALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = _clock()
        if _clock() >= deadline:
            break
        _sleep(poll)
    yield f"retry: {RETRY_MS}\n: reconnect\n\n"


def limited_stream(user_id: int, position: tuple[int, int]) -> Iterator[str]:
    """event_stream() in one of the process's stream slots, or a `busy` answer.
    The slot is taken when the stream starts and given back when it ends or
    the client goes (the server closes the generator)."""
    if not SLOTS.take(user_id):
        yield f"retry: {BUSY_RETRY_MS}\nevent: busy\ndata: poll\n\n"
        return
    try:
        yield from event_stream(user_id, position)
    finally:
        SLOTS.give_back(user_id)


@login_required
@require_GET
def queue_events(request: AuthedRequest) -> StreamingHttpResponse:
    _check_desk(request)
    user_id = request.user.pk
    response = StreamingHttpResponse(
        limited_stream(user_id, _start(request, user_id)), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy must not hold events back
    return response
