"""Is this person already a lead? Exact matches on the normalized email, then
the phone, are the same person; a close name at the same company may be, and
goes to a review list for a person to decide."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from rapidfuzz import fuzz, process

from leadgate.leads.models import Lead
from leadgate.lib.normalize import company_key

from .fields import LeadData
from .models import DuplicateCandidate, MatchedBy

EXACT_LIMIT = 50
# Fuzzy search looks at leads with the same last name or of the same account
# (both indexed), at most this many, newest first.
BLOCK_LIMIT = 500
SIMILARITY_FIELDS = ("first_name", "last_name", "company_name", "account_id", "email",
                     "created_at")


def matchable(data: LeadData) -> tuple[str, str]:
    """The email and phone a submission may be matched on: valid ones only."""
    email = data.email if data.email and not data.email_invalid else ""
    phone = data.phone if data.phone and not data.phone_invalid else ""
    return email, phone


def joins_by_phone(email: str, lead: Lead) -> bool:
    """A lead with the same phone is the same person unless both have an
    email (then they differ: two people at one switchboard)."""
    return not (email and lead.email)


def exact_match(data: LeadData) -> tuple[Lead | None, str]:
    """The newest lead with the same valid email, else the same valid phone.
    (The import fast path, importers/bulk.py, applies the same rule per chunk.)

    Two small SQL reads of ids on the indexed columns, and the lead loaded only
    when one matched (most submissions match nothing): intake runs this inside
    its write transaction, and the ORM's version took thirty times as long."""
    email, phone = matchable(data)
    if not (email or phone):
        return None, MatchedBy.NEW
    table = connection.ops.quote_name(Lead._meta.db_table)
    newest = "ORDER BY created_at DESC, id DESC LIMIT %s"
    with connection.cursor() as cursor:
        if email:
            cursor.execute(f"SELECT id FROM {table} WHERE email = %s {newest}",  # noqa: S608
                           [email, 1])
            row = cursor.fetchone()
            if row:
                return Lead.objects.get(pk=row[0]), MatchedBy.EMAIL
        if phone:
            cursor.execute(f"SELECT id, email FROM {table} WHERE phone = %s {newest}",  # noqa: S608
                           [phone, EXACT_LIMIT])
            for lead_id, lead_email in cursor.fetchall():
                if not (email and lead_email):  # joins_by_phone(), on the row
                    return Lead.objects.get(pk=lead_id), MatchedBy.PHONE
    return None, MatchedBy.NEW


@dataclass(frozen=True)
class Similarity:
    score: float
    reasons: list[str]


def similarity(a: Lead, b: Lead) -> Similarity:
    """0-100: mostly the name, then the company; equal emails or phones would
    have matched exactly, so different ones weigh slightly against."""
    name_a, name_b = _name(a.first_name, a.last_name), _name(b.first_name, b.last_name)
    # Two blank names are not "100% alike": nothing is known.
    name = fuzz.token_sort_ratio(name_a, name_b) if name_a and name_b else 0.0
    reasons = [f"name {name:.0f}% alike"]
    company_a, company_b = company_key(a.company_name), company_key(b.company_name)
    if a.account_id and a.account_id == b.account_id:
        company = 100.0
        reasons.append("same account")
    elif company_a and company_b:
        company = fuzz.token_set_ratio(company_a, company_b)
        reasons.append(f"company {company:.0f}% alike")
    else:
        company = 50.0  # unknown: neither for nor against
    score = 0.65 * name + 0.35 * company
    if a.email and b.email and a.email != b.email:
        score -= 3
        reasons.append("different emails")
    return Similarity(round(max(score, 0.0), 1), reasons)


def fuzzy_candidates(lead: Lead) -> list[tuple[Lead, Similarity]]:
    """The leads of the lead's block (same last name or same account, newest
    BLOCK_LIMIT) at least LEADGATE_DUPLICATE_THRESHOLD alike, most alike first.

    A pair scores at most 0.65 * name + 35 (its company alike at best), so the
    names alone rule out most of a block: they are compared all at once
    (rapidfuzz's cdist, in C), and only the leads that could still reach the
    threshold are loaded and scored whole. A block holds up to 500 leads, and
    scoring each in Python was most of the work after intake."""
    name = _name(lead.first_name, lead.last_name)
    if not lead.last_name or not name:
        return []
    block = Q(last_name=lead.last_name)
    if lead.account_id:
        block |= Q(account_id=lead.account_id)
    names = list(Lead.objects.filter(block).exclude(pk=lead.pk).order_by("-created_at")
                 .values_list("pk", "first_name", "last_name")[:BLOCK_LIMIT])
    if not names:
        return []
    threshold = settings.LEADGATE_DUPLICATE_THRESHOLD
    needed = max(0.0, (threshold - 0.35 * 100) / 0.65)
    scores = process.cdist([name], [_name(first, last) for _pk, first, last in names],
                           scorer=fuzz.token_sort_ratio, workers=1)[0]
    close = [pk for (pk, _first, _last), score in zip(names, scores, strict=True)
             if score >= needed]
    if not close:
        return []
    # Only what similarity() reads.
    others = (Lead.objects.filter(pk__in=close).order_by("-created_at")
              .only(*SIMILARITY_FIELDS))
    found = [(other, similarity(lead, other)) for other in others]
    return sorted(
        ((other, sim) for other, sim in found if sim.score >= threshold),
        key=lambda pair: -pair[1].score,
    )


def _name(first: str, last: str) -> str:
    return f"{first} {last}".strip().lower()


def record_candidates(lead: Lead) -> list[DuplicateCandidate]:
    """Put the lead's likely duplicates on the review list (once per pair).

    A pair is stored one way only, the newer lead (higher id) as `lead`, so
    the unique constraint holds it once even when two tasks find it at once;
    a pair already reviewed (kept apart) is not asked about again."""
    recorded = []
    for other, sim in fuzzy_candidates(lead):
        newer, older = (lead, other) if lead.pk > other.pk else (other, lead)
        if DuplicateCandidate.objects.filter(
            Q(lead=newer, candidate=older) | Q(lead=older, candidate=newer)
        ).exists():
            continue
        try:
            with transaction.atomic():
                recorded.append(
                    DuplicateCandidate.objects.create(
                        lead=newer, candidate=older, score=sim.score, reasons=sim.reasons
                    )
                )
        except IntegrityError:
            continue  # found by another task at the same moment
    return recorded
