"""What qualifiers keep of their work on a lead: qualification answers, claims,
frameworks and call scripts. (Touches and next steps are core records, read by
every stage: leadgate.leads.records.)"""

from django.conf import settings
from django.db import models
from django.utils import timezone


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


class SavedView(models.Model):
    """A lead list's filters and order kept under a name (workspace.lists):
    the owner's own, or shared with a team (by a manager or an admin), listed
    beside the list for everyone in that team."""

    name = models.CharField(max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="saved_views")
    team = models.ForeignKey("leads.Team", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="saved_views", help_text="shared with this team")
    # The list's query parameters as given (validated by lists.ListFilters when used).
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"],
                                               name="savedview_owner_name")]

    def __str__(self) -> str:
        return self.name
