"""What enrichment found about a lead, and the HTTP provider's cache and rate counter."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Enrichment(models.Model):
    """The current value of one fact about a lead, the provider that set it and
    when it last changed. A re-run that finds the same value keeps the time."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="enrichments")
    field = models.CharField(max_length=64)
    value = models.JSONField(null=True, blank=True)
    provider = models.CharField(max_length=32)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "field"], name="enrichment_lead_field")
        ]
        # The sweep that retries failed providers finds error facts by name.
        indexes = [models.Index(fields=["field", "at"], name="enrichment_field_at")]

    def __str__(self) -> str:
        return f"{self.field}={self.value!r} ({self.provider})"


class ProviderCache(models.Model):
    """A provider's answer for one key (such as a domain), reused within its TTL
    so the same company is not paid for twice."""

    provider = models.CharField(max_length=32)
    key = models.CharField(max_length=300)
    data = models.JSONField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "key"], name="providercache_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.key}"
