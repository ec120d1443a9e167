"""API keys: how scripts, integrations and forms on other sites call the API.

A key is shown once, at creation; only its SHA-256 is stored. The key carries
32 random bytes from `secrets`, so a fast hash is enough: there is nothing to
guess that a slow hash would protect. The short `prefix` is public and finds
the row in one indexed lookup, then the hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "lg"
SCOPES = ("read", "write", "intake")
# Writing `last_used_at` on every call would turn each read into a write;
# to the minute is what an admin needs to spot an unused key.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Compared against when no active key has the prefix: no real SHA-256 digest of
# a key is all zeros, and comparing costs what comparing with a row's hash costs.
_NO_KEY_HASH = "0" * 64


def hash_secret(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key(key: str) -> str | None:
    """The prefix of a well-formed key `lg_<prefix>_<secret>`, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A bearer key with scopes. With a user it acts with that user's
    permissions; without one it is an org-wide service key that sees every lead
    and moves leads as the system."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    # CASCADE, not SET_NULL: a person's key must never outlive them as a
    # service key that sees everything.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="api_keys",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @classmethod
    def issue(cls, *, name: str, scopes: list[str], user=None) -> tuple[ApiKey, str]:
        """Create a key; return the row and the full key, which is not kept."""
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scope {', '.join(unknown)}; scopes are: {', '.join(SCOPES)}")
        prefix = secrets.token_hex(4)
        while cls.objects.filter(prefix=prefix).exists():  # 2**32 values: a clash is rare
            prefix = secrets.token_hex(4)
        key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        row = cls.objects.create(
            name=name, prefix=prefix, key_hash=hash_secret(key), scopes=list(dict.fromkeys(scopes)),
            user=user,
        )
        return row, key

    @classmethod
    def authenticate(cls, key: str) -> ApiKey | None:
        """The active key matching `key`, or None for anything else."""
        prefix = parse_key(key)
        if prefix is None:
            return None
        # The same work whether or not the prefix exists (hash, then a
        # constant-time compare), and the same None: neither the answer nor its
        # time tells a caller which prefixes are real.
        digest = hash_secret(key)
        row = cls.objects.active().select_related("user").filter(prefix=prefix).first()
        matches = hmac.compare_digest(row.key_hash if row is not None else _NO_KEY_HASH, digest)
        if row is None or not matches:
            return None
        # A deactivated person's keys stop working with them.
        if row.user is not None and not row.user.is_active:
            return None
        row.touch()
        return row

    def touch(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            ApiKey.objects.filter(pk=self.pk).update(revoked_at=self.revoked_at)

    @property
    def is_service_key(self) -> bool:
        return self.user_id is None


class IdempotentResponse(models.Model):
    """The first answer to a write sent with an `Idempotency-Key` header: a retry
    with the same key (by the same API key) gets it again instead of a second
    write. A retry with the same key but another body is refused."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"Idempotency key {self.key}"


# Outbound webhooks -------------------------------------------------------------------

# The events a subscription may listen to; `ping` (the test-send button) is
# delivered to one subscription on demand and cannot be subscribed to.
WEBHOOK_EVENTS = (
    "lead.created", "lead.mql", "lead.qualified", "handoff.accepted", "handoff.rejected",
    "lead.won", "lead.lost", "sla.breached",
)
PING = "ping"


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscription(models.Model):
    """A URL that receives the chosen events, signed with `secret`.

    The secret must be kept as is (it signs every delivery), but is shown only
    once, after creation or rotation. After LEADGATE_WEBHOOK_MAX_FAILURES failed
    attempts in a row the subscription is switched off, with the reason."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["active"], name="webhook_sub_active")]

    def __str__(self) -> str:
        return self.url

    def listens_to(self, event: str) -> bool:
        return event in (self.events or [])

    def rotate_secret(self) -> str:
        self.secret = new_webhook_secret()
        WebhookSubscription.objects.filter(pk=self.pk).update(secret=self.secret)
        return self.secret


class WebhookDelivery(models.Model):
    """One event for one subscription, and the log of trying to deliver it.

    `pending`: not tried yet; `failed`: the last attempt failed, the next is at
    `next_attempt_at` (none for a failed test ping); `delivered`: a 2xx came back;
    `given_up`: still failing 24 hours after the event."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GIVEN_UP = "given_up", "Given up"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    # One id per event: every subscription's delivery of it carries the same,
    # so a receiver with several subscriptions can drop repeats.
    event_id = models.UUIDField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The sender: what is due, oldest first.
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status__in=["pending", "failed"]),
                name="webhook_delivery_due",
            ),
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} to {self.subscription_id} ({self.status})"
