"""What qualifiers do with a lead: touches, next steps and qualification answers."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from leadgate.leads.models import Lead
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
        indexes = [
            models.Index(fields=["lead", "at"], name="touch_lead_at"),
            models.Index(fields=["actor", "at"], name="touch_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_disposition_display()}"


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> "TaskQuerySet":
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
        OTHER = "other", "Other"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FOLLOW_UP)
    title = models.CharField(max_length=200)
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
            self.rank = Lead.objects.filter(pk=self.lead_id).values_list(
                "score_rank", flat=True).first() or UNSCORED
        super().save(*args, **kwargs)


class Qualification(models.Model):
    """Answers to a qualification framework (BANT by default) and the verdict."""

    class Verdict(models.TextChoices):
        PENDING = "", "Not decided"
        SALES_READY = "sales_ready", "Sales-ready"
        LONG_TERM = "long_term", "Long-term (nurture)"
        NOT_A_FIT = "not_a_fit", "Not a fit"  # disqualified, with a reason
        UNRESPONSIVE = "unresponsive", "Unresponsive (after the attempt plan)"

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="qualifications"
    )
    cycle = models.PositiveIntegerField(default=1)
    framework = models.CharField(max_length=20, default="bant")
    answers = models.JSONField(default=dict, blank=True)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    reason = models.CharField(max_length=200, blank=True,
                              help_text="not a fit: the reason from the list")
    recontact_on = models.DateField(null=True, blank=True,
                                    help_text="long-term: when to call again")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["lead", "at"], name="qualification_lead_at")]

    def __str__(self) -> str:
        return f"{self.framework.upper()} of lead {self.lead_id}"


class Claim(models.Model):
    """Someone has the lead open: others see it is being worked. Expires by
    itself, so a closed tab does not lock a lead."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="claim")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="claims")
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lead {self.lead_id} claimed by {self.user}"


class Framework(models.Model):
    """A qualification framework (BANT, ANUM, CHAMP, MEDDIC...) as data.

    `questions`: [{"key", "label", "help", "choices": [...]?, "short_term": bool}]:
    a lead is sales-ready when every `short_term` question has an answer that
    the qualifier marked as met (see workspace.frameworks).
    """

    kind = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    questions = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["is_default"],
                                               condition=models.Q(is_default=True),
                                               name="framework_one_default")]

    def __str__(self) -> str:
        return self.name


class CallScript(models.Model):
    """What to say to leads of a segment: the opening, talking points, the
    framework's questions, and answers to objections. The first active script
    (by position) whose conditions hold is shown; conditions as in routing rules."""

    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    conditions = models.JSONField(default=list, blank=True)
    framework = models.ForeignKey(Framework, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="scripts", help_text="empty: the default")
    opening = models.TextField(blank=True)
    talking_points = models.TextField(blank=True)
    objections = models.JSONField(default=list, blank=True,
                                  help_text='[{"objection": ..., "answer": ...}]')

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class QueueEvent(models.Model):
    """A change to someone's queue (a lead assigned, taken away, claimed...):
    live desks follow these rows, by id, to refresh within a second. Kept in
    the database so every web process sees every change; pruned after a day."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Lead assigned"
        UNASSIGNED = "unassigned", "Lead taken away"
        CLAIMED = "claimed", "Lead claimed"
        RELEASED = "released", "Claim released"
        SLA = "sla", "SLA clock changed"
        TOUCHED = "touched", "Lead worked"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "id"], name="queueevent_user_id"),
                   models.Index(fields=["at"], name="queueevent_at")]

    def __str__(self) -> str:
        return f"{self.kind} lead {self.lead_id} for {self.user_id}"
