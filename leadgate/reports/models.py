"""What the reports read: one row per lead and cycle (`CycleFact`), kept from
the event stream; the targets managers set; agreements to the lead definition.

A `CycleFact` is a summary, never the truth: every column is recomputed from
the lead's records (stage history, inquiries, touches, SLA clocks, handoffs,
outcomes) by `facts.compute()`. The `reports` consumer refreshes the rows of
the leads its events name; `leadgate reports rebuild` recomputes every row and
`leadgate reports check` compares the table with a full recomputation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class CycleFact(models.Model):
    """One lead in one cycle: where it came from, who had it, how far and how
    fast it got, what was done to it and what it was worth."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveIntegerField()
    # When the cycle began (its first inquiry; the lead's creation for the
    # first): the cohort a lead belongs to.
    entered_at = models.DateTimeField()
    # First touch of the cycle: the inquiry that opened it.
    source = models.ForeignKey("intake.Source", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey("intake.Campaign", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=10, blank=True)
    # The segment, as the lead is now.
    country = models.CharField(max_length=2, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employee_band = models.CharField(max_length=12, blank=True)
    grade = models.CharField(max_length=2, blank=True)
    team = models.ForeignKey("leads.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    # Who worked it: the qualifier who handed it off, else its owner in the cycle.
    qualifier = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    sales_rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # When the cycle first reached each stage of the waterfall. A stage passed
    # over (inquiry -> working) counts as reached when the next one was.
    mql_at = models.DateTimeField(null=True, blank=True)
    working_at = models.DateTimeField(null=True, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    opportunity_at = models.DateTimeField(null=True, blank=True)
    won_at = models.DateTimeField(null=True, blank=True)
    # How far it got: the index in lifecycle.FUNNEL (0 inquiry .. 6 won).
    furthest = models.PositiveSmallIntegerField(default=0)
    # Seconds from reaching each stage to reaching the next (empty: not yet):
    # the velocity of the waterfall, read without date arithmetic in SQL.
    inquiry_seconds = models.PositiveIntegerField(null=True, blank=True)
    mql_seconds = models.PositiveIntegerField(null=True, blank=True)
    working_seconds = models.PositiveIntegerField(null=True, blank=True)
    qualified_seconds = models.PositiveIntegerField(null=True, blank=True)
    accepted_seconds = models.PositiveIntegerField(null=True, blank=True)
    opportunity_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The side stage it went to last (disqualified, nurture, rejected or lost;
    # empty: none), with the reason given, even if it came back from it.
    exit = models.CharField(max_length=12, blank=True)
    exit_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True)
    # The cycle is still going (the lead's current cycle, not won, lost or
    # disqualified): not reaching a stage yet is not a loss.
    is_open = models.BooleanField(default=True)
    nurtured = models.BooleanField(default=False)
    # The first response clock of the cycle, and whose it was (a breach sends
    # the lead to a teammate: the first owner's speed is the one measured).
    sla_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    sla_policy = models.CharField(max_length=12, blank=True)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    # Seconds from the clock's start to the first touch by a person, also
    # when it came after a breach (the clock itself records only a met one).
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    # Touches by people in the cycle (outbound attempts, connections).
    touches = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    connects = models.PositiveIntegerField(default=0)
    meetings = models.PositiveIntegerField(default=0)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    last_touch_at = models.DateTimeField(null=True, blank=True)
    handoffs = models.PositiveIntegerField(default=0)
    reject_reason = models.CharField(max_length=24, blank=True)
    pipeline = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    # A merge recomputes the survivor's rows (event lead.merged) instead of
    # moving the merged lead's onto it (intake.merge.lead_relations).
    merge_recomputes = True

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "cycle"],
                                               name="cyclefact_one_per_cycle")]
        indexes = [
            models.Index(fields=["entered_at"], name="cyclefact_entered"),
            models.Index(fields=["qualifier", "entered_at"], name="cyclefact_qualifier"),
            models.Index(fields=["source", "entered_at"], name="cyclefact_source"),
            # Stages reached in a period (the scorecard, the qualifier report,
            # basis=reached): a tenth of the rows have each, so the period's
            # are read through these rather than by scanning the table.
            models.Index(fields=["accepted_at"], name="cyclefact_accepted"),
            models.Index(fields=["won_at"], name="cyclefact_won"),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id}, cycle {self.cycle}"


class Target(models.Model):
    """What a month should bring at one stage, for the company (team empty) or a team."""

    class Metric(models.TextChoices):
        INQUIRIES = "inquiries", "Inquiries"
        MQLS = "mqls", "MQLs"
        SALS = "sals", "SALs (accepted by sales)"
        OPPORTUNITIES = "opportunities", "Opportunities"
        WON = "won", "Won deals"
        REVENUE = "revenue", "Revenue"
        COST = "cost", "Marketing cost"

    month = models.DateField(help_text="the first day of the month")
    team = models.ForeignKey("leads.Team", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", help_text="empty: the whole company")
    metric = models.CharField(max_length=16, choices=Metric.choices)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "team", "metric"], name="target_once"),
            models.UniqueConstraint(fields=["month", "metric"], condition=models.Q(team=None),
                                    name="target_once_company"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.month:%Y-%m}: {self.value}"


class DefinitionAgreement(models.Model):
    """A manager or a sales lead agreeing to one version of the lead
    definition: the MQL rule of a rule set version and the sales-ready
    questions of the framework, as they read when agreed (`text`)."""

    digest = models.CharField(max_length=64, db_index=True,
                              help_text="what was agreed to, hashed: a new version has another")
    ruleset_version = models.PositiveIntegerField(null=True, blank=True)
    framework = models.CharField(max_length=20, blank=True)
    text = models.JSONField(default=dict)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    role = models.CharField(max_length=12)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["digest", "user"],
                                               name="agreement_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user} agreed to {self.digest[:8]}"
