"""The import fast path: `receive()` for a chunk of rows at once.

Same outcome as calling `pipeline.receive()` row after row, in a few queries
per chunk instead of ten per row:

- fingerprints already in are looked up in one query (-> skipped), and
  a repeat within the chunk is skipped too;
- the people are matched in two queries (valid emails, then valid phones;
  the newest lead wins, as in `dedup.exact_match`), and a row matches a lead
  an earlier row of the same chunk created;
- a known person's lead gets `pipeline.attach()` (fill empty fields, a closed
  lead starts a new cycle), exactly as receive() does;
- a new person's account comes from `accounts.match_account()` (cached per
  domain and company within the import), then leads, their first
  StageChange ('' -> inquiry, "received") and the inquiries are written with
  bulk_create;
- on PostgreSQL the identity locks (email, phone, company domain) of the whole
  chunk are taken first, in sorted order (one statement), as receive() takes
  them per row.

With the chunk (see leads.queue), ONE task per chunk (`after_import`) runs the same
after-intake work for each new lead (instead of one task per lead).
A fingerprint that another process inserted meanwhile makes the chunk fail;
the caller then replays that chunk row by row through receive().
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TypeVar

from django.db import connection
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.utils import timezone
from django_tasks import task

from leadgate.intake.accounts import match_account
from leadgate.intake.dedup import joins_by_phone, matchable
from leadgate.intake.fields import LeadData
from leadgate.intake.models import Campaign, Inquiry, MatchedBy, Source
from leadgate.intake.pipeline import attach, json_safe
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Account, Lead, StageChange, User
from leadgate.leads.queue import enqueue_with_transaction
from leadgate.lib.normalize import company_key

M = TypeVar("M", bound=Model)


@dataclass
class Item:
    """One parsed row to take."""

    payload: dict
    data: LeadData
    fingerprint: str
    outcome: str = ""  # "created", "merged" or "skipped"
    lead: Lead | None = None


@dataclass
class AccountCache:
    """match_account() results for this import, by (domain, company key)."""

    found: dict[tuple[str, str], Account | None] = field(default_factory=dict)
    limit: int = 50_000

    by_domain: dict[str, Account] = field(default_factory=dict)
    by_key: dict[str, Account] = field(default_factory=dict)

    def prime(self, pairs: set[tuple[str, str]]) -> None:
        """Look up a chunk's domains and company keys in two queries, so most
        rows need no query of their own (`match` then decides as match_account)."""
        self.by_domain, self.by_key = {}, {}
        missing = {(domain, company_key(company)) for domain, company in pairs}
        missing -= self.found.keys()
        domains = {domain for domain, _ in missing if domain}
        keys = {key for _, key in missing if key}
        if domains:
            self.by_domain = {a.domain: a for a in Account.objects.filter(domain__in=domains)}
        if keys:
            for account in Account.objects.filter(name_key__in=keys).order_by("-pk"):
                self.by_key[account.name_key] = account  # the lowest pk comes last, wins

    def match(self, domain: str, company: str) -> Account | None:
        """match_account(domain, company), answered from the cache when it can."""
        key = company_key(company)
        if (domain, key) in self.found:
            return self.found[(domain, key)]
        if len(self.found) >= self.limit:
            self.found.clear()
        # by_domain holds every account with a domain of this chunk (prefetched,
        # then taught or created here), so a domain not in it belongs to no account.
        account = self.by_domain.get(domain) if domain else None
        if account is None and key in self.by_key:
            account = self.by_key[key]
            if domain and not account.domain:
                # As match_account: the first lead with a real domain teaches it.
                Account.objects.filter(pk=account.pk, domain="").update(domain=domain)
                account.domain = domain
        if account is None:
            account = match_account(domain, company)
        if account is not None:
            if account.domain:
                self.by_domain[account.domain] = account
            if account.name_key and account.name_key not in self.by_key:
                self.by_key[account.name_key] = account
        self.found[(domain, key)] = account
        return account

    def clear(self) -> None:
        self.found.clear()
        self.by_domain, self.by_key = {}, {}


@task()
def after_import(lead_ids: list[int]) -> int:
    """The after-intake work of each new lead of an import chunk."""
    from leadgate.intake.tasks import after_intake

    return sum(after_intake.call(lead_id) for lead_id in lead_ids)


def new(model: type[M], **values: object) -> M:
    """A model instance without Model.__init__ (which costs more than the insert):
    every field's default, then `values` (by attname). Defaults are evaluated
    once per chunk (receive_many resets them)."""
    defaults = _defaults.get(model)
    if defaults is None:
        defaults = _defaults[model] = {field_.attname: field_.get_default()
                                       for field_ in model._meta.concrete_fields}
    obj = model.__new__(model)
    obj.__dict__.update(defaults, **values)
    obj._state = ModelState()
    return obj


_defaults: dict[type, dict[str, object]] = {}


def allocate_ids(model: type[Model], count: int) -> list[int] | None:
    """`count` new primary keys for the model's table, or None on a database
    where this is not supported (then bulk_create does the insert)."""
    table, column = model._meta.db_table, model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Inside a write transaction (Leadgate opens them IMMEDIATE), no one
            # else inserts; AUTOINCREMENT never reuses an id, hence sqlite_sequence.
            # Table and column names come from the model, quoted: no user input.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")  # noqa: S608
            first = max(row[0] if row else 0, cursor.fetchone()[0] or 0) + 1
            return list(range(first, first + count))
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
    return None


def insert(model: type[Model], objects: list) -> None:
    """Insert model instances with one executemany (the same values
    `bulk_create` writes, without its per-value overhead); sets their pk."""
    if not objects:
        return
    ids = allocate_ids(model, len(objects))
    if ids is None:
        model._default_manager.bulk_create(objects)
        return
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    converters: list[Callable | None] = []
    for field_ in fields:
        kind = field_.get_internal_type()
        if getattr(field_, "auto_now", False) or getattr(field_, "auto_now_add", False):
            for obj in objects:
                setattr(obj, field_.attname, now)
        if kind in ("CharField", "TextField", "BooleanField", "ForeignKey", "BigAutoField",
                    "AutoField", "IntegerField", "PositiveIntegerField", "BigIntegerField",
                    "SmallIntegerField", "PositiveSmallIntegerField", "FloatField"):
            converters.append(None)
        elif kind == "DateTimeField":
            converters.append(_datetime_converter())
        else:
            converters.append(partial(_prep, field_))
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    values = operator.attrgetter(*(field_.attname for field_ in fields))
    convert = [(i, converter) for i, converter in enumerate(converters) if converter]
    rows: list = [values(obj) for obj in objects]
    if convert:
        for n, row in enumerate(rows):
            row = list(row)
            for i, converter in convert:
                row[i] = converter(row[i])
            rows[n] = row

    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
           f"({', '.join(quote(field_.column) for field_ in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _prep(field_: Field, value: object) -> object:
    return field_.get_db_prep_save(value, connection)


def _datetime_converter() -> Callable[[datetime | None], object]:
    """Datetimes as the backend stores them; a chunk shares a few, so cache them."""
    seen: dict[datetime, object] = {}

    def convert(value: datetime | None) -> object:
        if value is None:
            return None
        if value not in seen:
            seen[value] = connection.ops.adapt_datetimefield_value(value)
        return seen[value]

    return convert


def _lock_key(value: str) -> int:
    # The same key as `intake.locks.lock_identities`.
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big",
                          signed=True)


def lock_chunk(items: list[Item]) -> None:
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key(value) for item in items
                   for value in (item.data.email, item.data.phone, item.data.domain) if value})
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(k)) FROM "
                "(SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k) AS keys", [keys]
            )


def newest_by(field_name: str, values: set[str]) -> dict[str, Lead]:
    if not values:
        return {}
    leads: dict[str, Lead] = {}
    for lead in Lead.objects.filter(**{f"{field_name}__in": values}).order_by(
        "created_at", "pk"
    ):
        leads[getattr(lead, field_name)] = lead  # the newest comes last and wins
    return leads


def fill(lead: Lead, data: LeadData, *, by: User | None, at: datetime) -> None:
    """attach() for a lead of this chunk not yet written: fill it in memory."""
    for name, value in data.lead_fields().items():
        if isinstance(value, str) and value and not getattr(lead, name):
            setattr(lead, name, value)


def receive_many(items: list[Item], *, channel: str = "import", source: Source | None = None,
                 campaign: Campaign | None = None, by: User | None = None,
                 at: datetime | None = None, accounts: AccountCache | None = None,
                 ) -> list[Item]:
    """Take a chunk of parsed rows; call inside a transaction. Sets each
    item's outcome ("created", "merged", "skipped") and lead."""
    at = at or timezone.now()
    _defaults.clear()  # callable defaults (a time, a dict) are evaluated once per chunk
    accounts = accounts or AccountCache()
    if campaign and not source:
        source = campaign.source
    fingerprints = [item.fingerprint for item in items if item.fingerprint]
    seen = set(Inquiry.objects.filter(fingerprint__in=fingerprints)
               .values_list("fingerprint", flat=True)) if fingerprints else set()
    lock_chunk(items)
    accounts.prime({(item.data.domain, item.data.company_name) for item in items})
    identities = [matchable(item.data) for item in items]
    by_email = newest_by("email", {email for email, _ in identities if email})
    by_phone = newest_by("phone", {phone for _, phone in identities if phone})
    new_leads: list[Lead] = []
    inquiries: list[tuple[Lead, Inquiry]] = []
    source_id, campaign_id = (source.pk if source else None), (campaign.pk if campaign else None)
    for item in items:
        data = item.data
        if item.fingerprint:
            if item.fingerprint in seen:
                item.outcome = "skipped"
                continue
            seen.add(item.fingerprint)
        # The rule of dedup.exact_match, on this chunk's lookups.
        email, phone = matchable(data)
        lead, matched_by = by_email.get(email) if email else None, MatchedBy.EMAIL
        if lead is None and phone:
            lead, matched_by = by_phone.get(phone), MatchedBy.PHONE
            if lead is not None and not joins_by_phone(email, lead):
                lead = None
        if lead is None:
            matched_by = MatchedBy.NEW
            account = accounts.match(data.domain, data.company_name)
            owner = account.owner if account and account.owner_id else None
            lead = new(Lead, **data.lead_fields(), account_id=account.pk if account else None,
                       source_id=source_id, campaign_id=campaign_id,
                       owner_id=owner.pk if owner else None,
                       team_id=owner.team_id if owner else None, created_at=at,
                       stage_changed_at=at)
            new_leads.append(lead)
            item.outcome = "created"
        else:
            if lead.pk is None:
                fill(lead, data, by=by, at=at)
            else:
                attach(lead, data, by=by, at=at)
            item.outcome = "merged"
        if email:
            by_email[email] = lead
        if phone:
            by_phone[phone] = lead
        item.lead = lead
        inquiries.append((lead, new(
            Inquiry, lead_id=lead.pk, cycle=lead.cycle, channel=channel, source_id=source_id,
            campaign_id=campaign_id, payload=json_safe(item.payload), received_at=at,
            matched_by=matched_by, fingerprint=item.fingerprint,
        )))
    insert(Lead, new_leads)
    insert(StageChange, [
        new(StageChange, lead_id=lead.pk, cycle=lead.cycle, from_stage="",
            to_stage=Stage.INQUIRY, at=at, by_id=by.pk if by else None, reason="received")
        for lead in new_leads
    ])
    for lead, inquiry in inquiries:
        inquiry.lead_id = lead.pk  # leads of this chunk got their pk just now
    insert(Inquiry, [inquiry for _, inquiry in inquiries])
    if new_leads:
        ids = [lead.pk for lead in new_leads]
        enqueue_with_transaction(after_import, ids)
    return items
