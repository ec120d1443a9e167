"""What qualifiers do with a lead: touches, next steps and qualification answers."""

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TaskQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_at"], name="task_assignee_due"),
            models.Index(fields=["lead", "done_at"], name="task_lead_open"),
        ]

    def __str__(self) -> str:
        return self.title


class Qualification(models.Model):
    """Answers to a qualification framework (BANT by default) and the verdict."""

    class Verdict(models.TextChoices):
        PENDING = "", "Not decided"
        SALES_READY = "sales_ready", "Sales-ready"
        LONG_TERM = "long_term", "Long-term (nurture)"
        NOT_A_FIT = "not_a_fit", "Not a fit"

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="qualifications"
    )
    cycle = models.PositiveIntegerField(default=1)
    framework = models.CharField(max_length=20, default="bant")
    answers = models.JSONField(default=dict, blank=True)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["lead", "at"], name="qualification_lead_at")]

    def __str__(self) -> str:
        return f"{self.framework.upper()} of lead {self.lead_id}"
