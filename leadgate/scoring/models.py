"""The model registry: trained versions of each predictive model, one active per name."""

from __future__ import annotations

import io
from typing import Any

import joblib
from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from leadgate.leads.queue import enqueue_with_transaction


class ModelVersion(models.Model):
    """One trained model. Training a name again adds version n+1 and activates it."""

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=False)
    target = models.CharField(max_length=200, help_text="outcome column (or database outcome)")
    positive = models.CharField(max_length=200, help_text="the outcome value scored")
    features = models.JSONField(default=dict, help_text="columns, inferred kinds, encoding")
    training = models.JSONField(default=dict, help_text="rows, positives, columns, dropped")
    metrics = models.JSONField(default=dict, help_text="validation AUC, log loss, estimator")
    # The fitted pipeline, pickled by joblib. Only models this application trained
    # itself are ever stored here and loaded back; never load a user-supplied pickle
    # (unpickling runs arbitrary code).
    artifact = models.BinaryField()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="scoring_name_version"),
            models.UniqueConstraint(fields=["name"], condition=Q(active=True),
                                    name="scoring_one_active_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}{' (active)' if self.active else ''}"

    def load(self) -> dict[str, Any]:
        """The trained artifact (see leadgate.scoring.model.pipeline)."""
        return joblib.load(io.BytesIO(bytes(self.artifact)))  # our own pickles only

    @staticmethod
    def dump(artifact: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(artifact, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def register(cls, name: str, artifact: dict[str, Any], **fields: Any) -> ModelVersion:
        """Store a new version of `name` and make it the active one."""
        with transaction.atomic():
            # Lock the name's rows so two trainings cannot take the same number.
            existing = cls.objects.select_for_update().filter(name=name)
            last = existing.aggregate(last=Max("version"))["last"] or 0
            existing.filter(active=True).update(active=False)
            version = cls.objects.create(name=name, version=last + 1, active=True,
                                         artifact=cls.dump(artifact), **fields)
            version.rescore_leads()
            return version

    @classmethod
    def active_for(cls, name: str) -> ModelVersion | None:
        return cls.objects.filter(name=name, active=True).first()

    def activate(self) -> None:
        with transaction.atomic():
            ModelVersion.objects.filter(name=self.name, active=True).exclude(pk=self.pk).update(
                active=False)
            ModelVersion.objects.filter(pk=self.pk).update(active=True)
            self.active = True
            self.rescore_leads()

    def rescore_leads(self) -> None:
        """Now in force: if this is the lead model, every open lead's probability
        is refreshed in the background (queued with the activation)."""
        # predict imports this module, and the tasks import predict
        from .predict import is_lead_model
        from .tasks import score_open_leads_with_model

        if self.active and is_lead_model(self):
            enqueue_with_transaction(score_open_leads_with_model)


class ModelTraining(models.Model):
    """One training of the lead model started from the models page: a
    background job (scoring.tasks.train_lead_model) takes it from queued
    through running to done (with the version it made) or failed (with why)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100)
    outcome = models.CharField(max_length=20, default="accepted")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True, help_text="what it is doing, or why it failed")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    ACTIVE = (State.QUEUED, State.RUNNING)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"training of {self.name} ({self.state})"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE


# --- Rule scoring -----------------------------------------------------------

FIT_GRADES = ("A", "B", "C", "D")  # best first
ENGAGEMENT_LEVELS = (1, 2, 3, 4)  # most engaged first: "A1" is the hottest lead


class RuleSet(models.Model):
    """One version of the scoring rules with its grade cut-offs and MQL rule.

    Versions are never edited in place once used: `new_version()` copies one
    (rules included) and `activate()` makes the copy the one in force. Grades:
    fit A (>= fit_a) .. D; engagement level 1 (>= engagement_1, the most
    engaged) .. 4. "fit >= B" means A or B; "engagement >= 2" means 1 or 2.
    """

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(default=False)
    # Set when first put in force: from then on the version is history, never edited.
    activated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    half_life_days = models.FloatField(
        default=30.0, help_text="engagement half-life of rules that set none")
    fit_a = models.IntegerField(default=50, help_text="fit points for grade A")
    fit_b = models.IntegerField(default=30, help_text="fit points for grade B")
    fit_c = models.IntegerField(default=15, help_text="fit points for grade C (below: D)")
    engagement_1 = models.FloatField(default=40, help_text="engagement points for level 1")
    engagement_2 = models.FloatField(default=20, help_text="engagement points for level 2")
    engagement_3 = models.FloatField(
        default=5, help_text="engagement points for level 3 (below: 4)")
    mql_min_fit = models.CharField(
        max_length=1, default="B", choices=[(g, g) for g in FIT_GRADES],
        help_text="MQL: this fit grade or better")
    mql_min_engagement = models.PositiveSmallIntegerField(
        default=2, choices=[(n, str(n)) for n in ENGAGEMENT_LEVELS],
        help_text="MQL: this engagement level or better (1 is the most engaged)")
    mql_hot = models.BooleanField(
        default=True, help_text="MQL: a hot inquiry in the current cycle is enough")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True),
                                    name="scoring_one_active_ruleset"),
        ]

    def __str__(self) -> str:
        return f"rules v{self.version}{' (active)' if self.active else ''}"

    def fit_grade(self, points: float) -> str:
        for grade, cut in (("A", self.fit_a), ("B", self.fit_b), ("C", self.fit_c)):
            if points >= cut:
                return grade
        return "D"

    def engagement_level(self, points: float) -> int:
        for level, cut in ((1, self.engagement_1), (2, self.engagement_2),
                           (3, self.engagement_3)):
            if points >= cut:
                return level
        return 4

    def grade(self, fit: float, engagement: float) -> str:
        return f"{self.fit_grade(fit)}{self.engagement_level(engagement)}"

    @classmethod
    def active_one(cls) -> RuleSet | None:
        return cls.objects.filter(active=True).first()

    @classmethod
    def new_version(cls, from_: RuleSet | None = None, *, created_by: Any = None,
                    note: str = "") -> RuleSet:
        """A new, inactive version copying `from_` (default: the active one), rules
        included. Edit it, preview it, then `activate()` it."""
        with transaction.atomic():
            # Lock the versions so two editors cannot take the same number.
            last = cls.objects.select_for_update().aggregate(last=Max("version"))["last"] or 0
            source = from_ if from_ is not None else cls.active_one()
            copied = {}
            if source is not None:
                copied = {
                    field.name: getattr(source, field.name)
                    for field in cls._meta.concrete_fields
                    if field.name not in ("id", "version", "created_at", "created_by",
                                          "active", "activated_at", "note")
                }
            ruleset = cls.objects.create(version=last + 1, active=False, note=note,
                                         created_by=created_by, **copied)
            if source is not None:
                Rule.objects.bulk_create([
                    Rule(ruleset=ruleset, kind=rule.kind, name=rule.name, field=rule.field,
                         operator=rule.operator, value=rule.value, points=rule.points,
                         half_life_days=rule.half_life_days)
                    for rule in source.rules.order_by("pk")
                ])
            return ruleset

    @property
    def editable(self) -> bool:
        """Only a draft (never put in force) may change: scores name their version."""
        return self.activated_at is None

    def activate(self) -> None:
        """Put this version in force and rescore every lead with it (in the background)."""
        from .tasks import rescore_all  # the tasks import the rules, which import this

        with transaction.atomic():
            RuleSet.objects.filter(active=True).exclude(pk=self.pk).update(active=False)
            if self.activated_at is None:
                self.activated_at = timezone.now()
            RuleSet.objects.filter(pk=self.pk).update(active=True,
                                                      activated_at=self.activated_at)
            self.active = True
            enqueue_with_transaction(rescore_all)


class Rule(models.Model):
    """Points for a fit condition or for each engagement event (decaying)."""

    class Kind(models.TextChoices):
        FIT = "fit", "Fit"
        ENGAGEMENT = "engagement", "Engagement"

    class Operator(models.TextChoices):
        EQ = "eq", "equals"
        NE = "ne", "does not equal"
        IN = "in", "is one of"
        CONTAINS = "contains", "contains"
        GTE = "gte", ">="
        LTE = "lte", "<="
        EXISTS = "exists", "exists (value true) / is missing (value false)"

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)
    field = models.CharField(
        "field or event", max_length=200,
        help_text="fit: lead.<field>, account.<field> or fact.<enrichment fact>; "
                  "engagement: form:<form name or any>, inquiry:hot, "
                  "channel:<form|api|import|crm|manual>, touch:<channel|any>:<disposition|any>, "
                  "activity:<kind|any>[:<text in its detail>] (kinds: page_visit, email_open, "
                  "email_click, email_reply, content_download, event_registered, "
                  "event_attended)")
    operator = models.CharField(max_length=10, choices=Operator.choices, default=Operator.EQ,
                                help_text="fit rules only")
    value = models.JSONField(null=True, blank=True, help_text="fit rules only (JSON)")
    points = models.IntegerField()
    half_life_days = models.FloatField(
        null=True, blank=True, help_text="engagement only; empty: the rule set's")

    class Meta:
        ordering = ["ruleset", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"


class LeadScore(models.Model):
    """A lead's current scores. Rules: fit, engagement decayed as of computed_at,
    the grade and the reasons ({rule, kind, points, at} each). Model: the
    probability of the configured outcome from the active predictive model
    (its reasons are computed when shown: see scoring.predict.explain)."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="score")
    fit = models.FloatField(default=0)
    engagement = models.FloatField(default=0)
    grade = models.CharField(max_length=2, blank=True)  # "" until the rules score it
    reasons = models.JSONField(default=list)
    ruleset_version = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    probability = models.FloatField(null=True, blank=True)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    model_scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["grade"], name="leadscore_grade")]

    def __str__(self) -> str:
        return f"{self.grade} (fit {self.fit:g}, engagement {self.engagement:.1f})"
