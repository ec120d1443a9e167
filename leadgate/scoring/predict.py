"""The predictive score of leads: the active lead model applied to leads in the
database, stored on their LeadScore (probability and model version).

The lead model is the active version named settings.LEADGATE_LEAD_MODEL that
was trained from the database (its features are `scoring.database.FEATURES`;
a model trained on a CSV export scores CSV files, not leads). Scoring is
vectorized: rows of BATCH leads are read with a few queries, encoded, predicted
at once and upserted. Reasons are not stored: `explain()` computes them for
the one lead being shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from leadgate.leads.models import Lead
from leadgate.lib.score_rank import score_rank

from .database import lead_rows
from .model import pipeline, tabular
from .models import LeadScore, ModelVersion
from .ranks import apply_ranks
from .reasons import about_the_lead, in_words
from .rules import id_batches

BATCH = 20_000
# The model's columns of LeadScore, by raw executemany (the ORM's bulk upsert
# prepares every value of every row: most of the time at a million leads). A
# lead without a score row gets one with empty rule columns.
UPSERT = (
    "INSERT INTO {table} (lead_id, probability, model_version_id, model_scored_at, fit, "
    "engagement, grade, reasons) VALUES (%s, %s, %s, %s, 0, 0, '', '[]') "
    "ON CONFLICT (lead_id) DO UPDATE SET probability = excluded.probability, "
    "model_version_id = excluded.model_version_id, model_scored_at = excluded.model_scored_at"
)


def is_lead_model(version: ModelVersion) -> bool:
    return (version.name == settings.LEADGATE_LEAD_MODEL
            and bool(version.training.get("from_database")))


def lead_model() -> ModelVersion | None:
    version = ModelVersion.active_for(settings.LEADGATE_LEAD_MODEL)
    return version if version is not None and is_lead_model(version) else None


@lru_cache(maxsize=2)
def _load(version_pk: int, created_at: datetime) -> dict[str, Any]:
    return ModelVersion.objects.get(pk=version_pk).load()


def _artifact(version: ModelVersion) -> dict[str, Any]:
    # A stored version never changes, so a process keeps the unpickled model.
    # The creation time is in the key: a deleted version's id may be reused.
    return _load(version.pk, version.created_at)


def _naive_utc(moment: datetime) -> datetime:
    """The scoring time as the encoder counts a date's age (the dates of
    `lead_rows` are UTC days, without a zone)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def score_with_model(leads: QuerySet[Lead] | Iterable[int] | None = None,
                     version: ModelVersion | None = None,
                     now: datetime | None = None) -> int:
    """Store the probability of the active lead model (or `version`) for these
    leads (default: every open lead). Returns how many were scored; 0 without
    a lead model."""
    version = version or lead_model()
    if version is None:
        return 0
    artifact, spec = _artifact(version), version.features
    now = now or timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    scored = 0
    for ids in id_batches(Lead.objects.open() if leads is None else leads, BATCH):
        table, current = lead_rows(ids)
        if not table.n_rows:
            continue
        probabilities = pipeline.predict(artifact,
                                         tabular.encode(spec, table, now=_naive_utc(now)))
        ranks = []
        for lead_id, probability in zip(table.columns["lead_id"], probabilities, strict=True):
            old_rank, grade = current.get(int(lead_id), (None, None))
            rank = score_rank(grade, float(probability))
            if old_rank is not None and rank != old_rank:
                ranks.append((int(lead_id), rank))
        rows = [(int(lead_id), round(float(p), 6), version.pk, at)
                for lead_id, p in zip(table.columns["lead_id"], probabilities, strict=True)]
        # One transaction per batch: in autocommit each row would be a commit.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(UPSERT.format(table=LeadScore._meta.db_table), rows)
            apply_ranks(ranks)
        scored += table.n_rows
    return scored


def explain(lead: Lead, top: int = 3) -> list[dict[str, str]]:
    """Why the lead model scores this lead as it does: the `top` features that
    moved its probability most ([] without a lead model), each with its
    `words` for a person ("title says Head of Sales"). Features that are not
    about the lead (`reasons.LEFT_OUT`: the weekday it came in...) are skipped
    before the top are taken, here as in the API and the dossier."""
    version = lead_model()
    if version is None:
        return []
    table, _ = lead_rows([lead.pk])
    if not table.n_rows:
        return []
    spec = version.features
    X = tabular.encode(spec, table, now=_naive_utc(timezone.now()))
    ranked = pipeline.reasons(_artifact(version), spec, X, top=len(spec["features"]))[0]
    features = {feature["name"]: feature for feature in spec["features"]}
    chosen = [reason for reason in ranked if about_the_lead(reason["feature"])][:top]
    for reason in chosen:
        feature = features[reason["feature"]]
        raw = table.columns.get(feature["column"], [""])[0]
        reason["words"] = in_words(feature, reason["value"], raw)
    return chosen
