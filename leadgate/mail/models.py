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

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    class Kind(models.TextChoices):
        ALERT = "alert", "Alert"
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        HANDOFF = "handoff", "Handoff"
        # Written to the lead: a nurture cadence's automatic email, and a
        # qualifier's own (a personal-email step, reviewed and sent by them).
        NURTURE = "nurture", "Nurture"
        PERSONAL = "personal", "Personal"

    class Status(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"
        # Never sent: every recipient is on the suppression list (checked by
        # the sender just before it talks to the server, whatever queued it).
        SUPPRESSED = "suppressed", "Not sent: suppressed"

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
    # Tracked emails (nurture): the links of the HTML body in order, each
    # rewritten to a signed redirect naming its index here, so the redirect
    # goes only where the email pointed (mail.tracking).
    links = models.JSONField(default=list, blank=True)
    # When the SMTP conversation reached the message itself: a sender killed
    # after this may have delivered it, so a kind sent at most once (nurture)
    # is not retried after such a lease runs out (see sender.py).
    transmitting_at = models.DateTimeField(null=True, blank=True)
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
            # The hourly limit: what was sent in the last hour (sender.room_at).
            models.Index(fields=["sent_at"], condition=models.Q(sent_at__isnull=False),
                         name="outbound_email_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email {self.pk} ({self.status})"

    @property
    def state(self) -> str:
        """For pages: "sent", "failed", "retrying" (an attempt failed, the next
        is at next_attempt_at) or "queued" (going out within seconds)."""
        if self.status in (self.Status.SENT, self.Status.FAILED, self.Status.SUPPRESSED):
            return str(self.status)
        return "retrying" if self.retrying else "queued"

    @property
    def retrying(self) -> bool:
        """Not sent yet because an attempt failed: the next is at next_attempt_at."""
        return self.status == self.Status.PENDING and self.attempts > 0


class Suppression(models.Model):
    """An address Leadgate never emails again, and why. Every send checks it
    (sender.py), whichever path queued the email; reasons come from the person
    (unsubscribe, complaint, do-not-contact) or the mail system (hard bounce)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint (marked as spam)"
        DO_NOT_CONTACT = "do_not_contact", "Do not contact"

    # Lower case (suppression.normalized): one row per address.
    address = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    # The email whose unsubscribe link, bounce or complaint put it here.
    email = models.ForeignKey(OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class EmailEvent(models.Model):
    """What happened to a sent email: opened, clicked, replied, bounced,
    complained, unsubscribed. Bot and scanner opens and clicks are kept but
    marked (`bot` says why), and never count as engagement."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        REPLIED = "replied", "Replied"
        BOUNCED = "bounced", "Bounced (hard)"
        SOFT_BOUNCED = "soft_bounced", "Bounced (soft)"
        COMPLAINED = "complained", "Complained"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    url = models.CharField(max_length=2000, blank=True)  # the link clicked
    user_agent = models.CharField(max_length=500, blank=True)
    # Why it is not a person's doing ("within 5 s of delivery", "honeypot link",
    # "scanner user agent"); blank: a person.
    bot = models.CharField(max_length=100, blank=True)
    detail = models.TextField(blank=True)  # the reply's text, the bounce's diagnostic

    class Meta:
        indexes = [models.Index(fields=["email", "kind"], name="email_event_email_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of email {self.email_id}"


class InboundMessage(models.Model):
    """A message that came to the reply mailbox (IMAP) or the inbound webhook:
    kept once by its Message-ID, matched to the email it answers."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        BOUNCE = "bounce", "Bounce (delivery status notification)"
        COMPLAINT = "complaint", "Complaint (feedback report)"
        AUTO_REPLY = "auto_reply", "Automatic reply (out of office)"
        UNMATCHED = "unmatched", "Not an answer to an email we sent"

    message_id = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    email = models.ForeignKey(OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="inbound")
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    # The new text of a reply, quoted history stripped; the diagnostic of a bounce.
    text = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
