"""Rule scoring: fit points, decaying engagement points, the grade, its reasons
and the automatic MQL move.

The active RuleSet (scoring.models) holds the rules. `score_lead()` scores one
lead; `score_leads()` scores many in batches: a few queries per batch (leads
with their account, enrichment facts, inquiries, touches), evaluation in
Python, one upsert of the LeadScore rows. `preview()` runs a rule set over the
leads without writing and counts the grades it would change.

Engagement points decay: points * 0.5 ** (age_days / half_life_days) as of
`now` (timezone.now() by default).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Mod
from django.utils import timezone

from leadgate.enrich.models import Enrichment
from leadgate.intake.models import Activity, Inquiry
from leadgate.leads import events
from leadgate.leads.lifecycle import IllegalMove, Stage
from leadgate.leads.models import Account, Lead, Touch
from leadgate.leads.transitions import advance
from leadgate.lib.score_rank import score_rank

from .models import FIT_GRADES, LeadScore, Rule, RuleSet
from .ranks import apply_ranks

log = logging.getLogger(__name__)

BATCH = 2000
DAY = 86400.0


# --- Rule compilation --------------------------------------------------------

# An event: ("inquiry", channel, is_hot, form_id, form_name, at, cycle),
# ("touch", channel, disposition, at) or ("activity", kind, detail (casefolded), at).
Event = tuple[Any, ...]

EVENT_HELP = ("an event is form:<form name|any>, inquiry:<hot|any>, channel:<channel>, "
              "touch:<channel|any>:<disposition|any> or activity:<kind|any>[:<text in its "
              "detail>]")


def event_at(event: Event) -> datetime:
    return event[5] if event[0] == "inquiry" else event[3]


def rule_error(rule: Rule) -> str | None:
    """Why a rule cannot be evaluated, or None."""
    if rule.kind == Rule.Kind.FIT:
        scope, _, name = rule.field.partition(".")
        if scope == "fact":
            return None if name else "fact.<name>, e.g. fact.seniority"
        model = {"lead": Lead, "account": Account}.get(scope)
        if model is None or not name:
            return "a fit field is lead.<field>, account.<field> or fact.<name>"
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            return f"{scope} has no field {name!r}"
        if rule.operator not in Rule.Operator.values:
            return f"unknown operator {rule.operator!r}"
        return None
    if _event_matcher(rule.field) is None:
        return EVENT_HELP
    return None


def _event_matcher(event: str) -> Callable[[Event], bool] | None:
    parts = event.strip().lower().split(":")
    head = parts[0]
    if head == "form" and len(parts) == 2:
        name = parts[1]
        if name == "any":
            return lambda e: e[0] == "inquiry" and (e[1] == "form" or e[3] is not None)
        return lambda e: e[0] == "inquiry" and (e[4] or "").lower() == name
    if head == "inquiry" and len(parts) == 2 and parts[1] in ("hot", "any"):
        if parts[1] == "any":
            return lambda e: e[0] == "inquiry"
        return lambda e: e[0] == "inquiry" and bool(e[2])
    if head == "channel" and len(parts) == 2:
        channel = parts[1]
        return lambda e: e[0] == "inquiry" and e[1] == channel
    if head == "activity" and len(parts) >= 2 and parts[1]:
        kind = parts[1]
        # The detail text may itself hold colons (a URL): everything after the kind.
        text = ":".join(parts[2:]).strip()
        return lambda e: (e[0] == "activity" and kind in ("any", e[1])
                          and (not text or text in e[2]))
    if head == "touch" and len(parts) == 3:
        channel, disposition = parts[1], parts[2]
        return lambda e: (e[0] == "touch" and channel in ("any", e[1])
                          and disposition in ("any", e[2]))
    return None


@dataclass
class Compiled:
    ruleset: RuleSet
    # rule, scope, name, check
    fit: list[tuple[Rule, str, str, Callable[[Any], bool]]] = field(default_factory=list)
    # event kind, rule, matcher, half-life in days
    engagement: list[tuple[str, Rule, Callable[[Event], bool], float]] = field(
        default_factory=list)
    lead_fields: set[str] = field(default_factory=set)
    account_fields: set[str] = field(default_factory=set)
    facts: set[str] = field(default_factory=set)
    inquiries: bool = False
    touches: bool = False
    activities: bool = False
    form_names: bool = False


def compile_ruleset(ruleset: RuleSet) -> Compiled:
    """The rules of `ruleset`, checked, with what they need loaded. A rule that
    cannot be evaluated is logged and skipped, never fatal to scoring."""
    compiled = Compiled(ruleset)
    compiled.inquiries = ruleset.mql_hot
    for rule in ruleset.rules.order_by("pk"):
        error = rule_error(rule)
        if error:
            log.warning("rule %r of rules v%s skipped: %s", rule.name, ruleset.version, error)
            continue
        if rule.kind == Rule.Kind.FIT:
            scope, _, name = rule.field.partition(".")
            if scope == "lead":
                name = Lead._meta.get_field(name).attname  # type: ignore[union-attr]
                compiled.lead_fields.add(name)
            elif scope == "account":
                name = Account._meta.get_field(name).attname  # type: ignore[union-attr]
                compiled.account_fields.add(name)
            else:
                compiled.facts.add(name)
            compiled.fit.append((rule, scope, name, make_test(rule.operator, rule.value)))
        else:
            matcher = _event_matcher(rule.field)
            assert matcher is not None
            half_life = rule.half_life_days or ruleset.half_life_days
            compiled.engagement.append((_event_kind(rule.field), rule, matcher, half_life))
            event = rule.field.strip().lower()
            if event.startswith("touch:"):
                compiled.touches = True
            elif event.startswith("activity:"):
                compiled.activities = True
            else:
                compiled.inquiries = True
                if event.startswith("form:") and event != "form:any":
                    compiled.form_names = True
    return compiled


# --- Operators ---------------------------------------------------------------

def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def make_test(operator: str, expected: Any) -> Callable[[Any], bool]:
    """The check of one fit rule, with its expected value normalized once."""
    if operator == "exists":
        wanted = True if expected is None else bool(expected)
        return lambda actual: (actual not in (None, "", [], {})) == wanted
    if operator in ("eq", "ne"):
        norm = _norm(expected)
        if operator == "eq":
            return lambda actual: _norm(actual) == norm
        return lambda actual: _norm(actual) != norm
    if operator == "in":
        options = [_norm(option) for option in
                   (expected if isinstance(expected, list) else [expected])]
        return lambda actual: _norm(actual) in options
    if operator == "contains":
        needle, item = str(expected).strip().casefold(), _norm(expected)

        def contains(actual: Any) -> bool:
            if isinstance(actual, str):
                return needle in actual.casefold()
            if isinstance(actual, (list, tuple)):
                return item in [_norm(value) for value in actual]
            return False

        return contains
    if operator in ("gte", "lte"):
        limit = _number(expected)
        if limit is None:
            return lambda actual: False

        def compare(actual: Any) -> bool:
            number = _number(actual)
            if number is None:
                return False
            return number >= limit if operator == "gte" else number <= limit

        return compare
    return lambda actual: False


def matches(operator: str, actual: Any, expected: Any) -> bool:
    """Whether `actual` (a lead, account or fact value) satisfies the rule."""
    return make_test(operator, expected)(actual)


# --- Loading a batch ---------------------------------------------------------

@dataclass
class LeadData:
    id: int
    stage: str
    cycle: int
    values: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def _merge(compiled: list[Compiled]) -> Compiled:
    merged = Compiled(compiled[0].ruleset)
    for c in compiled:
        merged.lead_fields |= c.lead_fields
        merged.account_fields |= c.account_fields
        merged.facts |= c.facts
        merged.inquiries |= c.inquiries
        merged.touches |= c.touches
        merged.activities |= c.activities
        merged.form_names |= c.form_names
    return merged


def is_dense(ids: list[int]) -> bool:
    """Whether these ids are better read as a range than as an IN list (all
    the leads, in pk order: cheap to build and to run; rows of other leads in
    the range are dropped by the caller)."""
    return max(ids) - min(ids) < 2 * len(ids)


def among(ids: list[int], field: str) -> dict[str, Any]:
    """A filter on `field` for these ids: a range when they are dense, else an
    IN list."""
    if is_dense(ids):
        return {f"{field}__gte": min(ids), f"{field}__lte": max(ids)}
    return {f"{field}__in": ids}


def load_batch(ids: list[int], needs: Compiled) -> list[LeadData]:
    """What the rules need of these leads: at most five queries, whatever the count."""
    # score_rank and the model's probability: the new rank, and whether it changed.
    columns = ["id", "stage", "cycle", "owner_id", "score_rank", "score__probability",
               "score__grade",
               *sorted(needs.lead_fields),
               *(f"account__{name}" for name in sorted(needs.account_fields))]
    wanted = set(ids)
    leads = {
        row["id"]: LeadData(row["id"], row["stage"], row["cycle"], row)
        for row in Lead.objects.filter(**among(ids, "pk")).values(*columns)
        if row["id"] in wanted
    }
    if needs.facts:
        for lead_id, name, value in Enrichment.objects.filter(
            field__in=sorted(needs.facts), **among(ids, "lead_id")
        ).values_list("lead_id", "field", "value"):
            if lead_id in leads:
                leads[lead_id].facts[name] = value
    if needs.inquiries:
        columns = ["lead_id", "channel", "is_hot", "form_id", "received_at", "cycle"]
        if needs.form_names:  # a join only when a rule names a form
            columns.append("form__name")
        for row in Inquiry.objects.filter(**among(ids, "lead_id")).values_list(*columns):
            if row[0] in leads:
                form_name = row[6] if needs.form_names else None
                leads[row[0]].events.append(
                    ("inquiry", row[1], row[2], row[3], form_name, row[4], row[5]))
    if needs.touches:
        for lead_id, channel, disposition, at in Touch.objects.filter(
            **among(ids, "lead_id")
        ).values_list("lead_id", "channel", "disposition", "at"):
            if lead_id in leads:
                leads[lead_id].events.append(("touch", channel, disposition, at))
    if needs.activities:
        for lead_id, kind, detail, at in Activity.objects.filter(
            **among(ids, "lead_id")
        ).values_list("lead_id", "kind", "detail", "at"):
            if lead_id in leads:
                leads[lead_id].events.append(("activity", kind, detail.casefold(), at))
    for data in leads.values():
        if len(data.events) > 1:
            data.events.sort(key=event_at)
    return [leads[i] for i in ids if i in leads]


# --- Evaluation --------------------------------------------------------------

@dataclass
class Result:
    fit: float
    engagement: float
    grade: str
    reasons: list[dict[str, Any]]
    hot: bool  # a hot inquiry in the current cycle


def _event_kind(event_name: str) -> str:
    """Which events a rule can match: form, inquiry and channel rules read inquiries."""
    head = event_name.strip().lower().split(":")[0]
    return head if head in ("touch", "activity") else "inquiry"


def evaluate(compiled: Compiled, data: LeadData, now: datetime) -> Result:
    reasons: list[dict[str, Any]] = []
    fit = 0.0
    values, facts = data.values, data.facts
    for rule, scope, name, check in compiled.fit:
        if scope == "lead":
            actual = values.get(name)
        elif scope == "account":
            actual = values.get(f"account__{name}")
        else:
            actual = facts.get(name)
        if check(actual):
            fit += rule.points
            reasons.append({"rule": rule.name, "kind": "fit", "points": rule.points,
                            "at": None})
    engagement = 0.0
    hot = False
    if data.events:
        # Each event's age once, and each rule tried only on events of its kind.
        now_ts = now.timestamp()
        by_kind: dict[str, list[tuple[Event, float, datetime]]] = {}
        for event in data.events:
            at = event_at(event)
            by_kind.setdefault(event[0], []).append(
                (event, max(0.0, (now_ts - at.timestamp()) / DAY), at))
            if event[0] == "inquiry" and event[2] and event[6] == data.cycle:
                hot = True
        for kind, rule, matcher, half_life in compiled.engagement:
            for event, age_days, at in by_kind.get(kind, ()):
                if matcher(event):
                    points = (rule.points * 0.5 ** (age_days / half_life) if half_life > 0
                              else float(rule.points))
                    engagement += points
                    reasons.append({"rule": rule.name, "kind": "engagement",
                                    "points": round(points, 2), "base": rule.points,
                                    "at": at.isoformat()})
    engagement = round(engagement, 4)
    return Result(fit, engagement, compiled.ruleset.grade(fit, engagement), reasons, hot)


def grade_meets_mql(ruleset: RuleSet, grade: str) -> bool:
    """Whether a grade ("B2") meets the rule set's MQL grade (fit and
    engagement at least the minimum; the hot-inquiry clause aside)."""
    if len(grade) != 2 or grade[0] not in FIT_GRADES or not grade[1].isdigit():
        return False
    return (FIT_GRADES.index(grade[0]) <= FIT_GRADES.index(ruleset.mql_min_fit)
            and int(grade[1]) <= ruleset.mql_min_engagement)


def mql_reason(ruleset: RuleSet, result: Result) -> str | None:
    """The reason recorded for the MQL move, or None when the rule is not met."""
    fit_grade, level = result.grade[0], int(result.grade[1])
    summary = (f"fit {fit_grade}, engagement {level} "
               f"(fit {result.fit:g}, engagement {result.engagement:.1f})")
    if grade_meets_mql(ruleset, result.grade):
        return (f"MQL rule v{ruleset.version}: {summary} "
                f">= fit {ruleset.mql_min_fit}, engagement {ruleset.mql_min_engagement}")
    if ruleset.mql_hot and result.hot:
        return f"MQL rule v{ruleset.version}: hot inquiry; {summary}"
    return None


# --- Scoring -----------------------------------------------------------------

def id_batches(leads: QuerySet[Lead] | Iterable[int | Lead],
               size: int = BATCH) -> Iterator[list[int]]:
    """The ids of `leads` in lists of `size`. A QuerySet is read by keyset
    pages (pk > last), each a query of its own: no cursor stays open while
    the caller writes (on SQLite an open read would make those writes fail)."""
    if isinstance(leads, QuerySet):
        ordered = leads.order_by("pk").values_list("pk", flat=True)
        last = None
        while True:
            page = list((ordered if last is None else ordered.filter(pk__gt=last))[:size])
            if not page:
                return
            yield page
            last = page[-1]
    batch: list[int] = []
    for item in leads:
        batch.append(item.pk if isinstance(item, Lead) else int(item))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


UPSERT = (
    "INSERT INTO {table} (lead_id, fit, engagement, grade, reasons, ruleset_version, "
    "computed_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (lead_id) DO UPDATE SET "
    "fit = excluded.fit, engagement = excluded.engagement, grade = excluded.grade, "
    "reasons = excluded.reasons, ruleset_version = excluded.ruleset_version, "
    "computed_at = excluded.computed_at"
)


def _upsert(rows: list[tuple[Any, ...]]) -> None:
    """Write the rule columns of many LeadScore rows in one executemany: the
    ORM's bulk upsert builds a model instance and prepares every value of every
    row, which was most of the time of rescoring (the model columns of a row
    are left as they are)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(UPSERT.format(table=LeadScore._meta.db_table), rows)


def _score_batch(ids: list[int], compiled: Compiled, now: datetime,
                 objects: dict[int, Lead] | None = None, promote: bool = True) -> int:
    ruleset = compiled.ruleset
    rows, moves = [], []
    at = connection.ops.adapt_datetimefield_value(now)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    ranks, graded = [], []
    for data in load_batch(ids, compiled):
        result = evaluate(compiled, data, now)
        rows.append((data.id, result.fit, result.engagement, result.grade,
                     dumps(result.reasons), ruleset.version, at))
        rank = score_rank(result.grade, data.values["score__probability"])
        if rank != data.values["score_rank"]:
            ranks.append((data.id, rank))
        if result.grade != (data.values["score__grade"] or ""):
            graded.append(events.new(
                "score.graded", data.id, cycle=data.cycle, owner=data.values["owner_id"],
                at=now, data={"from": data.values["score__grade"] or "", "to": result.grade}))
        if promote and data.stage == Stage.INQUIRY:
            reason = mql_reason(ruleset, result)
            if reason:
                moves.append((data, reason))
    # One transaction per batch: in autocommit each row would be a commit.
    with transaction.atomic():
        _upsert(rows)
        apply_ranks(ranks)
        events.record_many(graded)
    for data, reason in moves:
        lead = (objects or {}).get(data.id) or Lead(pk=data.id, stage=data.stage,
                                                    cycle=data.cycle)
        # IllegalMove: someone moved it meanwhile; only an inquiry becomes an MQL
        # here. advance() records the move and emits lead.mql.
        with contextlib.suppress(IllegalMove):
            advance(lead, Stage.MQL, by=None, reason=reason)
    return len(rows)


def score_leads(leads: QuerySet[Lead] | Iterable[int | Lead], now: datetime | None = None,
                ruleset: RuleSet | None = None, promote: bool = True) -> int:
    """Score many leads with the active rule set (or `ruleset`), in batches.
    Returns how many were scored (0 when there is no active rule set).
    `promote=False` scores without the automatic MQL move (history loaded
    from elsewhere, such as the demo data, keeps its stages)."""
    ruleset = ruleset or RuleSet.active_one()
    if ruleset is None:
        return 0
    now = now or timezone.now()
    compiled = compile_ruleset(ruleset)
    return sum(_score_batch(ids, compiled, now, promote=promote) for ids in id_batches(leads))


def score_lead(lead: Lead, now: datetime | None = None) -> LeadScore | None:
    """Score one lead, save its LeadScore and move it to MQL if the rule says so
    (the instance's stage follows). None when there is no active rule set."""
    ruleset = RuleSet.active_one()
    if ruleset is None:
        return None
    _score_batch([lead.pk], compile_ruleset(ruleset), now or timezone.now(), {lead.pk: lead})
    return LeadScore.objects.filter(lead_id=lead.pk).first()


def rescore_now(lead_id: int) -> None:
    """Rescore a lead because an event (a touch, an activity) changed its
    engagement. Inline, so the score is current when the request answers (one
    lead takes milliseconds); call it once the event is committed: if scoring
    fails, the event is kept and the background task retries."""
    from .tasks import score_lead_task  # the tasks import this module

    try:
        lead = Lead.objects.filter(pk=lead_id).first()
        if lead is not None:
            score_lead(lead)
    except Exception:
        log.exception("rescoring lead %s failed; queued for a retry", lead_id)
        score_lead_task.enqueue(lead_id)


def rescore_on_commit(lead_id: int) -> None:
    """`rescore_now()` once the current transaction commits."""
    transaction.on_commit(lambda: rescore_now(lead_id), robust=True)


def preview(ruleset: RuleSet, leads: QuerySet[Lead] | Iterable[int | Lead] | None = None,
            now: datetime | None = None, sample: int | None = None) -> dict[str, Any]:
    """What activating `ruleset` would do to grades, without writing anything:
    each lead graded by the active rule set and by `ruleset` as of the same `now`.
    {"ruleset", "against", "leads", "changed", "changes": {old: {new: count}},
    "sampled_from"}. With `sample` and more leads than that (all leads only),
    every k-th lead by id is graded, so a page can answer in seconds at a
    million leads; "sampled_from" is then the number of leads (else None)."""
    now = now or timezone.now()
    active = RuleSet.active_one()
    new = compile_ruleset(ruleset)
    old = compile_ruleset(active) if active is not None else None
    needs = _merge([new] + ([old] if old else []))
    counts: Counter[tuple[str, str]] = Counter()
    total = 0
    sampled_from = None
    if leads is None:
        leads = Lead.objects.all()
        if sample is not None and (count := leads.count()) > sample:
            # Ids are assigned in order, so every k-th id is an even spread.
            leads = leads.annotate(slot=Mod("pk", -(-count // sample))).filter(slot=0)
            sampled_from = count
    for ids in id_batches(leads):
        for data in load_batch(ids, needs):
            total += 1
            before = evaluate(old, data, now).grade if old else ""
            after = evaluate(new, data, now).grade
            if before != after:
                counts[(before, after)] += 1
    changes: dict[str, dict[str, int]] = defaultdict(dict)
    for (before, after), count in sorted(counts.items()):
        changes[before][after] = count
    return {"ruleset": ruleset.version, "against": active.version if active else None,
            "leads": total, "changed": sum(counts.values()), "changes": dict(changes),
            "sampled_from": sampled_from}
