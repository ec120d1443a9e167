"""The qualifier's live queue: what to call next, in one order, and claims.

`queue_for(user)` answers three sections, each a read of an index range in
order that stops at its LIMIT (raw SQL: the SLA and follow-up sections of
the callable and held-back lists in one UNION ALL statement, the score
sections in a second one when a list still has room; then the leads shown,
with their claims, in one query):

1. **sla**: the user's running SLA clocks, soonest due first
   (index slaclock_owner_due: owner, state, due_at);
2. **follow-up**: the user's open tasks due now, best-scored lead first, then
   the oldest due. Usually few are due: they are read at once by due time
   (index task_assignee_due: assignee, due_at of open tasks) and ordered
   here; past FEW_DUE they are read in order from index task_assignee_rank
   (assignee, rank, due_at of open tasks) up to the LIMIT (`Task.rank` is the
   lead's score rank, kept by scoring: see leadgate.lib.score_rank);
3. **score**: the user's other leads on the desk with no task due, best score
   first (index lead_owner_rank: owner, score_rank).

Calling hours: a lead whose local time (its `time_zone`) is outside
settings.LEADGATE_CALLING_HOURS is **held back**: not in the callable list but
listed after it (at most HELD_BACK_LIMIT of them, `held_back=True`, same three
sections). The set of time zones outside the hours right now is computed in
Python (a few hundred names, cached per minute), sent once as a JSON list
and tested with `NOT IN`; a lead with no or an unknown time zone is never
held back.

A lead someone else has open (a live Claim) is marked with `claimed_by`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leadgate.leads import events
from leadgate.leads.lifecycle import ON_DESK, Role, Stage
from leadgate.leads.models import Account, Lead, Task, User
from leadgate.lib.timezones import is_time_zone, zone
from leadgate.lib.vendor import vendor
from leadgate.routing.models import SlaClock
from leadgate.scoring.models import LeadScore

from .models import Claim

HELD_BACK_LIMIT = 20
# Up to this many due follow-ups are read at once and sorted in Python; more
# are walked in rank order. A walk in rank order visits every open task of the
# qualifier when few are due (at a million leads, most of the queue's time).
FEW_DUE = 200
NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # the next due time of a lead without tasks
DESK_STAGES = sorted(ON_DESK)
# A lead in nurture is off the desk, but its nurture tasks (a call, a social
# touch, a personal email to review; the long-term verdict's re-contact) come
# to its owner's queue when due, ordered with the follow-ups.
NURTURE_TASKS = sorted((Task.Kind.NURTURE, Task.Kind.RECONTACT))
NOTED = (Task.Kind.CAME_BACK, Task.Kind.NURTURE)

SLA, FOLLOW_UP, SCORE = "sla", "follow-up", "score"


@dataclass
class QueueItem:
    lead: Lead
    reason: str  # "sla", "follow-up" or "score"
    due_at: datetime | None  # the SLA due time or the task's; None for "score"
    local_time: datetime | None  # now in the lead's time zone; None when unknown
    held_back: bool = False  # outside the lead's calling hours
    claimed_by: User | None = None  # someone else has the lead open
    # Why the lead is back or here: "Came back from nurture: replied - ...",
    # "Nurture: Call ..." for a nurture step's task; "" otherwise.
    note: str = ""

    @property
    def grade(self) -> str:
        score = getattr(self.lead, "score", None)
        return score.grade if score else ""

    @property
    def company(self) -> str:
        return self.lead.account.name if self.lead.account else self.lead.company_name


# --- calling hours ------------------------------------------------------------------------


def calling_hours(spec: str | None = None) -> tuple[time, time]:
    """"08:00-20:00" -> (08:00, 20:00). An end before the start wraps past midnight."""
    spec = spec or settings.LEADGATE_CALLING_HOURS
    start, _, end = spec.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def _inside(local: time, hours: tuple[time, time]) -> bool:
    start, end = hours
    return start <= local < end if start <= end else (local >= start or local < end)


@lru_cache(maxsize=4)
def _closed_zones_at(minute: datetime, spec: str) -> tuple[str, ...]:
    hours = calling_hours(spec)
    return tuple(sorted(
        name for name in available_timezones()
        if not _inside(minute.astimezone(ZoneInfo(name)).time(), hours)
    ))


def closed_zones(now: datetime) -> tuple[str, ...]:
    """Time zone names in which it is now outside calling hours (offsets are
    whole minutes, so the answer holds for the whole minute)."""
    minute = now.astimezone(ZoneInfo("UTC")).replace(second=0, microsecond=0)
    return _closed_zones_at(minute, settings.LEADGATE_CALLING_HOURS)


def local_time(lead: Lead, now: datetime) -> datetime | None:
    return now.astimezone(zone(lead.time_zone)) if is_time_zone(lead.time_zone) else None


# --- the queue ----------------------------------------------------------------------------


def queue_for(user: User, *, now: datetime | None = None, limit: int = 50) -> list[QueueItem]:
    """The user's queue: up to `limit` callable items (sla, follow-up, score),
    then up to HELD_BACK_LIMIT held-back ones in the same order."""
    now = now or timezone.now()
    closed = closed_zones(now)
    due = _few_due_follow_ups(user, now)
    picked = _picked(user, now, closed, limit, due)
    # The sections read ids from their indexes; the leads shown are loaded once.
    leads, claimed = _shown([lead_id for lead_id, *_rest in picked], user, now)
    claimers = User.objects.in_bulk(set(claimed.values())) if claimed else {}
    notes = _notes(list(leads), now)
    return [QueueItem(leads[lead_id], reason, due_at, local_time(leads[lead_id], now), held,
                      claimers.get(claimed.get(lead_id, 0)), notes.get(lead_id, ""))
            for lead_id, reason, due_at, held in picked if lead_id in leads]


def _notes(ids: list[int], now: datetime) -> dict[int, str]:
    """Per lead shown, the title of its open task that says why it is here:
    back from nurture (first), or a nurture step due. One query."""
    if not ids:
        return {}
    notes: dict[int, str] = {}
    rows = (Task.objects.open().filter(lead_id__in=ids, kind__in=NOTED, due_at__lte=now)
            .order_by("due_at", "pk").values_list("lead_id", "kind", "title"))
    for lead_id, kind, title in rows:
        if kind == Task.Kind.CAME_BACK or lead_id not in notes:
            notes[lead_id] = title
    return notes


# What a queue row shows of a lead (the rest of it is deferred).
SHOWN = ("id", "first_name", "last_name", "email", "company_name", "time_zone", "owner_id",
         "account_id")


def _instance(model: Any, values: dict[str, Any]) -> Any:
    """A model instance from some of its column values, the others deferred,
    as the ORM's .only() makes it (from_db takes values in field order)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _shown(ids: list[int], user: User, now: datetime) -> tuple[dict[int, Lead], dict[int, int]]:
    """The leads by id, with their account's name and their score, in one
    query that also finds who else holds a live claim on each (lead id ->
    user id). Instances as the ORM's .only() would make them: what the queue
    does not show is deferred."""
    if not ids:
        return {}, {}
    quote = connection.ops.quote_name
    lead, account, score, claim = (quote(model._meta.db_table)
                                   for model in (Lead, Account, LeadScore, Claim))
    columns = ", ".join(f"l.{quote(name)}" for name in SHOWN)
    # S608: the names come from the models, quoted; every value is a parameter.
    sql = (f"SELECT {columns}, a.name, s.id, s.grade, s.probability, c.user_id "  # noqa: S608
           f"FROM {lead} l "
           f"LEFT JOIN {account} a ON a.id = l.account_id "
           f"LEFT JOIN {score} s ON s.lead_id = l.id "
           f"LEFT JOIN {claim} c ON c.lead_id = l.id AND c.expires_at > %s AND c.user_id <> %s "
           f"WHERE l.id IN ({', '.join(['%s'] * len(ids))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), user.pk, *ids])
        rows = cursor.fetchall()
    # The related objects as select_related would cache them on the lead.
    account_field, score_rel = Lead.account.field, Lead.score.related
    leads: dict[int, Lead] = {}
    claimed: dict[int, int] = {}
    width = len(SHOWN)
    for row in rows:
        found: Lead = _instance(Lead, dict(zip(SHOWN, row[:width], strict=True)))
        name, score_id, grade, probability, claimer = row[width:]
        if found.account_id is not None:
            account_field.set_cached_value(
                found, _instance(Account, {"id": found.account_id, "name": name}))
        score_rel.set_cached_value(found, None if score_id is None else _instance(
            LeadScore, {"id": score_id, "lead_id": found.pk, "grade": grade,
                        "probability": probability}))
        leads[found.pk] = found
        if claimer is not None:
            claimed[found.pk] = claimer
    return leads, claimed


@lru_cache(maxsize=4)
def _as_json(zones: tuple[str, ...]) -> str:
    return json.dumps(zones)


@lru_cache(maxsize=4)
def _closed_set(zones: tuple[str, ...]) -> frozenset[str]:
    return frozenset(zones)


Picked = tuple[int, str, "datetime | None", bool]  # lead id, reason, due time, held back
# lead id, due time, rank, task id, the lead's time zone
DueRow = tuple[int, datetime, int, int, str]


def _due_tasks(user: User, now: datetime) -> QuerySet[Task]:
    return Task.objects.filter(assignee=user, done_at__isnull=True, due_at__lte=now).filter(
        Q(lead__stage__in=DESK_STAGES) | Q(lead__stage=Stage.NURTURE, kind__in=NURTURE_TASKS))


def _few_due_follow_ups(user: User, now: datetime) -> list[DueRow] | None:
    """The user's due follow-ups in queue order, when there are at most
    FEW_DUE of them (one range of index task_assignee_due); else None."""
    # Counted first on the index alone: reading many due rows with their
    # leads would cost more than the walk in rank order that they make fast.
    counted = Task.objects.filter(assignee=user, done_at__isnull=True, due_at__lte=now)
    if len(counted.order_by().values_list("pk", flat=True)[:FEW_DUE + 1]) > FEW_DUE:
        return None
    rows: list[DueRow] = list(
        _due_tasks(user, now).order_by("due_at", "pk")
        .values_list("lead_id", "due_at", "rank", "pk", "lead__time_zone"))
    rows.sort(key=lambda row: (row[2], row[1], row[3]))
    return rows


def _zone_filter(closed: tuple[str, ...], held_back: bool) -> str:
    """SQL keeping the leads `l` outside their calling hours (held back) or
    the others; the closed zones are the statement's `closed` CTE."""
    if not closed:
        return ""
    # NOT IN a subquery: a hashed subplan on PostgreSQL (IN would become a
    # join comparing every name), so the held-back test is "NOT (NOT IN)".
    outside = "l.time_zone NOT IN (SELECT name FROM closed)"
    return f" AND NOT ({outside})" if held_back else f" AND {outside}"


def _closed_cte(closed: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The closed zones, sent once as a JSON list, as a table `closed`."""
    if not closed:
        return "", []
    if vendor() == "sqlite":
        names = "SELECT value AS name FROM json_each(%s)"
    else:  # PostgreSQL
        names = "SELECT jsonb_array_elements_text(%s::jsonb) AS name"
    return f"WITH closed AS ({names}) ", [_as_json(closed)]


def _section_sql(reason: str, user: User, now: datetime, closed: tuple[str, ...],
                 held_back: bool, limit: int) -> tuple[str, list[Any]]:
    """One section as a SELECT of (lead id, due time) in queue order, LIMITed.
    Each reads one index range in order: slaclock_owner_due, task_assignee_rank
    or lead_owner_rank."""
    quote = connection.ops.quote_name
    lead, task, clock = (quote(model._meta.db_table) for model in (Lead, Task, SlaClock))
    zones = _zone_filter(closed, held_back)
    at = connection.ops.adapt_datetimefield_value(now)
    stages = ", ".join(["%s"] * len(DESK_STAGES))
    # S608 below: the names come from the models, quoted, and `zones` is this
    # module's SQL; every value (user, stages, times) is a parameter.
    if reason == SLA:
        sql = (f"SELECT c.lead_id AS lead_id, c.due_at AS due_at FROM {clock} c "  # noqa: S608
               f"JOIN {lead} l ON l.id = c.lead_id WHERE c.owner_id = %s AND c.state = %s{zones} "
               f"ORDER BY c.due_at, c.id")
        params = [user.pk, SlaClock.State.RUNNING]
    elif reason == FOLLOW_UP:
        sql = (f"SELECT t.lead_id AS lead_id, t.due_at AS due_at FROM {task} t "  # noqa: S608
               f"JOIN {lead} l ON l.id = t.lead_id WHERE t.assignee_id = %s "
               f"AND t.done_at IS NULL AND t.due_at <= %s "
               f"AND (l.stage IN ({stages}) OR (l.stage = %s AND t.kind IN (%s, %s))){zones} "
               f"ORDER BY t.{quote('rank')}, t.due_at, t.id")
        params = [user.pk, at, *DESK_STAGES, Stage.NURTURE, *NURTURE_TASKS]
    else:
        # "No open task due yet" as the lead's next due time, a scalar
        # subquery: PostgreSQL turns NOT EXISTS into an anti-join that reads
        # every due task of every qualifier, where this is one probe of
        # task_lead_open (lead, due_at of open tasks) per lead read.
        moment = connection.data_types["DateTimeField"]  # typed, for the UNION
        sql = (f"SELECT l.id AS lead_id, CAST(NULL AS {moment}) AS due_at "  # noqa: S608
               f"FROM {lead} l WHERE l.owner_id = %s "
               f"AND l.stage IN ({stages}){zones} AND COALESCE((SELECT t.due_at FROM {task} t "
               f"WHERE t.lead_id = l.id AND t.done_at IS NULL ORDER BY t.due_at LIMIT 1), %s) "
               f"> %s ORDER BY l.score_rank, l.id")
        params = [user.pk, *DESK_STAGES, connection.ops.adapt_datetimefield_value(NEVER), at]
    return f"{sql} LIMIT {int(limit)}", params


def _picked(user: User, now: datetime, closed: tuple[str, ...], limit: int,
            due: list[DueRow] | None) -> list[Picked]:
    """Lead ids in queue order, callable then held back. The SLA and
    follow-up sections of both passes are one statement (UNION ALL); the
    score sections a second one, only for a pass they still have room in."""
    passes = {False: limit, **({True: HELD_BACK_LIMIT} if closed else {})}
    picked: dict[bool, list[Picked]] = {held_back: [] for held_back in passes}
    seen: set[int] = set()

    def add(held_back: bool, reason: str, rows: list[tuple[int, Any]]) -> None:
        for lead_id, due_at in rows:
            if len(picked[held_back]) < passes[held_back] and lead_id not in seen:
                seen.add(lead_id)
                picked[held_back].append((lead_id, reason, _aware(due_at), held_back))

    first = [SLA] if due is not None else [SLA, FOLLOW_UP]
    found = _run_sections(user, now, closed, [(reason, held_back, most) for held_back, most
                                              in passes.items() for reason in first])
    closed_set = _closed_set(closed)
    for held_back in passes:
        add(held_back, SLA, found[(SLA, held_back)])
        if due is None:
            add(held_back, FOLLOW_UP, found[(FOLLOW_UP, held_back)])
        else:
            add(held_back, FOLLOW_UP, [(row[0], row[1]) for row in due
                                       if (row[4] in closed_set) == held_back])
    short = [(SCORE, held_back, most) for held_back, most in passes.items()
             if len(picked[held_back]) < most]
    if short:
        found = _run_sections(user, now, closed, short)
        for _reason, held_back, _most in short:
            add(held_back, SCORE, found[(SCORE, held_back)])
    return [item for held_back in passes for item in picked[held_back]]


def _run_sections(user: User, now: datetime, closed: tuple[str, ...],
                  sections: list[tuple[str, bool, int]]) -> dict[tuple[str, bool],
                                                                 list[tuple[int, Any]]]:
    """(reason, held back, most) sections in one statement: their rows by
    (reason, held back), each LIMITed to what it may contribute."""
    cte, params = _closed_cte(closed)
    parts = []
    for number, (reason, held_back, most) in enumerate(sections):
        # A lead may have several due tasks, and may be in the SLA section
        # too: later sections read enough to fill up after duplicates.
        sql, part_params = _section_sql(reason, user, now, closed, held_back,
                                        most if reason == SLA else 2 * most)
        # S608: `sql` is _section_sql's (names from the models, values as parameters).
        parts.append(f"SELECT {number} AS part, p.lead_id, p.due_at "  # noqa: S608
                     f"FROM ({sql}) AS p")
        params += part_params
    found: dict[tuple[str, bool], list[tuple[int, Any]]] = {
        (reason, held_back): [] for reason, held_back, _most in sections}
    with connection.cursor() as cursor:
        cursor.execute(cte + " UNION ALL ".join(parts), params)
        for number, lead_id, due_at in cursor.fetchall():
            reason, held_back, _most = sections[number]
            found[(reason, held_back)].append((lead_id, due_at))
    return found


def _aware(value: Any) -> datetime | None:
    """A due time as the raw cursor gives it (text on SQLite), aware in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


# --- claims -------------------------------------------------------------------------------


def claim(lead: Lead, user: User, *, now: datetime | None = None) -> User | None:
    """`user` opened the lead: claim it for LEADGATE_CLAIM_MINUTES (renewed on
    each opening). Returns who else is working it (their live claim stands),
    or None when the claim is now the user's. Tells the owner's live desk when
    the lead is claimed by someone other than the owner."""
    now = now or timezone.now()
    expires = now + timedelta(minutes=settings.LEADGATE_CLAIM_MINUTES)
    with transaction.atomic():
        current = Claim.objects.select_for_update().select_related("user").filter(
            lead=lead).first()
        if current is not None and current.user_id != user.pk and current.expires_at > now:
            return current.user
        fresh = current is None or current.user_id != user.pk or current.expires_at <= now
        if current is None:
            try:
                with transaction.atomic():
                    Claim.objects.create(lead=lead, user=user, claimed_at=now, expires_at=expires)
            except IntegrityError:  # someone claimed it this very moment
                other = Claim.objects.select_related("user").get(lead=lead)
                return other.user if other.user_id != user.pk else None
        else:
            Claim.objects.filter(pk=current.pk).update(
                user=user, expires_at=expires,
                **({"claimed_at": now} if fresh else {}))
        if fresh and lead.owner_id != user.pk:
            events.record("claim.taken", lead, actor=user, at=now)
    return None


def claims_on_opening(lead: Lead, user: User) -> bool:
    """Whether opening the lead claims it: a qualifier who may work it (its
    owner, a teammate, or anyone on a lead nobody owns). A manager or an
    admin looking at a lead does not take it from the qualifier's desk."""
    return user.has_role(Role.QUALIFIER) and (
        lead.owner_id in (None, user.pk) or (lead.team_id is not None
                                             and lead.team_id == user.team_id))


def release(lead: Lead, user: User) -> bool:
    """The user is done with the lead: drop their claim (True if there was one)."""
    with transaction.atomic():
        deleted, _ = Claim.objects.filter(lead=lead, user=user).delete()
        if deleted and lead.owner_id != user.pk:
            events.record("claim.released", lead, actor=user)
    return bool(deleted)


def claimed_by_other(lead: Lead, user: User, *, now: datetime | None = None) -> User | None:
    """Who else has a live claim on the lead, if anyone (expired claims do not count)."""
    now = now or timezone.now()
    current = (Claim.objects.select_related("user")
               .filter(lead=lead, expires_at__gt=now).exclude(user=user).first())
    return current.user if current else None
