"""The core: people who work leads, companies, leads and their stage history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from leadgate.lib.normalize import company_key
from leadgate.lib.score_rank import UNSCORED
from leadgate.lib.timezones import is_time_zone

from .lifecycle import CLOSED, ON_DESK, IllegalMove, Role, Stage, allowed_targets, check_move

# The records of what happens to a lead, which every stage reads (leads.records).
from .records import Handoff as Handoff
from .records import Outcome as Outcome
from .records import RejectReason as RejectReason
from .records import Task as Task
from .records import TaskQuerySet as TaskQuerySet
from .records import Touch as Touch

if TYPE_CHECKING:
    from django.db.models import QuerySet


def validate_time_zone(value: str) -> None:
    if value and not is_time_zone(value):
        raise ValidationError(f"{value!r} is not a time zone name such as 'Europe/Paris'")


class Team(models.Model):
    """A group of qualifiers (or sales reps) who share a pool of leads."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Business hours in the team's time zone, as leadgate.lib.business_hours
    # specs: {"mon-fri": "09:00-18:00"}; empty: that default. SLA clocks count them.
    hours = models.JSONField(default=dict, blank=True)
    holidays = models.JSONField(default=list, blank=True, help_text="local dates, YYYY-MM-DD")
    # Takes the leads no routing rule sends elsewhere when settings.LEADGATE_DEFAULT_TEAM
    # is empty (routing.assign.default_team); managers set it on the team hours page.
    # db_default too: rows written by code that predates the column (a data
    # migration's historical models, a process still running the old version).
    is_default = models.BooleanField(
        default=False, db_default=False,
        help_text="takes the leads no routing rule sends elsewhere")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="team_one_default")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person at the company. The role is the Django group of the role's name."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    @property
    def display_time_zone(self) -> str:
        """The user's time zone, or the site's if theirs is not a valid name
        (a bad value in the database must not break every page)."""
        return self.time_zone if is_time_zone(self.time_zone) else settings.TIME_ZONE

    @property
    def roles(self) -> set[str]:
        # Cached per instance: a page checks the role many times.
        cached = getattr(self, "_roles", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True))
            if self.is_superuser:
                cached.add(Role.ADMIN.value)
            self._roles = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_everything(self) -> bool:
        return self.has_role(Role.MANAGER, Role.ADMIN, Role.MARKETING)


class Account(models.Model):
    """A company. Leads of one company share an account (and its owner)."""

    name = models.CharField(max_length=200)
    # `lib.normalize.company_key` of the name: "ACME, Inc." and "Acme" meet here.
    name_key = models.CharField(max_length=200, blank=True, db_index=True)
    domain = models.CharField(max_length=253, blank=True, db_index=True)
    website = models.CharField(max_length=300, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    state = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=~Q(domain=""), name="account_domain_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = company_key(self.name)
        super().save(*args, **kwargs)


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user: User) -> LeadQuerySet:
        """Leads a user may open: managers, admins and marketing see all;
        qualifiers their own and their team's; sales reps what was handed to them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_everything:
            return self
        scope = Q(owner=user)
        if user.has_role(Role.QUALIFIER) and user.team_id:
            scope |= Q(team_id=user.team_id)
        if user.has_role(Role.SALES):
            scope |= Q(pk__in=Handoff.objects.filter(to_user=user).values("lead_id"))
        return self.filter(scope)

    def on_desk(self) -> LeadQuerySet:
        return self.filter(stage__in=ON_DESK)

    def open(self) -> LeadQuerySet:
        return self.exclude(stage__in=CLOSED)


class Lead(models.Model):
    """A person in a buying cycle. Each raw submission is an Inquiry of the lead."""

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=200, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    website = models.CharField(max_length=300, blank=True)
    # The company's domain, from the website or a non-free email address.
    domain = models.CharField(max_length=253, blank=True)
    # What normalization found: shown on the desk, used by scoring and routing.
    email_invalid = models.BooleanField(default=False)
    email_free = models.BooleanField(default=False, help_text="free-mail provider")
    email_role = models.BooleanField(default=False, help_text="shared mailbox such as info@")
    phone_invalid = models.BooleanField(default=False, help_text="kept as given")
    country = models.CharField(max_length=2, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    # Where the lead first came from; every later inquiry keeps its own.
    source = models.ForeignKey(
        "intake.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    campaign = models.ForeignKey(
        "intake.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.INQUIRY)
    cycle = models.PositiveIntegerField(default=1)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_leads"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When the steps after intake (duplicate search; later enrichment, scoring,
    # routing) last completed. Null: still to do, and a periodic sweep retries it.
    processed_at = models.DateTimeField(null=True, blank=True)
    # The score as one sortable number (leadgate.lib.score_rank), kept by
    # scoring so queues sort by an index; also copied onto open tasks.
    score_rank = models.PositiveIntegerField(default=UNSCORED, db_default=UNSCORED,
                                             editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        indexes = [
            # The qualifier's desk: my open leads, newest first.
            models.Index(fields=["owner", "stage", "-created_at"], name="lead_owner_stage"),
            # The live queue's leads by score (see leadgate.lib.score_rank).
            models.Index(fields=["owner", "score_rank"], name="lead_owner_rank"),
            models.Index(fields=["team", "stage"], name="lead_team_stage"),
            # Funnel and report queries by stage and month.
            models.Index(fields=["stage", "created_at"], name="lead_stage_created"),
            models.Index(fields=["created_at"], name="lead_created"),
            # Matching a returning person.
            models.Index(fields=["email"], name="lead_email"),
            models.Index(fields=["phone"], name="lead_phone"),
            # The sweep that retries unfinished after-intake steps.
            models.Index(
                fields=["created_at"], condition=Q(processed_at__isnull=True),
                name="lead_unprocessed",
            ),
            # Blocking for fuzzy duplicate search.
            models.Index(fields=["last_name"], name="lead_last_name"),
            # Lead lists sorted by grade, by country (and filtered by country).
            models.Index(fields=["score_rank", "created_at"], name="lead_rank_created"),
            models.Index(fields=["country", "created_at"], name="lead_country_created"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Lead {self.pk}"

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED

    def next_stages(self, user: User | None = None) -> list[Stage]:
        """The stages this lead may move to now, by this user if one is given."""
        targets = allowed_targets(self.stage)
        if user is None:
            return targets
        legal = []
        for target in targets:
            try:
                check_move(self.stage, target, user.roles, reason="-")
            except IllegalMove:
                continue
            legal.append(target)
        return legal

    @transaction.atomic
    def start_new_cycle(
        self, *, by: User | None = None, reason: str = "", at: datetime | None = None
    ) -> StageChange:
        """A closed lead came back: open a new cycle at `inquiry`; the old one
        stays in the history. (A move within a cycle is transitions.advance().)"""
        locked = Lead.objects.select_for_update().get(pk=self.pk)
        if locked.stage not in CLOSED:
            raise IllegalMove(
                f"lead is still in {locked.stage!r}: only a closed cycle "
                "(won, lost, disqualified) can be followed by a new one"
            )
        at = at or timezone.now()
        change = write_stage(locked, Stage.INQUIRY, cycle=locked.cycle + 1, by=by,
                             reason=reason.strip() or "returned: new cycle", at=at)
        self.stage, self.cycle, self.stage_changed_at = Stage.INQUIRY, change.cycle, at
        from .events import record  # events builds on this module's Event

        record("stage.moved", locked, actor=by, at=at, data={
            "change": change.pk, "from": change.from_stage, "to": change.to_stage,
            "reason": change.reason, "new_cycle": True})
        return change

    def history(self) -> QuerySet[StageChange]:
        return self.stage_changes.select_related("by").order_by("at", "pk")


class PeriodicJob(models.Model):
    """When each periodic job (leads.periodic) is next due. A scheduler claims a
    due row under a database lock, so several schedulers never run one twice."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    # The task result of the copy queued last: while it waits or runs, the job
    # is not queued again (a backlog must not pile up copies of a check).
    last_result_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.name


class SchedulerLease(models.Model):
    """Which scheduler is the active one (leads.periodic.hold_lease): several
    may run, on several hosts, for a quick take-over; one holds the lease and
    queues the jobs, renewing it at each turn, and another takes it once it
    has gone unrenewed past `expires_at` (its holder stopped or lost the
    database)."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    renewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"


class StageChange(models.Model):
    """One move of a lead between stages. Never updated, never deleted."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    cycle = models.PositiveIntegerField()
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="stage_changes"
    )
    reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead", "at"], name="stagechange_lead_at"),
            # Conversion and velocity: who reached a stage, when.
            models.Index(fields=["to_stage", "at"], name="stagechange_to_at"),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage or '∅'} → {self.to_stage}"


def write_stage(
    locked: Lead, target: str, *, cycle: int, by: User | None, reason: str, at: datetime
) -> StageChange:
    """Record a checked move of `locked` (the row locked by the caller) and set
    its stage: the one write of Lead.stage, for transitions.advance() and
    Lead.start_new_cycle(), which check the move first. Leads inserted with
    their past in bulk go through leads.history instead."""
    change = StageChange.objects.create(
        lead=locked, cycle=cycle, from_stage=locked.stage, to_stage=target, at=at, by=by,
        reason=reason.strip(),
    )
    Lead.objects.filter(pk=locked.pk).update(stage=target, cycle=cycle, stage_changed_at=at)
    locked.stage, locked.cycle, locked.stage_changed_at = target, cycle, at
    return change


def create_lead(*, by: User | None = None, at: datetime | None = None, **fields) -> Lead:
    """Create a lead at `inquiry` with the first entry of its history."""
    at = at or timezone.now()
    # No savepoint inside a caller's transaction: a failure here fails it whole.
    with transaction.atomic(savepoint=False):
        lead = Lead.objects.create(created_at=at, stage_changed_at=at, **fields)
        StageChange.objects.create(
            lead=lead, cycle=lead.cycle, from_stage="", to_stage=lead.stage, at=at, by=by,
            reason="received",
        )
    return lead


class WorkerHeartbeatQuerySet(models.QuerySet["WorkerHeartbeat"]):
    def alive(self) -> WorkerHeartbeatQuerySet:
        """Workers heard of within six heartbeats (settings)."""
        quiet = timedelta(seconds=settings.LEADGATE_WORKER_HEARTBEAT_SECONDS * 6)
        return self.filter(seen_at__gte=timezone.now() - quiet)

    def alive_ids(self) -> set[str]:
        return set(self.alive().values_list("worker_id", flat=True))


class WorkerHeartbeat(models.Model):
    """A background worker that is alive: `leadgate worker` refreshes its row
    every few seconds. A task still marked running by a worker whose row went
    quiet lost its worker (killed mid-task) and is failed by the reaper, so the
    sweeps that retry work see it as not pending any more."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    queues = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkerHeartbeatQuerySet.as_manager()

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host} (pid {self.pid})"


class TransactionId(models.Func):
    """The id of the transaction writing the row, as a column default: on
    PostgreSQL its xid8 (64 bits, never wraps), which tells a consumer of the
    event stream which rows may still be joined by a transaction that has not
    committed yet (leads.events); on SQLite 0, whose single writer commits rows
    in id order."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def]
        if connection.vendor == "postgresql":
            return "(pg_current_xact_id()::text::bigint)", []
        if connection.vendor == "sqlite":
            return "0", []
        raise NotImplementedError(f"no transaction id for {connection.vendor}")


class Event(models.Model):
    """Something that happened to a lead (leads.events.KINDS), appended in the
    transaction that made it happen: it exists exactly when the change does.
    Webhooks, the live desks and later stages read the stream after commit, by
    position (leads.events). Never updated, never deleted.

    Plain ids, no foreign keys: a row is written for nearly every change, and
    it outlives what it names (a merged lead, a deleted user)."""

    kind = models.CharField(max_length=40)
    lead_id = models.BigIntegerField(null=True, blank=True)
    cycle = models.PositiveIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)  # None: the system
    # Whose desk the event changes: the lead's owner after it, and before it
    # when it moved the lead away from someone.
    owner_id = models.BigIntegerField(null=True, blank=True)
    previous_owner_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # Times as ISO 8601 text.
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    txid = models.BigIntegerField(db_default=TransactionId(), editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["txid", "id"], name="event_position"),
            models.Index(fields=["owner_id", "txid", "id"], name="event_owner_position"),
            models.Index(fields=["previous_owner_id", "txid", "id"],
                         name="event_previous_owner_position",
                         condition=Q(previous_owner_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lead {self.lead_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def position(self) -> tuple[int, int]:
        return (self.txid, self.pk)


class EventCursor(models.Model):
    """How far a consumer of the event stream has read (leads.events.consume):
    the position of the last event it handled, advanced in the transaction of
    its handling."""

    name = models.CharField(max_length=100, unique=True)
    txid = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.txid}/{self.event_id}"
