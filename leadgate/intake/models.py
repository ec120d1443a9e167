"""Where leads come from: sources, campaigns with their costs, and every raw
submission (an Inquiry), kept as received even when it is a duplicate."""

from django.db import models
from django.utils import timezone


class Source(models.Model):
    """A channel that produces leads: web forms, paid search, events, lists..."""

    class Kind(models.TextChoices):
        WEB = "web", "Website"
        PAID = "paid", "Paid media"
        EVENT = "event", "Event"
        PARTNER = "partner", "Partner"
        LIST = "list", "Purchased list"
        REFERRAL = "referral", "Referral"
        OUTBOUND = "outbound", "Outbound"
        OTHER = "other", "Other"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    name = models.CharField(max_length=200, unique=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="campaigns")
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class CampaignCost(models.Model):
    """What a campaign cost over a period (usually a month): the base of
    cost-per-lead and cost-per-qualified-lead."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="costs")
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "period_start"], name="campaigncost_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="campaigncost_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.amount} {self.currency} from {self.period_start}"


class Inquiry(models.Model):
    """One raw submission as it arrived, attached to the lead it belongs to."""

    class Channel(models.TextChoices):
        FORM = "form", "Web form"
        API = "api", "API"
        IMPORT = "import", "Import"
        CRM = "crm", "CRM sync"
        MANUAL = "manual", "Entered by hand"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="inquiries")
    cycle = models.PositiveIntegerField(default=1)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    # A "hot" request (contact me, demo) runs on the 5-minute SLA clock.
    is_hot = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "inquiries"
        indexes = [
            models.Index(fields=["lead", "received_at"], name="inquiry_lead_at"),
            models.Index(fields=["campaign", "received_at"], name="inquiry_campaign_at"),
            models.Index(fields=["source", "received_at"], name="inquiry_source_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} inquiry {self.pk}"
