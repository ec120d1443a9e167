"""Nurture: cadences (what managers and marketing design) and enrollments
(a lead's way through one, a nurture cycle each).

A cadence is named and stable; its steps belong to a version. A version some
lead has started is never edited: an edit of a cadence in use makes a new
version, and enrolled leads finish the version they started (as rule sets do
in scoring). Each step an enrollment reaches leaves a StepRun, unique per
(enrollment, step, cycle): the row that makes a step happen at most once
however many sweeps or workers reach it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Cadence(models.Model):
    """A named track of nurture steps. `role`: the cadence new enrollments take
    when none is named ("first"), or the one a lead gets every quarter once its
    cycles are spent ("quarterly"); `next_cadence`: the track of the next
    nurture cycle (none: the same one again)."""

    class Role(models.TextChoices):
        NONE = "", "Follows another cadence or is chosen by hand"
        FIRST = "first", "First cadence of every new enrollment"
        QUARTERLY = "quarterly", "Quarterly touch once the cycles are spent"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, blank=True, default="")
    next_cadence = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+",
                                     help_text="the track of the next nurture cycle")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # An archived cadence takes no new enrollments; enrolled leads finish it.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["role"], condition=~Q(role=""),
                                    name="cadence_one_per_role"),
        ]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> CadenceVersion | None:
        return self.versions.order_by("-number").first()


class CadenceVersion(models.Model):
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["cadence", "-number"]
        constraints = [models.UniqueConstraint(fields=["cadence", "number"],
                                               name="cadence_version_number")]

    def __str__(self) -> str:
        return f"{self.cadence.name} v{self.number}"

    @property
    def in_use(self) -> bool:
        """Some lead started it: it is history, never edited."""
        return self.enrollments.exists()

    def ordered_steps(self) -> list[Step]:
        return list(self.steps.order_by("position").prefetch_related("variants"))


class Step(models.Model):
    """One step of a cadence version, taken `delay_days` business days after
    the previous one (after enrollment for the first), inside its send window
    in the lead's local time, when its condition holds (else skipped)."""

    class Kind(models.TextChoices):
        AUTO_EMAIL = "auto_email", "Automatic email"
        PERSONAL_EMAIL = "personal_email", "Personal email (task: review and send)"
        CALL = "call", "Call task"
        SOCIAL = "social", "Social task (e.g. LinkedIn)"
        DIRECT_MAIL = "direct_mail", "Direct-mail task"
        WAIT = "wait", "Wait"

    EMAILS = (Kind.AUTO_EMAIL, Kind.PERSONAL_EMAIL)
    TASKS = (Kind.PERSONAL_EMAIL, Kind.CALL, Kind.SOCIAL, Kind.DIRECT_MAIL)

    version = models.ForeignKey(CadenceVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    delay_days = models.PositiveSmallIntegerField(
        default=0, help_text="business days after the previous step (or the enrollment)")
    # The send window in the lead's local time: weekdays (0 Monday .. 6 Sunday;
    # empty: any day) and hours (empty: any time).
    window_days = models.JSONField(default=list, blank=True)
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    # {"grades": ["A1", ...] or fit letters ["A", "B"], "segments": ["industry:Software",
    # "country:FR", "source:Webinar"], "engagement": "engaged" | "not_engaged"}
    # (engaged: opened for real, clicked or replied since the previous step); empty: always.
    condition = models.JSONField(default=dict, blank=True)
    # For task steps: what the qualifier is asked to do ("Connect on LinkedIn").
    instructions = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"],
                                               name="step_version_position")]

    def __str__(self) -> str:
        return f"step {self.position + 1}: {self.get_kind_display()}"

    @property
    def sends_email(self) -> bool:
        return self.kind == self.Kind.AUTO_EMAIL

    @property
    def makes_task(self) -> bool:
        return self.kind in self.TASKS

    def clean(self) -> None:
        if any(day not in range(7) for day in self.window_days or []):
            raise ValidationError({"window_days": "weekdays are 0 (Monday) to 6 (Sunday)"})
        if (self.window_start is None) != (self.window_end is None):
            raise ValidationError({"window_end": "give both ends of the window, or neither"})
        if self.window_start and self.window_end and self.window_start >= self.window_end:
            raise ValidationError({"window_end": "the window must end after it starts"})


class StepVariant(models.Model):
    """The words of a step: an email's subject and bodies, a task's title and
    notes. Email steps may have several (A/B), one chosen at random per
    enrollment and recorded on it."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=8, default="A")
    subject = models.CharField(max_length=255)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)

    class Meta:
        ordering = ["step", "label"]
        constraints = [models.UniqueConstraint(fields=["step", "label"],
                                               name="variant_step_label")]

    def __str__(self) -> str:
        return f"{self.step} variant {self.label}"


class Enrollment(models.Model):
    """A lead's way through one cadence version: one nurture cycle (`number`).
    Active while steps remain (next_due_at: when the sweep takes the next),
    resting after a cadence that did not win the lead back (rest_until: when
    the next cycle starts), finished once the next cycle took over, exited
    when something stopped it (exit_reason)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESTING = "resting", "Resting"
        FINISHED = "finished", "Finished"
        EXITED = "exited", "Exited"

    class Trigger(models.TextChoices):
        LONG_TERM = "long_term", "Long-term verdict"
        UNRESPONSIVE = "unresponsive", "Unresponsive after the attempts"
        SALES_REJECTED = "sales_rejected", "Rejected by sales"
        LOST = "lost", "Lost opportunity"
        MANUAL = "manual", "By hand"
        BULK = "bulk", "In bulk from a list"
        API = "api", "By API"
        NEXT_CYCLE = "next_cycle", "Next nurture cycle"
        QUARTERLY = "quarterly", "Quarterly touch"
        CHECK = "check", "No lead left behind (was not enrolled)"

    class Exit(models.TextChoices):
        REPLIED = "replied", "Replied"
        MEETING = "meeting_booked", "Meeting booked"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Email bounced"
        COMPLAINED = "complained", "Complained"
        DO_NOT_CONTACT = "do_not_contact", "Do not contact"
        HOT_INQUIRY = "hot_inquiry", "Hot inquiry"
        MQL = "mql", "Reached the MQL rule"
        HANDOFF = "handoff", "Handed off"
        MANUAL = "manual", "Stopped by hand"
        LEFT_NURTURE = "left_nurture", "Left nurture"
        SEND_FAILED = "send_failed", "An email could not be sent"

    LIVE = (Status.ACTIVE, Status.RESTING)
    # The exits that bring the lead back to the desk: nurture's conversions.
    RETURNS = (Exit.REPLIED, Exit.MEETING, Exit.HOT_INQUIRY, Exit.MQL)

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="enrollments")
    lead_cycle = models.PositiveIntegerField()  # the lead's buying cycle (Lead.cycle)
    number = models.PositiveIntegerField(default=1)  # the nurture cycle, 1..
    version = models.ForeignKey(CadenceVersion, on_delete=models.PROTECT,
                                related_name="enrollments")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The next step's position; past the last step the cadence is done.
    position = models.PositiveSmallIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True)
    rest_until = models.DateTimeField(null=True, blank=True)
    # The A/B choice per email step: {"<step id>": "B"}.
    variants = models.JSONField(default=dict, blank=True)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    last_step_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=16, choices=Exit.choices, blank=True)
    exit_detail = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            # One live enrollment per lead: a second enroll is refused by the database.
            models.UniqueConstraint(fields=["lead"], condition=Q(status__in=["active", "resting"]),
                                    name="enrollment_one_live"),
        ]
        indexes = [
            # The sweep: active enrollments whose next step is due.
            models.Index(fields=["next_due_at"], condition=Q(status="active"),
                         name="enrollment_due"),
            # The next cycle: resting enrollments whose rest is over.
            models.Index(fields=["rest_until"], condition=Q(status="resting"),
                         name="enrollment_rested"),
            models.Index(fields=["lead", "-started_at"], name="enrollment_lead"),
        ]

    def __str__(self) -> str:
        return f"enrollment {self.pk} of lead {self.lead_id} ({self.status})"

    @property
    def live(self) -> bool:
        return self.status in self.LIVE

    def due(self) -> datetime | None:
        """When something next happens: the next step, or the end of the rest."""
        return self.next_due_at if self.status == self.Status.ACTIVE else self.rest_until


class StepRun(models.Model):
    """A step an enrollment reached: done (an email queued, a task made, a
    wait over) or skipped (its condition did not hold), once."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped (condition not met)"
        SUPPRESSED = "suppressed", "Not sent: suppressed"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="runs")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="runs")
    cycle = models.PositiveIntegerField()  # the enrollment's number
    status = models.CharField(max_length=10, choices=Status.choices)
    variant = models.CharField(max_length=8, blank=True)
    email = models.ForeignKey("mail.OutboundEmail", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    task = models.ForeignKey("leads.Task", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "step", "cycle"],
                                               name="steprun_once")]
        indexes = [models.Index(fields=["step", "status"], name="steprun_step")]

    def __str__(self) -> str:
        return f"{self.step} of enrollment {self.enrollment_id}: {self.status}"
