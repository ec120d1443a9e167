"""The desk as a live queue: the page, its rows (re-fetched on each change),
and the server-sent events stream that says when to re-fetch.

The stream polls QueueEvent rows of the user with id > the last one sent (one
query on the (user, id) index every LEADGATE_QUEUE_POLL_SECONDS), so every web
process sees every change whoever made it. Each connection ends after
LEADGATE_QUEUE_STREAM_SECONDS with a `retry:` hint; the browser reconnects
with Last-Event-ID, so a gunicorn thread is never held for long.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest

from . import views
from .models import QueueEvent
from .queue import calling_hours, queue_for

# Indirections the tests replace with a fake clock (no real waiting).
_clock = time.monotonic
_sleep = time.sleep

KEEP_ALIVE_SECONDS = 10.0
RETRY_MS = 500


def _stream_seconds() -> float:
    return float(getattr(settings, "LEADGATE_QUEUE_STREAM_SECONDS", 25.0))


def _poll_seconds() -> float:
    return float(getattr(settings, "LEADGATE_QUEUE_POLL_SECONDS", 0.2))


def _check_desk(request: AuthedRequest) -> None:
    if not request.user.has_role(*views.DESK_ROLES):
        raise PermissionDenied


def last_event_id(user_id: int) -> int:
    row = QueueEvent.objects.filter(user_id=user_id).order_by("-id").values_list("id").first()
    return row[0] if row else 0


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
    after = last_event_id(request.user.pk)
    return render(request, "workspace/queue.html", {
        **queue_context(request), "after": after, "tab": "queue",
        **views.desk_tabs(request.user)})


@login_required
@require_GET
def queue_rows(request: AuthedRequest) -> HttpResponse:
    _check_desk(request)
    return render(request, "workspace/_queue_rows.html", queue_context(request))


def _start_id(request: HttpRequest, user_id: int) -> int:
    for raw in (request.headers.get("Last-Event-ID"), request.GET.get("after")):
        if raw is not None and raw.strip().isdigit():
            return int(raw.strip())
    return last_event_id(user_id)


def event_stream(user_id: int, last_id: int) -> Iterator[str]:
    """`queue` events (one per poll that found rows: id = the newest row's),
    keep-alive comments, and a retry hint when the connection's time is up."""
    deadline = _clock() + _stream_seconds()
    poll = _poll_seconds()
    quiet_since = _clock()
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    while True:
        rows = list(
            QueueEvent.objects.filter(user_id=user_id, id__gt=last_id)
            .order_by("id").values_list("id", "kind", "lead_id")[:100]
        )
        if rows:
            last_id = rows[-1][0]
            data = json.dumps([{"kind": kind, "lead": lead} for _, kind, lead in rows])
            yield f"id: {last_id}\nevent: queue\ndata: {data}\n\n"
            quiet_since = _clock()
        elif _clock() - quiet_since >= KEEP_ALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = _clock()
        if _clock() >= deadline:
            break
        _sleep(poll)
    yield f"retry: {RETRY_MS}\n: reconnect\n\n"


@login_required
@require_GET
def queue_events(request: AuthedRequest) -> StreamingHttpResponse:
    _check_desk(request)
    user_id = request.user.pk
    response = StreamingHttpResponse(
        event_stream(user_id, _start_id(request, user_id)), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy must not hold events back
    return response
