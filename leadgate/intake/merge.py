"""Merging two leads of one person, and undoing it.

Every row that belongs to the merged lead (inquiries, touches, tasks, stage
history, handoffs, ... whatever app adds them) moves to the survivor; the
merged lead's row is kept as a snapshot in the Merge record and deleted. Undo
recreates it with its own id and moves exactly those rows back.
"""

from __future__ import annotations

import json
from typing import cast

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from leadgate.leads.lifecycle import CLOSED, FUNNEL, Stage
from leadgate.leads.models import Lead, User

from .models import DuplicateCandidate, Merge

# Survivor fields a merge fills from the merged lead when they are empty.
FILLABLE = (
    "first_name", "last_name", "email", "phone", "title", "company_name", "website",
    "domain", "country", "time_zone", "account", "owner", "team", "source", "campaign",
)
# Rows that describe the pair itself rather than belong to the lead.
NOT_MOVED = (DuplicateCandidate, Merge)


class MergeError(Exception):
    pass


def progress(lead: Lead) -> int:
    """How far along a lead is: the survivor of a merge is the one further on,
    so a merge never moves an active lead backwards."""
    if lead.stage in CLOSED:
        return -1  # a closed cycle yields to an open one
    stage = Stage(lead.stage)
    return FUNNEL.index(stage) if stage in FUNNEL else 0


def pick_survivor(a: Lead, b: Lead) -> tuple[Lead, Lead]:
    """(survivor, merged): the lead further along; on a tie, the older one."""
    def rank(lead: Lead) -> tuple[int, float]:
        return progress(lead), -lead.created_at.timestamp()

    return (a, b) if rank(a) >= rank(b) else (b, a)


def lead_relations() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) pointing at a lead by foreign key."""
    return [
        (cast(type[models.Model], rel.related_model), rel.field.name)
        for rel in Lead._meta.related_objects
        if rel.one_to_many and rel.related_model not in NOT_MOVED
    ]


def lead_field(name: str) -> models.Field:
    return cast(models.Field, Lead._meta.get_field(name))


def snapshot(lead: Lead) -> dict:
    return {
        field.attname: field.value_from_object(lead) for field in Lead._meta.concrete_fields
    }


@transaction.atomic
def merge(survivor: Lead, merged: Lead, *, by: User | None, reason: str = "") -> Merge:
    if survivor.pk == merged.pk:
        raise MergeError("a lead cannot be merged into itself")
    survivor = Lead.objects.select_for_update().get(pk=survivor.pk)
    merged = Lead.objects.select_for_update().get(pk=merged.pk)
    filled = {}
    for name in FILLABLE:
        attname = lead_field(name).attname
        if not getattr(survivor, attname) and getattr(merged, attname):
            filled[attname] = getattr(merged, attname)
            setattr(survivor, attname, filled[attname])
    moved = {}
    try:
        with transaction.atomic():
            for model, field in lead_relations():
                rows = model._default_manager.filter(**{field: merged})
                ids = list(rows.values_list("pk", flat=True))
                if ids:
                    rows.update(**{field: survivor})
                    moved[model._meta.label_lower] = {"field": field, "ids": ids}
    except IntegrityError as error:
        raise MergeError(f"these leads cannot be merged as they are: {error}") from error
    record = Merge.objects.create(
        survivor=survivor,
        merged_lead_id=merged.pk,
        snapshot=_json(snapshot(merged)),
        filled=_json(filled),
        moved=moved,
        reason=reason or "same person",
        by=by,
    )
    if filled:
        Lead.objects.filter(pk=survivor.pk).update(**filled)
    merged.delete()
    return record


@transaction.atomic
def undo(record: Merge, *, by: User | None) -> Lead:
    """Recreate the merged lead and move its rows back."""
    record = Merge.objects.select_for_update().get(pk=record.pk)
    if record.undone_at:
        raise MergeError("this merge was undone already")
    if Lead.objects.filter(pk=record.merged_lead_id).exists():
        raise MergeError(f"lead {record.merged_lead_id} exists again; nothing to restore")
    values = {
        field.attname: field.to_python(record.snapshot[field.attname])
        for field in Lead._meta.concrete_fields
        if field.attname in record.snapshot
    }
    restored = Lead(**values)
    restored.save(force_insert=True)
    for label, move in record.moved.items():
        model = apps.get_model(label)
        model._default_manager.filter(pk__in=move["ids"]).update(**{move["field"]: restored})
    # Put back the survivor's fields the merge filled, unless changed since.
    survivor = Lead.objects.select_for_update().get(pk=record.survivor_id)
    for attname, value in record.filled.items():
        field = lead_field(attname.removesuffix("_id"))
        if _json(getattr(survivor, attname)) == value:
            Lead.objects.filter(pk=survivor.pk).update(**{field.attname: field.get_default()})
    record.undone_at, record.undone_by = timezone.now(), by
    record.save(update_fields=["undone_at", "undone_by"])
    return restored


def _json(value: object) -> object:
    """Values as the JSONField stores them (datetimes and decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
