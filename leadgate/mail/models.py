"""The outbox: every email Leadgate sends is a row here first.

A row is written in the transaction of the change it is about (no email
about a change that rolled back), then sent by a task within seconds, or by
the sweep when that task was lost or the mail server failed (see outbox.py).
The row is also the record of what was sent, shown where people act (the
handoff page says whether the rep was emailed).

Room for what later issues add, without reshaping this table: a suppression
list is checked before the SMTP conversation and ends a row in a status of its
own; List-Unsubscribe and other headers go in `headers`; tracking and
delivery events (opened, clicked, bounced, replied) are rows pointing here,
found by `message_id` in replies and bounces; frequency caps count rows per
`lead` and `kind` by `created_at`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    class Kind(models.TextChoices):
        ALERT = "alert", "Alert"
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        HANDOFF = "handoff", "Handoff"

    class Status(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"

    # The caller's idempotency key ("handoff:<id>", "ack:<lead>:<cycle>",
    # "alert:<id>"): queueing one key twice stores one row, sends one email.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Indexed with created_at below (a lead's emails), not alone.
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="emails", db_index=False)
    from_email = models.CharField(max_length=254, blank=True)  # blank: DEFAULT_FROM_EMAIL
    to = models.JSONField(default=list)  # addresses, in order
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    # [{"filename", "content" (text), "mimetype", "params": {"method": "REQUEST"}}]
    attachments = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)  # extra headers, name -> value
    # Chosen when queued and sent on every attempt: a receiver that got one
    # attempt's copy already can drop a repeat, and replies point back here.
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts started (counted when a sender claims the row).
    attempts = models.PositiveIntegerField(default=0)
    # When a sender may take the row: now for a new one, the retry time after
    # a failure, the end of the lease while sending (a sender killed mid-send
    # leaves the row due again); none once sent or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweep: what is due, oldest first (a new row, a retry, a lost lease).
            models.Index(fields=["next_attempt_at"],
                         condition=models.Q(status__in=["pending", "sending"]),
                         name="outbound_email_due"),
            # A lead's emails, newest first.
            models.Index(fields=["lead", "-created_at"], name="outbound_email_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email {self.pk} ({self.status})"

    @property
    def state(self) -> str:
        """For pages: "sent", "failed", "retrying" (an attempt failed, the next
        is at next_attempt_at) or "queued" (going out within seconds)."""
        if self.status in (self.Status.SENT, self.Status.FAILED):
            return str(self.status)
        return "retrying" if self.retrying else "queued"

    @property
    def retrying(self) -> bool:
        """Not sent yet because an attempt failed: the next is at next_attempt_at."""
        return self.status == self.Status.PENDING and self.attempts > 0
