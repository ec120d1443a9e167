"""Outbound webhooks: queued from the event stream, delivered by a periodic
sender with retries, signed with the subscription's secret.

What happens to a lead is an event in the transaction of the change (leads.events):
a change that rolls back sends nothing. The stream's consumer `webhooks`
(api.webhook_events, every 2 s) reads them after commit and `emit()`s each
that is a webhook: one pending WebhookDelivery per active subscription
listening to it, in the consumer's transaction with its cursor, so each event
is queued once even if the consumer fails half way.
`send_due()` (the `send_webhooks` task, every 5 s) claims due deliveries under a
database lock (skip_locked) and a short lease, so several workers never send
one twice, and POSTs each outside any transaction with a 5 s timeout. A 2xx is
delivered; anything else is retried after 30 s, 1, 2, 4, 8... minutes (at most
1 h apart) for 24 hours, then given up. LEADGATE_WEBHOOK_MAX_FAILURES failed
attempts in a row (a success resets the count) switch the subscription off.

The body (UTF-8 JSON) has a stable, versioned schema:

    {"schema": "leadgate.webhook", "version": 1, "id": "<event uuid>",
     "event": "lead.mql", "created_at": "2026-01-31T09:00:00.123Z",
     "data": {"lead": {"id": 42, "first_name": ..., "email": ..., "stage": "mql",
              "owner": {"id": 3, "username": ..., "name": ..., "email": ...}, ...},
              ...fields of the event}}

`id` is the same for every subscription's copy of one event (and for its
retries): receivers can drop repeats by it. `created_at` is when the event
happened; `data.lead` is the lead as it is when the delivery is queued (a few
seconds after), with the stage and cycle of the event.

Verifying a delivery: `X-Leadgate-Timestamp` is the unix time of the attempt,
`X-Leadgate-Signature` is `sha256=` and the hex HMAC-SHA256, keyed with the
subscription's secret, of the timestamp, a dot and the raw body. In Python:

    import hashlib, hmac, time

    def verify(secret: str, timestamp: str, signature: str, body: bytes,
               tolerance: int = 300) -> bool:
        if abs(time.time() - int(timestamp)) > tolerance:
            return False  # too old: a replay
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest(signature, "sha256=" + mac.hexdigest())

Use the body bytes as received, before any JSON parsing.

Targets are http(s) only; unless LEADGATE_WEBHOOK_ALLOW_PRIVATE is on, a host
that resolves to a private, loopback, link-local, reserved or otherwise
non-public address is refused when the subscription is saved and again at
each attempt, and the connection goes to the address that was checked (no
second lookup a DNS change could slip through). Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import User
from leadgate.routing.alerts import raise_alert
from leadgate.routing.models import Alert

from .models import PING, WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

SCHEMA = "leadgate.webhook"
VERSION = 1
TIMEOUT = 5.0
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
RETRY_FOR = timedelta(hours=24)
# A delivery left pending longer than this past its 24 hours (its subscription
# was off meanwhile) is given up without being sent.
EXPIRY_GRACE = timedelta(minutes=10)
# A claimed delivery is its sender's for this long; a sender that died leaves
# it to the next one after.
LEASE = timedelta(seconds=60)
BATCH = 50
MAX_READ = 64 * 1024
USER_AGENT = "leadgate-webhooks/1"

class TargetRefused(Exception):
    """A URL the settings do not allow webhooks to go to; the message says why."""


class DeliveryError(Exception):
    """No HTTP answer: unreachable, timed out, TLS failure."""


# Targets ------------------------------------------------------------------------------


def allow_private() -> bool:
    return settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE


def max_failures() -> int:
    return settings.LEADGATE_WEBHOOK_MAX_FAILURES


def non_public(ip: str) -> str | None:
    """Why `ip` is no place for a webhook ("loopback", "private", ...), or None."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for label, flag in (
        ("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
        ("link-local", address.is_link_local), ("multicast", address.is_multicast),
        ("private", address.is_private), ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    ):
        if flag:
            return label
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host`, each checked unless private targets are allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"{host} does not resolve") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private():
        for ip in addresses:
            why = non_public(ip)
            if why:
                raise TargetRefused(f"{host} resolves to a {why} address ({ip})")
    return addresses


def check_url(url: str, *, lookup: bool = True) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable target; TargetRefused otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"not a valid URL: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs are allowed")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not supported")
    port = port or (443 if scheme == "https" else 80)
    if lookup and not allow_private():
        resolve(parts.hostname, port)
    return scheme, parts.hostname, port


def _open_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """A connection to an address of `host` that passed the check just now."""
    last: OSError | None = None
    for ip in resolve(host, port):
        try:
            return socket.create_connection((ip, port), timeout=timeout)
        except OSError as error:
            last = error
    raise last or OSError(f"no address for {host}")


class _PinnedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _open_socket(self.host, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)

    def connect(self) -> None:
        sock = _open_socket(self.host, self.port, self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST `body`; the answer's (status, reason). Raises TargetRefused or DeliveryError."""
    scheme, host, port = check_url(url, lookup=False)
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(host, port, TIMEOUT) if scheme == "https"
        else _PinnedHTTP(host, port, timeout=TIMEOUT)
    )
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_READ)
        return response.status, response.reason
    except TargetRefused:
        raise
    except TimeoutError as error:
        raise DeliveryError(f"timed out after {TIMEOUT:g}s") from error
    except ssl.SSLError as error:
        raise DeliveryError(f"TLS failed: {error}") from error
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"connection failed: {error or type(error).__name__}") from error
    finally:
        connection.close()


# Emitting ----------------------------------------------------------------------------


def listening(event: str) -> list[WebhookSubscription]:
    return [sub for sub in WebhookSubscription.objects.filter(active=True).only("id", "events")
            if sub.listens_to(event)]


def envelope(event: str, event_id: uuid.UUID, at: datetime, data: dict) -> dict:
    payload = {"schema": SCHEMA, "version": VERSION, "id": str(event_id), "event": event,
               "created_at": at, "data": data}
    # Plain JSON types only, so the stored payload is what is sent on every database.
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def emit(event: str, data: dict, *, subscriptions: Iterable[WebhookSubscription] | None = None,
         at: datetime | None = None) -> list[WebhookDelivery]:
    """Queue `event` for every active subscription listening to it, in the
    caller's transaction. Returns the deliveries (none: nobody listens)."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    subs = list(listening(event) if subscriptions is None else subscriptions)
    if not subs:
        return []
    at = at or timezone.now()
    payload = envelope(event, uuid.uuid4(), at, data)
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(subscription=sub, event=event, event_id=payload["id"], payload=payload,
                        next_attempt_at=at, created_at=at)
        for sub in subs
    )


def person(user: Any) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.get_full_name(),
            "email": user.email}


# Sending -----------------------------------------------------------------------------


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1, 2, 4... min, at most 1 h."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20), MAX_RETRY)


def _claim(now: datetime) -> WebhookDelivery | None:
    """The next due delivery, leased to this sender (attempts counted now)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
                    next_attempt_at__lte=now, subscription__active=True)
            .select_related("subscription").order_by("next_attempt_at", "pk").first()
        )
        if delivery is None:
            return None
        # Compare-and-set too: SQLite has no row locks.
        taken = WebhookDelivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not taken:
        return _claim(now)
    delivery.attempts += 1
    delivery.next_attempt_at = now + LEASE
    return delivery


def send_due(limit: int = BATCH) -> int:
    """Attempt up to `limit` due deliveries; returns how many were attempted."""
    done = 0
    while done < limit:
        now = timezone.now()
        delivery = _claim(now)
        if delivery is None:
            break
        if now > delivery.created_at + RETRY_FOR + EXPIRY_GRACE:
            _record(delivery, None, "not sent within 24 hours (the subscription was off)",
                    expire=True)
        else:
            attempt(delivery)
        done += 1
    return done


def send_now(delivery: WebhookDelivery) -> WebhookDelivery:
    """One attempt right away (the test-send button); no retries."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.attempts += 1
    attempt(delivery)
    delivery.refresh_from_db()
    return delivery


def ping(subscription: WebhookSubscription, by: Any = None) -> WebhookDelivery:
    now = timezone.now()
    payload = envelope(PING, uuid.uuid4(), now, {"subscription": subscription.pk,
                                                 "by": person(by)})
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event=PING, event_id=payload["id"], payload=payload,
        created_at=now,
    )
    return send_now(delivery)


def attempt(delivery: WebhookDelivery) -> None:
    """POST the delivery (already counted in `attempts`) and record the answer."""
    subscription = delivery.subscription
    body = body_of(delivery)
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-Leadgate-Event": delivery.event, "X-Leadgate-Delivery": str(delivery.pk),
        "X-Leadgate-Timestamp": str(timestamp),
        "X-Leadgate-Signature": sign(subscription.secret, timestamp, body),
    }
    code: int | None = None
    try:
        code, reason = post(subscription.url, body, headers)
        error = "" if 200 <= code < 300 else f"HTTP {code} {reason}".strip()
    except TargetRefused as refused:
        error = f"refused: {refused}"
    except DeliveryError as failed:
        error = str(failed)
    _record(delivery, code, error)


def _record(delivery: WebhookDelivery, code: int | None, error: str, *,
            expire: bool = False) -> None:
    now = timezone.now()
    Status = WebhookDelivery.Status
    ping = delivery.event == PING
    fields: dict[str, Any] = {"last_status_code": code, "last_error": error[:1000],
                              "next_attempt_at": None}
    if not error:
        fields.update(status=Status.DELIVERED, delivered_at=now)
    elif ping:
        fields.update(status=Status.FAILED)
    else:
        retry_at = now + backoff(delivery.attempts)
        if expire or retry_at > delivery.created_at + RETRY_FOR:
            fields.update(status=Status.GIVEN_UP)
        else:
            fields.update(status=Status.FAILED, next_attempt_at=retry_at)
    with transaction.atomic():
        # Only while still ours: after a lost lease another sender records it.
        if not WebhookDelivery.objects.filter(pk=delivery.pk,
                                              attempts=delivery.attempts).update(**fields):
            return
        if ping or expire:
            return
        subscription = WebhookSubscription.objects.select_for_update().get(
            pk=delivery.subscription_id)
        if not error:
            if subscription.consecutive_failures:
                subscription.consecutive_failures = 0
                subscription.save(update_fields=["consecutive_failures"])
            return
        subscription.consecutive_failures += 1
        update = ["consecutive_failures"]
        if subscription.active and subscription.consecutive_failures >= max_failures():
            subscription.active, subscription.disabled_at = False, now
            subscription.disabled_reason = (
                f"Switched off after {subscription.consecutive_failures} failed delivery "
                f"attempts in a row; the last: {error}"[:1000]
            )
            update += ["active", "disabled_at", "disabled_reason"]
            logger.warning("webhook subscription %s (%s) disabled: %s", subscription.pk,
                           subscription.url, subscription.disabled_reason)
            _alert_switched_off(subscription)
        subscription.save(update_fields=update)


def _alert_switched_off(subscription: WebhookSubscription) -> None:
    """Tell the people who can switch it back on: an alert on the managers'
    page and an email to the admins and whoever created the subscription."""
    message = f"Webhook to {subscription.url} switched off. {subscription.disabled_reason}"
    admins = User.objects.filter(is_active=True, groups__name=Role.ADMIN).exclude(email="")
    recipients = set(admins.values_list("email", flat=True))
    creator = subscription.created_by
    if creator is not None and creator.is_active and creator.email:
        recipients.add(creator.email)
    raise_alert(Alert.Kind.WEBHOOK_DISABLED, message[:2000],
                subject="Leadgate: a webhook was switched off", email_to=recipients,
                at=subscription.disabled_at)
