"""The event stream: what happens to a lead, written in the transaction that
makes it happen, read after commit by whoever cares (webhooks, the live desks,
later stages), each at its own pace and from where it stopped.

    record("lead.assigned", lead, actor=by, previous_owner=old_owner_id)

appends an `Event` row in the caller's transaction: it rolls back with the
change. A consumer registers from its own app, so that no lower stage imports
a later one:

    @subscribe("webhooks", kinds={"stage.moved", "sla.breached"})
    def queue_deliveries(events: list[Event]) -> None: ...

`consume(name)` hands it the next events of its kinds, in order of position,
and advances its cursor (EventCursor) in the same transaction as its handling:
a consumer that fails mid-batch is rolled back whole and handed the same
events again; none is lost or handled twice. The `dispatch_events` task runs
every consumer every few seconds; the live desks read the stream directly.

Positions. On SQLite one writer at a time commits rows in id order. On
PostgreSQL ids are taken at insert and transactions commit in any order: a
reader that saw id 101 may not yet see id 100. Each row therefore carries its
writing transaction's id (`txid`), and a reader takes only rows of
transactions older than every transaction still running (the horizon): no
row can appear later before a position it has passed. Order across
transactions is the order in which they started writing; within one, the
order of its rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import Event, EventCursor

logger = logging.getLogger(__name__)

# Every kind of event, and what it says. `data` holds ids and the facts of the
# change (never a copy of the lead: the lead's row is the truth).
KINDS = {
    "inquiry.received": "an inquiry came in (data: inquiry, channel, created: a new lead)",
    "stage.moved": "the lead moved (data: change, from, to, reason; handoff, outcome, amount)",
    "lead.assigned": "the lead got an owner or a team (data: assignment, team, rule, why)",
    "sla.started": "a response clock started (data: clock, due_at, policy)",
    "sla.tightened": "a hotter inquiry brought a running clock's due time closer (data: clock)",
    "sla.stopped": "a response clock stopped: first response or off the desk (data: clock)",
    "sla.breached": "nobody responded in time (data: clock, due_at, breached_at)",
    "touch.logged": "a call, email or message was logged (data: touch, channel, disposition)",
    "claim.taken": "a qualifier claimed the lead from a pool",
    "claim.released": "a qualifier's claim ended",
    "verdict.given": "a qualification verdict (data: qualification, verdict)",
    "handoff.sent": "handed off to sales with a dossier (data: handoff, to)",
    "handoff.accepted": "sales accepted the handoff (data: handoff)",
    "handoff.rejected": "sales rejected the handoff (data: handoff, reason)",
    "outcome.recorded": "an opportunity, a win or a loss (data: outcome, kind, amount)",
    "lead.merged": "another lead was merged into this one, or that merge was undone "
                   "(data: merge, merged, undone)",
    "score.graded": "the lead's grade changed (data: from, to)",
    "email.opened": "a person opened an email sent to the lead (data: email, kind)",
    "email.clicked": "a person followed a link of an email (data: email, url)",
    "email.replied": "the lead answered an email (data: email, inbound, text)",
    "email.bounced": "an email to the lead bounced for good (data: email, address, reason)",
    "email.complained": "the lead marked an email as spam (data: email, address)",
    "email.unsubscribed": "the lead unsubscribed (data: email, address)",
    "lead.suppressed": "the lead's address was put on the suppression list by hand "
                       "(data: address, reason)",
    "nurture.enrolled": "enrolled in a nurture cadence (data: enrollment, cadence, version, "
                        "number, trigger)",
    "nurture.stepped": "a nurture step was done or skipped (data: enrollment, step, kind, "
                       "status, email, task)",
    "nurture.rested": "a cadence ended without engagement: the lead rests (data: enrollment, "
                      "until)",
    "nurture.exited": "the lead left its cadence (data: enrollment, reason, detail)",
    "experiment.assigned": "the lead joined a segment test in one of its arms (data: "
                           "experiment, name, arm, label)",
    "nurture.returned": "the lead came back from nurture to the desk (data: enrollment, "
                        "trigger, detail, to)",
}

# A consumer's batch, and how long one dispatch may keep going: it runs every
# few seconds and must not hold a worker (or, on SQLite, the writer) for long.
BATCH = 200
DISPATCH_SECONDS = 1.0

UNSET: Any = object()


@dataclass(frozen=True)
class NewEvent:
    """An event to append (see new()); the stream holds it as an Event row."""

    kind: str
    lead_id: int | None
    cycle: int | None
    actor_id: int | None
    owner_id: int | None
    previous_owner_id: int | None
    at: datetime
    data: dict


def new(kind: str, lead: Any = None, *, actor: Any = None, owner: Any = UNSET,
        previous_owner: int | None = None, cycle: int | None = None,
        data: dict | None = None, at: datetime | None = None) -> NewEvent:
    """An event to append with record_many() (see record())."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if owner is UNSET:
        owner = getattr(lead, "owner_id", None)
    owner_id = getattr(owner, "pk", owner)
    return NewEvent(
        kind=kind, lead_id=getattr(lead, "pk", lead),
        cycle=cycle if cycle is not None else getattr(lead, "cycle", None),
        actor_id=getattr(actor, "pk", actor), owner_id=owner_id,
        previous_owner_id=previous_owner if previous_owner != owner_id else None,
        at=at or timezone.now(), data=data or {},
    )


def record(kind: str, lead: Any = None, **fields: Any) -> None:
    """Append one event in the caller's transaction. `lead` is a Lead (its
    owner and cycle are taken from it) or an id; `actor` a user or id (None:
    the system); `owner` overrides whose desk it concerns."""
    record_many([new(kind, lead, **fields)])


def touched(touch: Any) -> NewEvent:
    """The `touch.logged` event of a saved Touch."""
    return new("touch.logged", touch.lead, actor=touch.actor_id, at=touch.at,
               data={"touch": touch.pk, "channel": touch.channel, "direction": touch.direction,
                     "disposition": touch.disposition})


_COLUMNS = ("kind", "lead_id", "cycle", "actor_id", "owner_id", "previous_owner_id", "at",
            "data")


def record_many(events: Iterable[NewEvent]) -> None:
    """Append events made with new(), one statement. Written with the
    cursor: a model instance and the ORM's insert for each cost an API request
    more than the row does (the position column takes its default)."""
    rows = list(events)
    if not rows:
        return
    at, data = Event._meta.get_field("at"), Event._meta.get_field("data")
    assert isinstance(at, models.Field) and isinstance(data, models.Field)
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - the model's names
            [(row.kind, row.lead_id, row.cycle, row.actor_id, row.owner_id,
              row.previous_owner_id, at.get_db_prep_save(row.at, connection),
              data.get_db_prep_save(row.data, connection)) for row in rows])


# Reading ---------------------------------------------------------------------------

# The oldest transaction still running, as seen now (PostgreSQL): every row of
# an older one is committed or gone for good. The reader's own transaction
# counts as finished when it is the oldest (a test, or a consumer reading what
# it wrote itself): nothing older can still appear.
_HORIZON = """(
    SELECT CASE WHEN pg_current_xact_id_if_assigned() = pg_snapshot_xmin(s)
           THEN pg_snapshot_xmin(s)::text::bigint + 1
           ELSE pg_snapshot_xmin(s)::text::bigint END
    FROM (SELECT pg_current_snapshot() AS s) AS snapshot
)"""


def settled() -> QuerySet[Event]:
    """Events no transaction still running can precede: safe to read past."""
    if connection.vendor == "postgresql":
        return Event.objects.filter(txid__lt=RawSQL(_HORIZON, []))  # noqa: S611 - constant SQL
    if connection.vendor == "sqlite":
        return Event.objects.all()
    raise NotImplementedError(f"no event horizon for {connection.vendor}")


def after(position: tuple[int, int]) -> Q:
    """Events past `position` (txid, id)."""
    txid, event_id = position
    return Q(txid__gt=txid) | Q(txid=txid, id__gt=event_id)


def latest_position() -> tuple[int, int]:
    """The position of the newest settled event ((0, 0): none)."""
    row = settled().order_by("-txid", "-id").values_list("txid", "id").first()
    return (row[0], row[1]) if row else (0, 0)


def format_position(position: tuple[int, int]) -> str:
    return f"{position[0]}.{position[1]}"


def parse_position(text: str | None) -> tuple[int, int] | None:
    """A position as format_position() wrote it, or None for anything else."""
    parts = (text or "").strip().split(".")
    if len(parts) == 2 and all(part.isdigit() for part in parts):
        return int(parts[0]), int(parts[1])
    return None


# Consumers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    name: str
    kinds: frozenset[str]
    handle: Callable[[list[Event]], None]
    batch: int = BATCH


CONSUMERS: dict[str, Consumer] = {}


def subscribe(name: str, kinds: Iterable[str], *, batch: int = BATCH
              ) -> Callable[[Callable[[list[Event]], None]], Callable[[list[Event]], None]]:
    """Register `handle(events)` as the consumer `name` of these kinds. Its
    app imports the module at start (AppConfig.ready)."""
    wanted = frozenset(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown event kinds {sorted(unknown)}")

    def register(handle: Callable[[list[Event]], None]) -> Callable[[list[Event]], None]:
        CONSUMERS[name] = Consumer(name, wanted, handle, batch)
        return handle

    return register


def consume(name: str) -> int:
    """Hand consumer `name` its next batch and advance its cursor, in one
    transaction; returns how many events were read (0: it is up to date).
    Events of other kinds are read past without handing them over."""
    consumer = CONSUMERS[name]
    EventCursor.objects.get_or_create(name=name)
    with transaction.atomic():
        # One reader per consumer at a time: the next waits, then reads on.
        cursor = EventCursor.objects.select_for_update().get(name=name)
        rows = list(settled().filter(after((cursor.txid, cursor.event_id)))
                    .order_by("txid", "id")[:consumer.batch])
        if not rows:
            return 0
        mine = [event for event in rows if event.kind in consumer.kinds]
        if mine:
            consumer.handle(mine)
        cursor.txid, cursor.event_id = rows[-1].position
        cursor.updated_at = timezone.now()
        cursor.save(update_fields=["txid", "event_id", "updated_at"])
    return len(rows)


def consume_all(seconds: float = DISPATCH_SECONDS) -> int:
    """Run every consumer until it is up to date or `seconds` have passed;
    returns how many events were read in all. A consumer that fails is logged
    and left where it was (its batch comes again next time); the others run."""
    deadline = time.monotonic() + seconds
    read = 0
    for name in sorted(CONSUMERS):
        while True:
            try:
                got = consume(name)
            except Exception:
                logger.exception("event consumer %s failed; it retries from its cursor", name)
                break
            read += got
            if not got or time.monotonic() >= deadline:
                break
    return read
