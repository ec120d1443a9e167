"""Merging two leads of one person, and undoing it.

Every row that belongs to the merged lead (inquiries, touches, tasks, stage
history, handoffs, ... whatever app adds them) moves to the survivor; the
merged lead's row is kept as a snapshot in the Merge record and deleted. Undo
recreates it with its own id and moves exactly those rows back.

Rows a lead may have only one of (its score, its claim, one value per
enrichment field: a one-to-one field, a unique set of fields with the lead;
or a model's `merge_keeps_one`, e.g. the running SLA clock) cannot all move:
the survivor's stays, the merged lead's is kept in the Merge record and
deleted, and undo puts it back. A model names the constraints whose clash
refuses the merge instead, with the words for what clashes (`merge_refuses`:
a pending handoff), where dropping a row would lose work that someone still
has to settle.

Earlier merges into the merged lead move to the survivor too (they would
otherwise go with the deleted row and could no longer be undone), and the
merged lead's duplicate candidates are kept in the snapshot, so an undo puts
them back on the review list.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple, cast

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.after_save import queue_after_save
from leadgate.leads.lifecycle import CLOSED, FUNNEL, Stage
from leadgate.leads.models import Lead, StageChange, User, create_lead

from .accounts import match_account
from .fields import IntakeError, parse, resolve_names
from .models import DuplicateCandidate, Inquiry, MatchedBy, Merge

# Survivor fields a merge fills from the merged lead when they are empty.
FILLABLE = (
    "first_name", "last_name", "email", "phone", "title", "company_name", "website",
    "domain", "country", "time_zone", "account", "owner", "team", "source", "campaign",
)
# Rows that describe the pair itself rather than belong to the lead.
NOT_MOVED = (DuplicateCandidate, Merge)
# Side stages, ranked as the main stage they sit beside: a lead rejected by
# sales has been worked and handed off; a nurtured one is back to the start.
SIDE_STAGES = {Stage.REJECTED: Stage.WORKING, Stage.NURTURE: Stage.INQUIRY}
# Where the snapshot keeps the merged lead's duplicate candidates.
CANDIDATES_KEY = "_duplicate_candidates"


class MergeError(Exception):
    pass


def progress(lead: Lead) -> int:
    """How far along a lead is: the survivor of a merge is the one further on,
    so a merge never moves an active lead backwards."""
    if lead.stage in CLOSED:
        return -1  # a closed cycle yields to an open one
    stage = SIDE_STAGES.get(Stage(lead.stage), Stage(lead.stage))
    return FUNNEL.index(stage) if stage in FUNNEL else 0


def pick_survivor(a: Lead, b: Lead) -> tuple[Lead, Lead]:
    """(survivor, merged): the lead further along; on a tie, the older one."""
    def rank(lead: Lead) -> tuple[int, float, int]:
        return progress(lead), -lead.created_at.timestamp(), -(lead.pk or 0)

    return (a, b) if rank(a) >= rank(b) else (b, a)


def lead_relations() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) pointing at a lead by foreign key."""
    return [
        (cast(type[models.Model], rel.related_model), rel.field.name)
        for rel in Lead._meta.related_objects
        if (rel.one_to_many or rel.one_to_one) and rel.related_model not in NOT_MOVED
        # A later stage's summary of a lead is recomputed, not moved (it
        # hears of the merge from the event).
        and not getattr(rel.related_model, "merge_recomputes", False)
    ]


def lead_field(name: str) -> models.Field:
    return cast(models.Field, Lead._meta.get_field(name))


def snapshot(row: models.Model) -> dict:
    return {field.attname: field.value_from_object(row) for field in row._meta.concrete_fields}


def from_snapshot(model: type[models.Model], kept: dict) -> dict[str, Any]:
    """Field values from a snapshot, as the model takes them; a reference to a
    row deleted since (an account, an owner) becomes empty."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.attname not in kept:
            continue
        value = field.to_python(kept[field.attname])
        if field.is_relation and value is not None:
            related = cast(type[models.Model], field.related_model)
            if not related._default_manager.filter(pk=value).exists():
                value = None
        values[field.attname] = value
    return values


class OnePerLead(NamedTuple):
    """Fields that, with the lead, a model holds once (where `condition` holds)."""

    others: tuple[str, ...]
    condition: models.Q | None
    refuses: str  # what clashes ("pending handoff"): the merge is refused; "": a row is dropped
    name: str


def one_per_lead(model: type[models.Model], field: str) -> list[OnePerLead]:
    found = []
    if cast(models.Field, model._meta.get_field(field)).unique:
        found.append(OnePerLead((), None, "", field))
    for together in model._meta.unique_together:
        if field in together:
            found.append(OnePerLead(tuple(n for n in together if n != field), None, "",
                                    ", ".join(together)))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and field in constraint.fields:
            others = tuple(n for n in constraint.fields if n != field)
            found.append(OnePerLead(others, constraint.condition,
                                    getattr(model, "merge_refuses", {}).get(constraint.name, ""),
                                    constraint.name))
    keeps_one = getattr(model, "merge_keeps_one", None)
    if keeps_one is not None:
        found.append(OnePerLead((), keeps_one, "", "merge_keeps_one"))
    return found


def clashing(model: type[models.Model], field: str, survivor: Lead, merged: Lead) -> set[int]:
    """Ids of the merged lead's rows that the survivor holds the one of already.
    Raises MergeError for a clash that refuses the merge."""
    manager = model._default_manager
    found: set[int] = set()
    for rule in one_per_lead(model, field):
        theirs = manager.filter(**{field: survivor})
        mine = manager.filter(**{field: merged})
        if rule.condition is not None:
            theirs, mine = theirs.filter(rule.condition), mine.filter(rule.condition)
        taken = {tuple(row) for row in theirs.values_list(*rule.others)} if rule.others else (
            {()} if theirs.exists() else set())
        ids = {pk for pk, *key in mine.values_list("pk", *rule.others) if tuple(key) in taken}
        if ids and rule.refuses:
            raise MergeError(f"both leads have a {rule.refuses}, and a lead may have only "
                             f"one ({rule.name}): settle one first")
        found |= ids
    return found


@transaction.atomic
def merge(survivor: Lead, merged: Lead, *, by: User | None, reason: str = "") -> Merge:
    """Merge `merged` into `survivor`. Raises MergeError when it cannot be done:
    the same lead twice, a lead gone meanwhile, a survivor behind an active
    merged lead (the person would move backwards), rows that cannot share one
    lead (two pending handoffs)."""
    if survivor.pk == merged.pk:
        raise MergeError("a lead cannot be merged into itself")
    # Locked in id order, so two merges of one pair cannot wait on each other.
    locked = {
        lead.pk: lead
        for lead in Lead.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    if survivor.pk not in locked or merged.pk not in locked:
        raise MergeError("one of these leads no longer exists (merged or deleted meanwhile)")
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if merged.stage not in CLOSED and progress(merged) > progress(survivor):
        raise MergeError(
            f"lead {merged.pk} is further along ({merged.get_stage_display()}) than "
            f"lead {survivor.pk} ({survivor.get_stage_display()}): merge it the other way, "
            "so the person never moves backwards"
        )
    filled = {}
    for name in FILLABLE:
        attname = lead_field(name).attname
        if not getattr(survivor, attname) and getattr(merged, attname):
            filled[attname] = getattr(merged, attname)
            setattr(survivor, attname, filled[attname])
    moved, dropped = {}, {}
    for model, field in lead_relations():
        label = model._meta.label_lower
        rows = model._default_manager.filter(**{field: merged})
        clash = clashing(model, field, survivor, merged)
        if clash:
            dropped[label] = {"field": field, "rows": _json(
                [snapshot(row) for row in rows.filter(pk__in=clash).order_by("pk")])}
            rows.filter(pk__in=clash).delete()
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            try:
                with transaction.atomic():
                    rows.update(**{field: survivor})
            except IntegrityError as error:  # a rule one_per_lead() does not know
                raise MergeError(
                    f"these leads cannot share their {model._meta.verbose_name_plural} "
                    f"({error}): settle that first"
                ) from error
            moved[label] = {"field": field, "ids": ids}
    # Earlier merges into the merged lead stay undoable: they follow it.
    earlier = Merge.objects.filter(survivor=merged)
    earlier_ids = list(earlier.values_list("pk", flat=True))
    if earlier_ids:
        earlier.update(survivor=survivor)
        moved[Merge._meta.label_lower] = {"field": "survivor", "ids": earlier_ids}
    kept = snapshot(merged)
    kept[CANDIDATES_KEY] = list(
        DuplicateCandidate.objects.filter(
            models.Q(lead=merged) | models.Q(candidate=merged)
        ).values("id", "lead_id", "candidate_id", "score", "reasons", "status",
                 "resolved_by_id", "resolved_at", "created_at")
    )
    record = Merge.objects.create(
        survivor=survivor,
        merged_lead_id=merged.pk,
        snapshot=_json(kept),
        filled=_json(filled),
        moved=moved,
        dropped=dropped,
        reason=reason.strip() or "same person",
        by=by,
    )
    if filled:
        Lead.objects.filter(pk=survivor.pk).update(**filled)
    merged_id = merged.pk
    merged.delete()  # its duplicate candidates go with it (kept in the snapshot)
    events.record("lead.merged", survivor, actor=by,
                  data={"merge": record.pk, "merged": merged_id})
    # The merged lead's other likely duplicates may be the survivor's now.
    survivor_id = survivor.pk
    queue_after_save([survivor_id])
    return record


@transaction.atomic
def undo(record: Merge, *, by: User | None) -> Lead:
    """Recreate the merged lead and move its rows back."""
    record = Merge.objects.select_for_update().get(pk=record.pk)
    if record.undone_at:
        raise MergeError("this merge was undone already")
    if Lead.objects.filter(pk=record.merged_lead_id).exists():
        raise MergeError(f"lead {record.merged_lead_id} exists again; nothing to restore")
    restored = Lead(**from_snapshot(Lead, record.snapshot))
    try:
        with transaction.atomic():
            restored.save(force_insert=True)
            for label, move in record.moved.items():
                model = apps.get_model(label)
                model._default_manager.filter(pk__in=move["ids"]).update(
                    **{move["field"]: restored}
                )
            for label, drop in record.dropped.items():
                model = apps.get_model(label)
                for kept in drop["rows"]:
                    values = from_snapshot(model, kept)
                    values[model._meta.get_field(drop["field"]).attname] = restored.pk
                    model(**values).save(force_insert=True)
    except IntegrityError as error:
        raise MergeError(
            "this merge cannot be undone as things are now (for example, a handoff "
            "of the merged lead conflicts with a newer one): settle that first"
        ) from error
    # Put back the survivor's fields the merge filled, unless changed since.
    survivor = Lead.objects.select_for_update().get(pk=record.survivor_id)
    for attname, value in record.filled.items():
        field = lead_field(attname.removesuffix("_id"))
        if _json(getattr(survivor, attname)) == value:
            Lead.objects.filter(pk=survivor.pk).update(**{field.attname: field.get_default()})
    _restore_candidates(record.snapshot.get(CANDIDATES_KEY, []))
    record.undone_at, record.undone_by = timezone.now(), by
    record.save(update_fields=["undone_at", "undone_by"])
    for lead in (survivor, restored):
        events.record("lead.merged", lead, actor=by, data={
            "merge": record.pk, "merged": record.merged_lead_id, "undone": True})
    return restored


def _restore_candidates(rows: list[dict]) -> None:
    """The merged lead's duplicate candidates, back on the review list. The
    pair the merge resolved comes back open: the user now says they differ,
    or will say so."""
    for row in rows:
        pair = (row["lead_id"], row["candidate_id"])
        if Lead.objects.filter(pk__in=pair).count() != 2:
            continue  # the other lead is gone
        if DuplicateCandidate.objects.filter(
            models.Q(lead_id=pair[0], candidate_id=pair[1])
            | models.Q(lead_id=pair[1], candidate_id=pair[0])
        ).exists():
            continue
        status = row["status"]
        resolved = status != DuplicateCandidate.Status.KEPT_APART
        resolver = row["resolved_by_id"]
        if resolver and not User.objects.filter(pk=resolver).exists():
            resolver = None
        DuplicateCandidate.objects.create(
            lead_id=pair[0], candidate_id=pair[1], score=row["score"], reasons=row["reasons"],
            status=DuplicateCandidate.Status.OPEN if resolved else status,
            resolved_by_id=None if resolved else resolver,
            resolved_at=None if resolved else _datetime(row["resolved_at"]),
            created_at=_datetime(row["created_at"]) or timezone.now(),
        )


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but datetimes to the microsecond (it cuts them to
    milliseconds), so a restored lead has its exact times."""

    def default(self, o: object) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _json(value: object) -> Any:
    """Values as the JSONField stores them (datetimes and decimals as text)."""
    return json.loads(json.dumps(value, cls=_Encoder))


@transaction.atomic
def split_inquiry(inquiry: Inquiry, *, by: User | None, reason: str = "") -> Lead:
    """Undo an automatic match: intake attached `inquiry` to a lead by the same
    email or phone, but it is someone else. It becomes a new lead of its own
    (from its payload, with its own account match); the first lead keeps the rest."""
    inquiry = Inquiry.objects.select_for_update().select_related("lead").get(pk=inquiry.pk)
    old = inquiry.lead
    if inquiry.matched_by == MatchedBy.NEW:
        raise MergeError("this inquiry made its lead; there is nothing to split off")
    if not Inquiry.objects.filter(lead=old).exclude(pk=inquiry.pk).exists():
        raise MergeError("this is the lead's only inquiry; there is nothing to split off")
    payload = resolve_names(inquiry.payload)
    try:
        data = parse(payload)
    except IntakeError as error:
        raise MergeError(f"its payload does not make a lead: {error}") from error
    lead = create_lead(
        **data.lead_fields(), account=match_account(data.domain, data.company_name),
        source=inquiry.source, campaign=inquiry.campaign, owner=old.owner, team=old.team,
        by=by, at=inquiry.received_at,
    )
    StageChange.objects.filter(lead=lead).update(
        reason=f"split off lead {old.pk}: {reason.strip() or 'another person'}"
    )
    Inquiry.objects.filter(pk=inquiry.pk).update(lead=lead, cycle=1, matched_by=MatchedBy.NEW)
    queue_after_save([lead.pk])
    return lead
