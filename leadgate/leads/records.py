"""What happens to a lead, as every stage reads it: its touches (every contact
with the lead), its next steps (tasks), its handoffs to sales and their
outcomes.

Core records: the desk writes touches and tasks, the handoff app handoffs and
outcomes, but routing, scoring, reports and the API read them, so they live
here, below every stage. Their tables keep the names of the apps that first
had them (`workspace_touch`, `handoff_handoff`...). Django finds the models
through `leads.models`, which imports them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadgate.lib.score_rank import UNSCORED


class Touch(models.Model):
    """One attempt to reach the lead (or the lead reaching us), with its outcome."""

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        VOICEMAIL = "voicemail", "Voicemail"
        EMAIL = "email", "Email"
        SOCIAL = "social", "Social"
        MEETING = "meeting", "Meeting"
        SMS = "sms", "SMS"

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Disposition(models.TextChoices):
        CONNECTED = "connected", "Connected"
        VOICEMAIL_LEFT = "voicemail_left", "Voicemail left"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        GATEKEEPER = "gatekeeper", "Gatekeeper"
        NOT_INTERESTED = "not_interested", "Not interested"
        CALL_BACK = "call_back", "Call back requested"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        SENT = "sent", "Sent"
        REPLIED = "replied", "Replied"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="touches")
    cycle = models.PositiveIntegerField(default=1)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.OUTBOUND
    )
    disposition = models.CharField(max_length=16, choices=Disposition.choices)
    duration_seconds = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="touches",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "workspace_touch"
        indexes = [
            models.Index(fields=["lead", "at"], name="touch_lead_at"),
            models.Index(fields=["actor", "at"], name="touch_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_disposition_display()}"


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        return self.filter(done_at__isnull=True)


class Task(models.Model):
    """The next step on a lead, with a due time. Every open lead has one."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="tasks",
    )
    class Kind(models.TextChoices):
        FIRST_CALL = "first_call", "First call"
        FOLLOW_UP = "follow_up", "Follow-up"
        CALL_BACK = "call_back", "Call back (requested)"
        RECONTACT = "recontact", "Re-contact (nurture)"
        NURTURE = "nurture", "Nurture step"
        CAME_BACK = "came_back", "Came back from nurture"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FOLLOW_UP)
    title = models.CharField(max_length=200)
    # What to do, when the title is not enough (a nurture step's instructions).
    notes = models.TextField(blank=True, default="", db_default="")
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The lead's score_rank, copied so the queue reads due follow-ups in score
    # order straight from an index (kept by scoring while the task is open).
    rank = models.PositiveIntegerField(default=UNSCORED, db_default=UNSCORED, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        db_table = "workspace_task"
        # Partial indexes of open tasks: with done_at as a column, PostgreSQL
        # cannot read "done_at IS NULL ORDER BY due_at" in index order (IS NULL
        # does not fix a sort key as "=" does) and sorts every open task.
        indexes = [
            models.Index(fields=["assignee", "due_at"], condition=models.Q(done_at__isnull=True),
                         name="task_assignee_due"),
            # The queue: my open follow-ups by score, due ones picked from the index.
            models.Index(fields=["assignee", "rank", "due_at"],
                         condition=models.Q(done_at__isnull=True), name="task_assignee_rank"),
            # A lead's open tasks, the next due first.
            models.Index(fields=["lead", "due_at"], condition=models.Q(done_at__isnull=True),
                         name="task_lead_open"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # A new task sorts by its lead's score (bulk_create callers copy it themselves).
        if self._state.adding and self.rank == UNSCORED and self.lead_id is not None:
            from .models import Lead  # leads.models imports this module

            self.rank = Lead.objects.filter(pk=self.lead_id).values_list(
                "score_rank", flat=True).first() or UNSCORED
        super().save(*args, **kwargs)


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
        db_table = "handoff_handoff"
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
        db_table = "handoff_outcome"
        indexes = [models.Index(fields=["kind", "at"], name="outcome_kind_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"], condition=~models.Q(event_id=""),
                name="outcome_unique_event_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of lead {self.lead_id}"
