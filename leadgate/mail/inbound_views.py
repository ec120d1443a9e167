"""POST /mail/inbound: a mail provider's inbound webhook (or a relay's pipe)
hands Leadgate one message, the raw RFC 822 bytes as the body
(Content-Type message/rfc822 or application/octet-stream).

Off unless LEADGATE_INBOUND_SECRET is set (then the path answers 404). The
sender proves itself with that secret in `X-Leadgate-Secret` (403 otherwise).
202 with {"id", "kind"} once the message is kept (inbound.receive: sending it
again is a no-op 202 naming the same row); 400 for an empty body or one over
10 MB, 415 for another content type. A database that is down is the
middleware's 503 with Retry-After (nothing stored; the provider retries);
a malformed message is kept as unmatched: never a 500.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import inbound

SECRET_HEADER = "X-Leadgate-Secret"  # noqa: S105 - a header name, not a secret
MAX_BODY = inbound.MAX_MESSAGE_BYTES
CONTENT_TYPES = ("message/rfc822", "application/octet-stream")


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
@require_POST
def receive(request: HttpRequest) -> JsonResponse:
    secret = settings.LEADGATE_INBOUND_SECRET
    if not secret:
        raise Http404("inbound mail is not configured")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(secret.encode(), given.encode("utf-8", "replace")):
        return _problem(403, f"{SECRET_HEADER}: missing or wrong")
    content_type = (request.content_type or "").lower()
    if content_type not in CONTENT_TYPES:
        return _problem(415, f"Content-Type: one of {', '.join(CONTENT_TYPES)}")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return _problem(400, f"body: larger than {MAX_BODY // (1024 * 1024)} MB")
    # Read from the stream, not request.body: the body cap of Django's form
    # parsing (DATA_UPLOAD_MAX_MEMORY_SIZE) is not this endpoint's.
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _problem(400, f"body: larger than {MAX_BODY // (1024 * 1024)} MB")
    if not body.strip():
        return _problem(400, "body: empty; send the raw message (RFC 822)")
    row = inbound.receive(body)
    return JsonResponse({"id": row.pk, "kind": row.kind}, status=202)
