"""Who works a lead and by when: routing rules, qualifiers' seats in the
rotation, absences, every assignment, SLA policies and clocks, and alerts.

Team business hours and holidays live on `leads.Team` (see `hours`); a seat
may narrow them to the qualifier's own working hours.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Seat(models.Model):
    """A qualifier's place in the routing rotation of their team.

    `virtual_start` and `last_assigned` are the state of the fair-share
    scheduler (leadgate.lib.fair_share): updated under a row lock at each
    assignment, never edited by hand.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="seat")
    weight = models.FloatField(default=1.0, help_text="share of new leads (2 = twice as many)")
    max_open = models.PositiveIntegerField(
        null=True, blank=True, help_text="cap on open leads owned; empty: no cap")
    paused = models.BooleanField(default=False, help_text="takes no new leads while on")
    hours = models.JSONField(
        default=dict, blank=True,
        help_text='own working hours, e.g. {"mon-fri": "08:00-16:00"}; empty: the team\'s')
    virtual_start = models.FloatField(default=0.0)
    last_assigned = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"seat of {self.user}"


class Absence(models.Model):
    """Out of office: no new leads on these local dates (both included)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="absences")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ends_on"], name="absence_user_end")]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="absence_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.user} away {self.starts_on}..{self.ends_on}"


class RoutingRule(models.Model):
    """Conditions on a new lead → a team (or one person). Evaluated by
    `position`; the first rule whose conditions all hold wins.

    `conditions`: [{"field": ..., "operator": ..., "value": ...}], fields as in
    scoring rules (lead.<field>, account.<field>, fact.<name>) plus
    score.grade, score.fit_grade, score.probability, inquiry.source,
    inquiry.form, inquiry.channel, inquiry.hot; operators those of scoring.
    """

    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    conditions = models.JSONField(default=list, blank=True)
    team = models.ForeignKey("leads.Team", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="routing_rules")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="routing_rules",
                             help_text="a named qualifier instead of a team's rotation")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.CheckConstraint(
            condition=Q(team__isnull=False) | Q(user__isnull=False),
            name="routingrule_has_target")]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """Every change of a lead's owner or team, with why and by whom."""

    class Why(models.TextChoices):
        RULE = "rule", "Routing rule"
        ACCOUNT_OWNER = "account_owner", "Account owner"
        ROTATION = "rotation", "Team rotation"
        POOL = "pool", "Team pool (nobody available)"
        MANUAL = "manual", "By hand"
        SLA_BREACH = "sla_breach", "SLA breached"
        NO_OWNER = "no_owner", "No-lead-left-behind check"
        RETURNED = "returned", "Returned (sales reject, nurture)"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="assignments")
    cycle = models.PositiveIntegerField(default=1)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("leads.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    why = models.CharField(max_length=16, choices=Why.choices)
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+",
                           help_text="empty: the system")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["lead", "at"], name="assignment_lead_at"),
                   models.Index(fields=["to_user", "at"], name="assignment_to_at")]

    def __str__(self) -> str:
        return f"lead {self.lead_id} → {self.to_user or 'pool'} ({self.why})"


class SlaPolicy(models.Model):
    """How soon a first human touch is due for leads of a segment, counted in
    the team's business hours (or around the clock)."""

    class Segment(models.TextChoices):
        HOT_INBOUND = "hot_inbound", "Hot inbound request (demo, contact me)"
        INBOUND = "inbound", "Other inbound (forms, API)"
        IMPORTED = "imported", "Imported lists"
        # A nurtured lead that came back by replying or reaching the MQL rule
        # (a hot inquiry from nurture takes hot_inbound's clock).
        RETURNED = "returned", "Came back from nurture"

    segment = models.CharField(max_length=12, choices=Segment.choices, unique=True)
    minutes = models.PositiveIntegerField(help_text="time allowed to the first human touch")
    business_hours = models.BooleanField(
        default=True, help_text="count only the team's business hours")
    active = models.BooleanField(default=True)
    escalate = models.BooleanField(
        default=True, help_text="on breach: alert the manager and reassign")

    def __str__(self) -> str:
        return f"{self.get_segment_display()}: {self.minutes} min"


class SlaClock(models.Model):
    """One lead's response clock for one owner: started on arrival (or on a
    reassignment after a breach), stopped by the first human touch."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        MET = "met", "Met"
        BREACHED = "breached", "Breached"
        CANCELLED = "cancelled", "Cancelled"  # the lead left the desk first

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="sla_clocks")
    cycle = models.PositiveIntegerField(default=1)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="sla_clocks")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    touch = models.ForeignKey("leads.Touch", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text="the first human touch that stopped it")
    response_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="wall-clock seconds from start to first touch")
    breached_at = models.DateTimeField(null=True, blank=True)

    # A lead has one running clock (start_clock keeps it so): a merge keeps the
    # survivor's and sets the merged lead's aside (see intake/merge.py).
    merge_keeps_one = models.Q(state=State.RUNNING)

    class Meta:
        indexes = [
            models.Index(fields=["state", "due_at"], name="slaclock_state_due"),
            models.Index(fields=["owner", "state", "due_at"], name="slaclock_owner_due"),
            models.Index(fields=["lead", "state"], name="slaclock_lead_state"),
        ]

    def __str__(self) -> str:
        return f"SLA of lead {self.lead_id}: {self.state}, due {self.due_at:%Y-%m-%d %H:%M}"


class Alert(models.Model):
    """Something a manager (or a qualifier) must see: an SLA breach, a lead
    nobody could take, a fixed no-owner violation, a webhook that failed
    until it was switched off."""

    class Kind(models.TextChoices):
        SLA_BREACH = "sla_breach", "SLA breached"
        NOBODY_AVAILABLE = "nobody_available", "Nobody available"
        NO_OWNER = "no_owner", "Lead had no owner"
        NO_NEXT_STEP = "no_next_step", "Lead had no next step"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook switched off"
        NOT_NURTURED = "not_nurtured", "Lead in nurture had no cadence"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="alerts")
    team = models.ForeignKey("leads.Team", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="alerts")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        # Open alerts, newest first (partial: see leads.Task's indexes).
        indexes = [models.Index(fields=["created_at"], condition=models.Q(resolved_at__isnull=True),
                                name="alert_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"


class Experiment(models.Model):
    """A segment test: leads of a segment are split at random between arms
    that are treated differently (an SLA, a call script, a cadence: the
    `kind`, see experiments.KINDS), and the report compares how far each arm
    gets. The first arm (by position) is the control."""

    class Point(models.TextChoices):
        INTAKE = "intake", "when the lead arrives"
        ENROLLMENT = "enrollment", "when the lead enters nurture"

    name = models.CharField(max_length=200)
    hypothesis = models.TextField(blank=True)
    kind = models.CharField(max_length=20)
    conditions = models.JSONField(default=list, blank=True,
                                  help_text="the segment it applies to, as in routing rules")
    goal = models.CharField(max_length=12, help_text="the stage an arm converts to")
    min_effect = models.FloatField(
        default=0.05, help_text="the smallest difference in conversion worth seeing (0.05: "
                                "5 points); sets the sample size")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def running(self) -> bool:
        return self.stopped_at is None


class Arm(models.Model):
    """One way of treating the leads of a test: `value` is what the kind
    reads (minutes to the first call, a script's or a cadence's id)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=60)
    value = models.CharField(max_length=60)
    weight = models.PositiveSmallIntegerField(default=1, help_text="its share of the split")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["experiment", "label"],
                                               name="arm_label_unique")]

    def __str__(self) -> str:
        return self.label


class ExperimentAssignment(models.Model):
    """The arm a lead was given, once per test, with the cycle it was in:
    the report follows that cycle and the later ones from `at` on."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE,
                                   related_name="assignments")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="assignments")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE,
                             related_name="experiment_arms")
    cycle = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "lead"],
                                               name="assignment_one_per_test")]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.arm_id} of test {self.experiment_id}"
