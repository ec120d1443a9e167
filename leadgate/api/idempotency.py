"""`Idempotency-Key`: a client that retries a write gets the first answer again
instead of a second write.

    return idempotent(request, data, lambda: (201, {...}))

How it holds under retries and races:

1. The key is *claimed* first: a row with status 0 ("in progress") is inserted.
   The unique (api_key, key) constraint lets one request win; a loser reads
   the row and answers the stored answer (replayed), 409 while the first is
   still running, or 422 when its body differs.
2. The winner runs the handler. With `atomic=True` (the default) the claim,
   the handler's writes and the stored answer are one transaction: there is
   never a write without its answer, a crash or a refusal leaves nothing, and
   a second request with the key waits for the first to commit, then replays
   it. Long handlers whose items commit one by one (bulk) pass `atomic=False`:
   their claim commits on its own first, and a crash leaves only the claim,
   which a retry takes over once it is stale.
3. Only a success (2xx) is stored. A refusal (4xx) or an exception releases the
   claim, so the client can fix the request and retry with the same key.

Keys are per API key: two integrations never see each other's answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from .auth import key_of
from .models import ApiKey, IdempotentResponse
from .problems import error

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IN_PROGRESS = 0
# A claim older than this is taken to belong to a request that died: a retry
# may take it over. Longer than any request may run (gunicorn's timeout is 30 s).
STALE_AFTER = timedelta(seconds=120)

Answer = tuple[int, dict[str, Any]]


def request_hash(request: HttpRequest, data: Any) -> str:
    """What makes two requests "the same": method, path and the parsed body
    (so a retry that re-serializes its JSON differently still matches)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{request.method} {request.path}\n{text}".encode()).hexdigest()


def key_error(key: str) -> str | None:
    if not key:
        return f"the {HEADER} header must not be empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"the {HEADER} header is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}"
    if not all(" " <= ch <= "~" for ch in key):
        return f"the {HEADER} header must be printable ASCII"
    return None


def idempotent(
    request: HttpRequest, data: Any, handler: Callable[[], Answer], *, atomic: bool = True
) -> JsonResponse:
    """Run `handler` once per Idempotency-Key (when the request has one) and
    answer its (status, body) as JSON; a retry gets the stored answer."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = handler()
        return JsonResponse(body, status=status)
    wrong = key_error(key)
    if wrong:
        return error(422, wrong, HEADER)
    if atomic:
        return _in_one_transaction(request, key, data, handler)
    claim, answer = _claim(key_of(request), key, request_hash(request, data))
    if answer is not None:
        return answer
    assert claim is not None
    try:
        status, body = handler()
        if 200 <= status < 300:
            IdempotentResponse.objects.filter(pk=claim.pk).update(status=status, body=body)
    except BaseException:
        _release(claim)
        raise
    if not 200 <= status < 300:
        _release(claim)
    return JsonResponse(body, status=status)


def _in_one_transaction(request: HttpRequest, key: str, data: Any,
                        handler: Callable[[], Answer]) -> JsonResponse:
    """The claim, the handler's writes and the stored answer in one transaction:
    a crash or a refusal leaves nothing behind, so nothing needs releasing, and
    on SQLite a request queues once for the writer instead of twice. A second
    request with the key waits for the first to commit (PostgreSQL: at the
    claim's unique index; SQLite: for the write lock) and replays its answer."""
    with transaction.atomic():
        claim, answer = _claim(key_of(request), key, request_hash(request, data))
        if answer is not None:
            return answer
        assert claim is not None
        status, body = handler()
        if 200 <= status < 300:
            IdempotentResponse.objects.filter(pk=claim.pk).update(status=status, body=body)
        else:
            transaction.set_rollback(True)  # the claim goes with whatever was written
    return JsonResponse(body, status=status)


def _claim(
    api_key: ApiKey, key: str, digest: str
) -> tuple[IdempotentResponse | None, JsonResponse | None]:
    """The claimed row to fill, or the answer for a key already used."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = IdempotentResponse.objects.create(
                    api_key=api_key, key=key, request_hash=digest, status=IN_PROGRESS,
                    body={}, created_at=now,
                )
            return row, None
        except IntegrityError:
            pass
        found = IdempotentResponse.objects.filter(api_key=api_key, key=key).first()
        if found is None:  # released between our insert and our read: claim again
            continue
        row = found
        if row.request_hash != digest:
            return None, error(
                422, f"this {HEADER} was already used with another request; "
                "use a new key for a new request", HEADER,
            )
        if row.status != IN_PROGRESS:
            response = JsonResponse(row.body, status=row.status)
            response[REPLAYED_HEADER] = "true"
            return None, response
        if now - row.created_at > STALE_AFTER and IdempotentResponse.objects.filter(
            pk=row.pk, status=IN_PROGRESS, created_at=row.created_at
        ).update(created_at=now):
            row.created_at = now
            return row, None
        break
    return None, error(
        409, f"a request with this {HEADER} is still in progress; retry shortly", HEADER
    )


def _release(claim: IdempotentResponse) -> None:
    IdempotentResponse.objects.filter(pk=claim.pk, status=IN_PROGRESS).delete()
