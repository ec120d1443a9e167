"""The hand-over to sales and what became of it."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class RejectReason(models.TextChoices):
    """Why sales rejected a handoff (`other` needs a text)."""

    NOT_A_FIT = "not_a_fit", "Not a fit"
    BAD_TIMING = "bad_timing", "Bad timing"
    DUPLICATE_OPPORTUNITY = "duplicate_opportunity", "Duplicate of an open opportunity"
    NO_BUDGET = "no_budget", "No budget"
    OTHER = "other", "Other"


class Handoff(models.Model):
    """A sales-ready lead passed to a sales rep, with its dossier.

    The rep accepts it (the lead becomes a sales-accepted lead) or rejects it
    with a reason, and the lead goes back to be recycled.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for sales"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="handoffs")
    cycle = models.PositiveIntegerField(default=1)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="handoffs_made",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    # Need, budget, authority, timeframe, pains, buying plan: what the rep reads
    # before opening a consultative conversation.
    dossier = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # Sales' decision: who made it and, for a reject, the reason from the list
    # (the free text is decision_reason).
    reject_reason = models.CharField(max_length=24, choices=RejectReason.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # The acceptance SLA: sales must decide by due_at (business hours); a
    # breach escalates to the managers once, at escalated_at.
    due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A first meeting the qualifier proposed (sent as an .ics invitation).
    meeting_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    # Two leads that both wait for sales cannot be merged: dropping either
    # pending handoff would lose what sales is about to decide (intake/merge.py).
    merge_refuses = {"handoff_one_pending_per_lead": "pending handoff"}

    class Meta:
        indexes = [
            models.Index(fields=["to_user", "status", "created_at"], name="handoff_inbox"),
            # The acceptance SLA check: pending handoffs by due time.
            models.Index(fields=["status", "due_at"], name="handoff_status_due"),
            models.Index(fields=["lead", "cycle"], name="handoff_lead_cycle"),
        ]
        constraints = [
            # One open handoff per lead at a time.
            models.UniqueConstraint(
                fields=["lead"], condition=models.Q(status="pending"),
                name="handoff_one_pending_per_lead",
            )
        ]

    def __str__(self) -> str:
        return f"Handoff of lead {self.lead_id} to {self.to_user}"


class Outcome(models.Model):
    """What sales made of an accepted lead: an opportunity, then won or lost."""

    class Kind(models.TextChoices):
        OPPORTUNITY = "opportunity", "Opportunity"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="outcomes")
    cycle = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    # An opportunity's forecast as the CRM states it ("Proposal/Price Quote").
    expected_close = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    # The CRM's id of the opportunity: later exports and webhooks find the
    # lead by it.
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    # The id of the CRM event that brought this outcome: a redelivered webhook
    # is recognised and answered "already recorded".
    event_id = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "at"], name="outcome_kind_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"], condition=~models.Q(event_id=""),
                name="outcome_unique_event_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of lead {self.lead_id}"
