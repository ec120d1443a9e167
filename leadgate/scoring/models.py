"""The model registry: trained versions of each predictive model, one active per name."""

from __future__ import annotations

import io
from typing import Any

import joblib
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone


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
            return cls.objects.create(name=name, version=last + 1, active=True,
                                      artifact=cls.dump(artifact), **fields)

    @classmethod
    def active_for(cls, name: str) -> ModelVersion | None:
        return cls.objects.filter(name=name, active=True).first()

    def activate(self) -> None:
        with transaction.atomic():
            ModelVersion.objects.filter(name=self.name, active=True).exclude(pk=self.pk).update(
                active=False)
            ModelVersion.objects.filter(pk=self.pk).update(active=True)
            self.active = True
