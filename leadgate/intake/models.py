"""Where leads come from: sources, campaigns with their costs, and every raw
submission (an Inquiry), kept as received even when it is a duplicate."""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone


def default_form_fields() -> list[str]:
    return ["first_name", "last_name", "email", "phone", "company", "message"]


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

    @staticmethod
    def spread(amount: Decimal, first: date, last: date, start: date, end: date) -> Decimal:
        """The part of a cost over `first`..`last` (both days included) that
        falls from `start` to `end` (the day after the last), by days: a cost
        is taken as spent evenly over its period."""
        days = (last - first).days + 1
        overlap = (min(last + timedelta(days=1), end) - max(first, start)).days
        if overlap <= 0 or days <= 0:
            return Decimal(0)
        return amount * overlap / days


class MatchedBy(models.TextChoices):
    NEW = "new", "New lead"
    EMAIL = "email", "Same email"
    PHONE = "phone", "Same phone"


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
    form = models.ForeignKey(
        "WebForm", null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    # A "hot" request (contact me, demo) runs on the 5-minute SLA clock.
    is_hot = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # How intake placed it: a new lead, or attached to an existing one by email or phone.
    matched_by = models.CharField(max_length=10, choices=MatchedBy.choices, default="new")
    # Import rows: a digest of the row, so importing a file twice adds nothing.
    fingerprint = models.CharField(max_length=64, blank=True)
    consent_text = models.TextField(blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "inquiries"
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=~models.Q(fingerprint=""),
                name="inquiry_fingerprint_unique",
            )
        ]
        indexes = [
            models.Index(fields=["lead", "received_at"], name="inquiry_lead_at"),
            models.Index(fields=["campaign", "received_at"], name="inquiry_campaign_at"),
            models.Index(fields=["source", "received_at"], name="inquiry_source_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} inquiry {self.pk}"


class Arrival(models.Model):
    """A submission accepted for intake later: the API's `Prefer: respond-async`
    stores what arrived in one insert and answers 202 at once (a sender
    posting thousands of leads need not wait for matching, the account and
    the lead's first rows); a worker then takes it through receive() like any
    other inquiry (intake.arrivals) and records here what it became. Nothing is
    dropped: until taken it waits here, and the sweep queues it again if its
    task is lost; a submission intake refuses keeps the reason."""

    channel = models.CharField(max_length=10, choices=Inquiry.Channel.choices)
    # As receive() takes it: intake fields under their own names, the rest as sent.
    payload = models.JSONField()
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    is_hot = models.BooleanField(default=False)
    # Whom the sender acts for (receive()'s `by`), and who may read the
    # arrival back: the sending API key's prefix (the api app owns the keys).
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    sender = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    taken_at = models.DateTimeField(null=True, blank=True)
    inquiry = models.OneToOneField(Inquiry, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The lead as the sender may see it (null: a lead of someone else's it joined).
    lead_id_shown = models.BigIntegerField(null=True, blank=True)
    created = models.BooleanField(null=True, blank=True)
    warnings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    error_field = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["received_at"], condition=models.Q(taken_at__isnull=True),
                                name="arrival_waiting")]

    def __str__(self) -> str:
        return f"arrival {self.pk}"

    @property
    def status(self) -> str:
        if self.taken_at is None:
            return "queued"
        return "refused" if self.error else "taken"


class Activity(models.Model):
    """Something the lead did that signals interest, reported by marketing tools:
    a page visit, an email opened, clicked or replied to, an event attended.
    Engagement rules give points for them (decaying with age); unlike an inquiry
    it asks for nothing, so it never starts a clock or a new cycle."""

    class Kind(models.TextChoices):
        PAGE_VISIT = "page_visit", "Page visit"
        EMAIL_OPEN = "email_open", "Email opened"
        EMAIL_CLICK = "email_click", "Email link clicked"
        EMAIL_REPLY = "email_reply", "Email replied"
        CONTENT_DOWNLOAD = "content_download", "Content downloaded"
        EVENT_REGISTERED = "event_registered", "Registered for an event"
        EVENT_ATTENDED = "event_attended", "Attended an event"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The page URL, the email's subject or the event's name: engagement rules can
    # require a part of it (a visit to /pricing weighs more than one to /blog).
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    # The sender's own id for the event, so a redelivered event is stored once;
    # an id is the sender's and is about one lead: another tool may use the same.
    external_id = models.CharField(max_length=200, blank=True)
    sender = models.CharField(max_length=40, blank=True, help_text="'key:<id>': the API key")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "lead", "external_id"], condition=~models.Q(external_id=""),
                name="activity_sender_lead_external_id",
            )
        ]
        indexes = [models.Index(fields=["lead", "at"], name="activity_lead_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by lead {self.lead_id}"


def new_form_key() -> str:
    return secrets.token_urlsafe(12)


class WebForm(models.Model):
    """A form marketing puts on a website; it posts to `/f/<key>`."""

    key = models.CharField(max_length=32, unique=True, default=new_form_key, editable=False)
    name = models.CharField(max_length=200)
    # The fields the form shows, in order: names of intake fields
    # (`intake.fields.FIELDS`); anything else a page sends is kept in the payload.
    fields = models.JSONField(default=default_form_fields)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)
    is_hot = models.BooleanField(
        default=False, help_text="a contact-me or demo request: on the 5-minute SLA clock"
    )
    redirect_url = models.URLField(blank=True, help_text="where to send the visitor after")
    thank_you = models.TextField(default="Thank you, we will be in touch shortly.")
    # Origins (scheme://host[:port]) allowed to post from a browser; one a line.
    allowed_origins = models.TextField(blank=True)
    consent_text = models.TextField(
        blank=True, help_text="when set, the form asks for consent with this text"
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines()
                if line.strip()]


class DuplicateCandidate(models.Model):
    """Two leads that may be one person (a fuzzy match): a user merges them or
    keeps them apart."""

    class Status(models.TextChoices):
        OPEN = "open", "To review"
        MERGED = "merged", "Merged"
        KEPT_APART = "kept_apart", "Kept apart"

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "candidate"], name="duplicate_pair_unique")
        ]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_review")]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} ~ lead {self.candidate_id} ({self.score:.0f})"


class Merge(models.Model):
    """One lead merged into another: what moved, so it can be undone."""

    survivor = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="merges")
    merged_lead_id = models.BigIntegerField()
    # The merged lead's row as it was, and the survivor's fields the merge filled.
    snapshot = models.JSONField()
    filled = models.JSONField(default=dict)
    # {"app_label.model": {"field": "lead", "ids": [...]}}: the rows moved across.
    moved = models.JSONField(default=dict)
    # {"app_label.model": {"field": "lead", "rows": [...]}}: the merged lead's
    # rows of a kind the survivor had its one of (a score, a claim), as they were.
    dropped = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Lead {self.merged_lead_id} merged into lead {self.survivor_id}"


class ImportRun(models.Model):
    """One import of a file: what was asked, what happened, and where the
    rejected rows are listed.

    An import or preview started in the web app is a background job
    (intake.import_jobs): its run is created queued, holding all the job needs
    (the options asked for and the stored name of the upload), and a worker
    takes it through running to done or failed, writing the rows read so far
    as it goes. A `leadgate import` run is running, then done (or failed)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=255)
    preset = models.CharField(max_length=30, blank=True)
    mapping = models.JSONField(default=dict)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)
    dry_run = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="already imported")
    rejected = models.PositiveIntegerField(default=0)
    errors_file = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveIntegerField(default=0, help_text="rows read so far")
    fraction = models.FloatField(null=True, blank=True,
                                 help_text="of the file read so far, when the reader tells")
    progress_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True, help_text="why it stopped, as the user is told")
    # What the job is asked (ImportOptions' target, mapping, source, campaign,
    # encoding; preset, dry_run and by are fields of their own).
    options = models.JSONField(default=dict, blank=True)
    upload = models.CharField(max_length=64, blank=True,
                              help_text="the upload's stored name in imports/uploads")
    task_id = models.CharField(max_length=64, blank=True, help_text="the job's task result")

    ACTIVE = (State.QUEUED, State.RUNNING)

    def __str__(self) -> str:
        return f"Import of {self.file_name}"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    def note_progress(self, rows: int, fraction: float | None = None) -> None:
        """The rows read so far: one UPDATE of this row alone (in autocommit
        when the import holds no transaction, as between its chunks)."""
        now = timezone.now()
        ImportRun.objects.filter(pk=self.pk).update(progress=rows, fraction=fraction,
                                                    progress_at=now)
        self.progress, self.fraction, self.progress_at = rows, fraction, now

    def fail(self, failure: str) -> bool:
        """Mark a queued or running run failed with the reason the user reads;
        False when it had finished meanwhile (then it is left as it is)."""
        now = timezone.now()
        failed = ImportRun.objects.filter(pk=self.pk, state__in=self.ACTIVE).update(
            state=self.State.FAILED, failure=failure, finished_at=now)
        if failed:
            self.state, self.failure, self.finished_at = self.State.FAILED, failure, now
        return bool(failed)


class RateWindow(models.Model):
    """How many requests one key (a form and a client address) made in one
    minute. Kept in the database, not in process memory, so every web process
    and machine counts against the same limit."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratewindow_unique")
        ]
        # Pruning deletes old windows by time.
        indexes = [models.Index(fields=["window_start"], name="ratewindow_start")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M}: {self.count}"
