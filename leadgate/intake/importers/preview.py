"""An import's preview (a dry run): what the import would do, without writing.

A preview runs the import's own code (`importers.bulk.receive_many`,
`imports.import_accounts`) with every write kept here, in memory, instead of
the database. It reads in autocommit, in no transaction: on SQLite in WAL
mode a reader never blocks a writer, so previewing a big file holds no lock
that the web app, the worker or the scheduler would wait for (the former dry
run did the whole import in one write transaction and rolled it back: 52 s
of everyone else's writes failing with "database is locked").

Every later row sees what the earlier rows would have written: their
fingerprints, the leads they created and the email or phone they filled in
(what later rows are matched on), the accounts created and the domains they
taught; so the preview reports the figures the import itself would, as long
as nobody else writes meanwhile.

What it keeps per row is small (a `Known` lead: id, creation time, email,
phone; a fingerprint), not model instances: a 200,000-row file is some ten MB.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from leadgate.intake.accounts import BLOCK_LIMIT, BLOCK_PREFIX, best_in_block, name_block
from leadgate.leads.models import Account, Lead
from leadgate.lib.normalize import company_key


class Known:
    """A lead as a preview knows it: what later rows are matched on."""

    __slots__ = ("created_at", "email", "new", "phone", "pk")

    def __init__(self, pk: int, created_at: datetime, email: str, phone: str, new: bool):
        self.pk, self.created_at, self.email, self.phone, self.new = (
            pk, created_at, email, phone, new)

    def fill(self, email: str, phone: str) -> None:
        """As pipeline.attach() fills a lead's empty fields (only these two
        decide later matches)."""
        if email and not self.email:
            self.email = email
        if phone and not self.phone:
            self.phone = phone


def age(lead: Lead | Known) -> tuple[datetime, int]:
    """The order of `dedup.exact_match`'s "newest": creation time, then id."""
    return lead.created_at, lead.pk


class Preview:
    """The writes of a dry run, kept in memory."""

    def __init__(self) -> None:
        self.fingerprints: set[str] = set()
        # The newest lead per stored email and phone, among those this preview
        # created or filled in (the database answers for the others).
        self.by_email: dict[str, Known] = {}
        self.by_phone: dict[str, Known] = {}
        self.known: dict[int, Known] = {}  # leads of the database merged into
        # Ids after the database's, as the import would get them.
        self.next_lead = (Lead.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.next_account = (Account.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        # Accounts created here, or of the database and changed here, by id.
        self.accounts: dict[int, Account] = {}
        self.account_by_domain: dict[str, Account] = {}
        self.created_by_key: dict[str, Account] = {}  # the first one per name key
        self.created_by_prefix: dict[str, list[Account]] = {}  # in id order

    # --- leads ----------------------------------------------------------------

    def new_lead(self, email: str, phone: str, at: datetime) -> Known:
        known = Known(self.next_lead, at, email, phone, new=True)
        self.next_lead += 1
        return known

    def merged(self, lead: Lead | Known) -> Known:
        """The preview's record of a lead a row joins (made at its first join)."""
        if isinstance(lead, Known):
            return lead
        known = self.known.get(lead.pk)
        if known is None:
            known = self.known[lead.pk] = Known(lead.pk, lead.created_at, lead.email,
                                                lead.phone, new=False)
        return known

    def overlay(self, found: dict[str, Lead | Known], field: str, keys: set[str]) -> None:
        """Correct the database's newest lead per key (`newest_by`) with what
        this preview wrote: a lead it filled in stands for its database row, and
        a lead it made or filled with that key wins when it is newer."""
        mine = self.by_email if field == "email" else self.by_phone
        for key in keys:
            lead = found.get(key)
            if lead is not None and not isinstance(lead, Known) and lead.pk in self.known:
                lead = found[key] = self.known[lead.pk]
            candidate = mine.get(key)
            if candidate is not None and (lead is None or age(candidate) > age(lead)):
                found[key] = candidate

    def remember(self, known: Known, email: str, phone: str) -> None:
        """After a chunk: the lead a row created or joined, under the matchable
        email and phone it now holds."""
        for index, key, held in ((self.by_email, email, known.email),
                                 (self.by_phone, phone, known.phone)):
            if key and held == key:
                current = index.get(key)
                if current is None or age(known) >= age(current):
                    index[key] = known

    # --- accounts -------------------------------------------------------------

    def account(self, pk: int) -> Account:
        return self.accounts.get(pk) or Account.objects.get(pk=pk)

    def current(self, account: Account | None) -> Account | None:
        """A database account as this preview has it (a domain taught, say)."""
        return None if account is None else self.accounts.get(account.pk, account)

    def current_domain(self, pk: int, known: str) -> str:
        """A database account's domain as this preview has it (it may have taught one)."""
        kept = self.accounts.get(pk)
        return kept.domain if kept is not None else known

    def find_account(self, domain: str, company: str) -> Account | None:
        """`accounts.find_account()` over the database and this preview's accounts."""
        if domain:
            candidates = [account for account in (
                self.current(Account.objects.filter(domain=domain).first()),
                self.account_by_domain.get(domain)) if account is not None]
            if candidates:
                return min(candidates, key=lambda account: account.pk)
        key = company_key(company)
        if not key:
            return None
        block = {pk: (name_key, self.current_domain(pk, known))
                 for pk, (name_key, known) in name_block(key).items()}
        for account in self.created_by_prefix.get(key[:BLOCK_PREFIX], ()):
            if len(block) >= BLOCK_LIMIT:
                break
            block[account.pk] = (account.name_key, account.domain)
        found = best_in_block(key, block, domain)
        return self.account(found) if found is not None else None

    def create_account(self, **values: object) -> Account:
        account = Account(**values)
        account.pk = self.next_account
        self.next_account += 1
        account.name_key = company_key(account.name)
        self.accounts[account.pk] = account
        if account.domain:
            self.account_by_domain[account.domain] = account
        self.created_by_key.setdefault(account.name_key, account)
        self.created_by_prefix.setdefault(account.name_key[:BLOCK_PREFIX], []).append(account)
        return account

    def change_account(self, account: Account, **changes: object) -> Account:
        """The account with `changes` (a domain taught, fields an accounts file
        updates), kept for the rows after."""
        kept = self.accounts.setdefault(account.pk, account)
        for name, value in changes.items():
            setattr(kept, name, value)
            setattr(account, name, value)
        if kept.domain:
            self.account_by_domain[kept.domain] = kept
        return kept

    def prime(self, by_domain: dict[str, Account], by_key: dict[str, Account],
              domains: set[str], keys: set[str]) -> None:
        """Correct a chunk's account lookups (`AccountCache.prime`) likewise."""
        for domain in domains:
            account = self.current(by_domain.get(domain))
            mine = self.account_by_domain.get(domain)
            if mine is not None and (account is None or mine.pk < account.pk):
                account = mine
            if account is not None:
                by_domain[domain] = account
        for key in keys:
            account = self.current(by_key.get(key))
            if account is None:
                account = self.created_by_key.get(key)
            if account is not None:
                by_key[key] = account
