"""The import fast path: `receive()` for a chunk of rows at once.

Same outcome as calling `pipeline.receive()` row after row, in a few queries
per chunk instead of ten per row:

- fingerprints already in are looked up in one query (-> skipped), and
  a repeat within the chunk is skipped too;
- the people are matched in two queries (valid emails, then valid phones;
  the newest lead wins, as in `dedup.exact_match`), and a row matches a lead
  an earlier row of the same chunk created or filled in, exactly as it would
  once that row is stored (so where the chunks end changes nothing);
- a known person's lead gets `pipeline.attach()` (fill empty fields, a closed
  lead starts a new cycle), exactly as receive() does;
- a new person's account is found or created as `accounts.match_account()`
  does (cached per domain and company within the import), then leads, their
  first StageChange ('' -> inquiry, "received") and the inquiries are written
  with bulk_create;
- on PostgreSQL the identity locks (email, phone, company domain) of the whole
  chunk are taken first, in sorted order (one statement), as receive() takes
  them per row.

With the chunk (see leads.after_save), ONE task per chunk (orchestration's
`after_import`) runs the same after-intake work for each new lead (instead of
one task per lead).
A fingerprint that another process inserted meanwhile makes the chunk fail;
the caller then replays that chunk row by row through receive().

A preview (`ImportState(preview=Preview())`, see importers.preview) runs the
same code and writes nothing: its writes go to the Preview, in memory.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import connection
from django.db.models import Field, Max, Model
from django.utils import timezone

from leadgate.intake.accounts import find_account
from leadgate.intake.dedup import joins_by_phone, matchable
from leadgate.intake.fields import LeadData
from leadgate.intake.locks import lock_identities
from leadgate.intake.models import Campaign, Inquiry, MatchedBy, Source
from leadgate.intake.pipeline import attach, json_safe
from leadgate.leads import events
from leadgate.leads.after_save import IMPORT_PRIORITY, queue_after_save
from leadgate.leads.history import past_move
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Account, Lead, StageChange, User
from leadgate.lib.instances import Instances
from leadgate.lib.normalize import company_key
from leadgate.lib.vendor import vendor

from .preview import Known, Preview


@dataclass
class Item:
    """One parsed row to take."""

    payload: dict
    data: LeadData
    fingerprint: str
    outcome: str = ""  # "created", "merged" or "skipped"
    lead: Lead | Known | None = None
    within: bool = False  # merged into a lead an earlier row of this import created


@dataclass
class AccountCache:
    """Finding or creating the accounts of an import's new leads, as
    `accounts.match_account()` does, with its results cached by (domain,
    company key); and which accounts the import created or matched."""

    preview: Preview | None = None
    found: dict[tuple[str, str], Account | None] = field(default_factory=dict)
    limit: int = 50_000

    by_domain: dict[str, Account] = field(default_factory=dict)
    by_key: dict[str, Account] = field(default_factory=dict)
    # Ids of the accounts this import created, and of those there before that
    # its new leads joined: committed, and of the transaction under way.
    created: set[int] = field(default_factory=set)
    matched: set[int] = field(default_factory=set)
    pending_created: set[int] = field(default_factory=set)
    pending_matched: set[int] = field(default_factory=set)
    # Accounts above this id did not exist when the import began (set by the
    # caller; tells the accounts receive() made in a row-by-row replay).
    existing_up_to: int | None = None

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
        if self.preview is not None:
            self.preview.prime(self.by_domain, self.by_key, domains, keys)

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
        if account is None:
            account = (self.preview.find_account(domain, company) if self.preview
                       else find_account(domain, company))
        if account is not None:
            self.teach(account, domain)
        elif domain or key:
            account = self.create(name=company or domain, domain=domain)
        if account is not None:
            if account.domain:
                self.by_domain[account.domain] = account
            if account.name_key and account.name_key not in self.by_key:
                self.by_key[account.name_key] = account
        self.found[(domain, key)] = account
        return account

    def teach(self, account: Account, domain: str) -> None:
        """As match_account: the first lead with a real domain teaches it."""
        if not domain or account.domain:
            return
        if self.preview is not None:
            self.preview.change_account(account, domain=domain)
            return
        Account.objects.filter(pk=account.pk, domain="").update(domain=domain)
        account.domain = domain

    def create(self, **values: object) -> Account:
        # Intake holds the domain's lock (intake.locks), so no one else creates it now.
        account = (self.preview.create_account(**values) if self.preview is not None
                   else Account.objects.create(**values))
        self.pending_created.add(account.pk)
        return account

    def joined(self, account_id: int, *, replay: bool = False) -> None:
        """A new lead of this import got this account (`replay`: through
        receive(), which does not say whether it created the account)."""
        if account_id in self.created or account_id in self.pending_created:
            return
        if replay and self.existing_up_to is not None and account_id > self.existing_up_to:
            self.pending_created.add(account_id)
        else:
            self.pending_matched.add(account_id)

    def commit(self) -> None:
        self.created |= self.pending_created
        self.matched |= self.pending_matched - self.created
        self.pending_created, self.pending_matched = set(), set()

    def clear(self) -> None:
        """The transaction rolled back: accounts made in it are gone."""
        self.found.clear()
        self.by_domain, self.by_key = {}, {}
        self.pending_created, self.pending_matched = set(), set()


@dataclass
class ImportState:
    """What one import carries from one transaction to the next."""

    preview: Preview | None = None
    accounts: AccountCache = field(default_factory=AccountCache)
    # Leads this import created (ids), to tell a row joining one of them (a
    # repeat within the file) from a row joining a lead that was there before.
    leads: set[int] = field(default_factory=set)
    pending_leads: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, preview: bool = False) -> ImportState:
        state = cls(Preview() if preview else None)
        state.accounts = AccountCache(preview=state.preview)
        if not preview:
            state.accounts.existing_up_to = Account.objects.aggregate(m=Max("pk"))["m"] or 0
        return state

    def commit(self) -> None:
        self.leads |= self.pending_leads
        self.pending_leads = set()
        self.accounts.commit()

    def rollback(self) -> None:
        self.pending_leads = set()
        self.accounts.clear()


# Instances without Model.__init__ (which costs more than the insert); their
# callable defaults (a time, a dict) are evaluated once per chunk (receive_many
# resets them).
_instances = Instances()


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys for the model's table."""
    table, column = model._meta.db_table, model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if vendor() == "sqlite":
            # Inside a write transaction (Leadgate opens them IMMEDIATE), no one
            # else inserts; AUTOINCREMENT never reuses an id, hence sqlite_sequence.
            # Table and column names come from the model, quoted: no user input.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")  # noqa: S608
            first = max(row[0] if row else 0, cursor.fetchone()[0] or 0) + 1
            return list(range(first, first + count))
        cursor.execute(  # PostgreSQL
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert(model: type[Model], objects: list) -> None:
    """Insert model instances with one executemany (the same values
    `bulk_create` writes, without its per-value overhead); sets their pk."""
    if not objects:
        return
    ids = allocate_ids(model, len(objects))
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


def lock_chunk(items: list[Item]) -> None:
    lock_identities(*(value for item in items
                      for value in (item.data.email, item.data.phone, item.data.domain)))


def newest_by(field_name: str, values: set[str]) -> dict[str, Lead | Known]:
    if not values:
        return {}
    leads: dict[str, Lead | Known] = {}
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


UNSAVED = 2**62  # above every id: a lead of this chunk is newer than any stored one


def receive_many(items: list[Item], *, channel: str = "import", source: Source | None = None,
                 campaign: Campaign | None = None, by: User | None = None,
                 at: datetime | None = None, state: ImportState | None = None,
                 ) -> list[Item]:
    """Take a chunk of parsed rows; call inside a transaction (a preview:
    outside any). Sets each item's outcome ("created", "merged", "skipped"),
    lead and `within`; the caller calls `state.commit()` once it committed."""
    at = at or timezone.now()
    _instances.reset()  # callable defaults (a time, a dict) are evaluated once per chunk
    state = state or ImportState.start()
    preview, accounts = state.preview, state.accounts
    if campaign and not source:
        source = campaign.source
    fingerprints = {item.fingerprint for item in items if item.fingerprint}
    seen = set(Inquiry.objects.filter(fingerprint__in=fingerprints)
               .values_list("fingerprint", flat=True)) if fingerprints else set()
    if preview is not None:
        seen |= fingerprints & preview.fingerprints
    # Rows already in need nothing more: no lookups (a re-imported file is all such).
    fresh = [item for item in items if not (item.fingerprint and item.fingerprint in seen)]
    if preview is None:
        lock_chunk(fresh)
    accounts.prime({(item.data.domain, item.data.company_name) for item in fresh})
    identities = [matchable(item.data) for item in fresh]
    emails = {email for email, _ in identities if email}
    phones = {phone for _, phone in identities if phone}
    by_email, by_phone = newest_by("email", emails), newest_by("phone", phones)
    if preview is not None:
        preview.overlay(by_email, "email", emails)
        preview.overlay(by_phone, "phone", phones)
    order: dict[int, int] = {}  # this chunk's unsaved leads (by id()): creation order

    def age(lead: Lead | Known) -> tuple[datetime, int]:
        """dedup.exact_match's "newest": creation time, then id."""
        if lead.pk is None:
            return lead.created_at, UNSAVED + order[id(lead)]
        return lead.created_at, lead.pk

    def register(index: dict[str, Lead | Known], key: str, held: str,
                 lead: Lead | Known) -> None:
        # What a lookup of the stored rows would find now: the newest lead that
        # holds this key (a row's other phone, not stored on its lead, is not one).
        if key and held == key:
            current = index.get(key)
            if current is None or current is lead or age(lead) > age(current):
                index[key] = lead

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
            if lead is not None and not joins_by_phone(email, lead):  # type: ignore[arg-type]
                lead = None
        if lead is None:
            matched_by = MatchedBy.NEW
            account = accounts.match(data.domain, data.company_name)
            if account is not None:
                accounts.joined(account.pk)
            if preview is not None:
                lead = preview.new_lead(data.email, data.phone, at)
            else:
                owner = account.owner if account and account.owner_id else None
                lead = _instances.new(Lead, **data.lead_fields(),
                           account_id=account.pk if account else None,
                           source_id=source_id, campaign_id=campaign_id,
                           owner_id=owner.pk if owner else None,
                           team_id=owner.team_id if owner else None, created_at=at,
                           stage_changed_at=at)
                order[id(lead)] = len(new_leads)
                new_leads.append(lead)
            item.outcome = "created"
        else:
            if preview is not None:
                lead = preview.merged(lead)
                lead.fill(data.email, data.phone)
                item.within = lead.new
            elif lead.pk is None:
                fill(lead, data, by=by, at=at)  # type: ignore[arg-type]
                item.within = True
            else:
                attach(lead, data, by=by, at=at)  # type: ignore[arg-type]
                item.within = lead.pk in state.leads or lead.pk in state.pending_leads
            item.outcome = "merged"
        register(by_email, email, lead.email, lead)
        register(by_phone, phone, lead.phone, lead)
        item.lead = lead
        if preview is not None:
            preview.remember(lead, email, phone)  # type: ignore[arg-type]
            if item.fingerprint:
                preview.fingerprints.add(item.fingerprint)
            continue
        assert isinstance(lead, Lead)
        inquiries.append((lead, _instances.new(
            Inquiry, lead_id=lead.pk, cycle=lead.cycle, channel=channel, source_id=source_id,
            campaign_id=campaign_id, payload=json_safe(item.payload), received_at=at,
            matched_by=matched_by, fingerprint=item.fingerprint,
        )))
    if preview is not None:
        return items
    insert(Lead, new_leads)
    insert(StageChange, [
        past_move(_instances, lead_id=lead.pk, cycle=lead.cycle, from_stage="",
                  to_stage=Stage.INQUIRY, at=at, by_id=by.pk if by else None, reason="received")
        for lead in new_leads
    ])
    for lead, inquiry in inquiries:
        inquiry.lead_id = lead.pk  # leads of this chunk got their pk just now
    insert(Inquiry, [inquiry for _, inquiry in inquiries])
    # A new lead's first inquiry created it; a later row of the same person joined it.
    first = {id(lead) for lead in new_leads}
    received = []
    for lead, inquiry in inquiries:
        created = id(lead) in first
        first.discard(id(lead))
        # `bulk`: an imported list, which sends no lead.created webhooks (a list
        # of 100,000 would hold every receiver's queue for hours).
        received.append(events.new("inquiry.received", lead, actor=by, at=at, data={
            "inquiry": inquiry.pk, "channel": channel, "created": created,
            "stage": lead.stage, "bulk": True}))
    events.record_many(received)
    if new_leads:
        ids = [lead.pk for lead in new_leads]
        state.pending_leads.update(ids)
        queue_after_save(ids, priority=IMPORT_PRIORITY)
    return items
