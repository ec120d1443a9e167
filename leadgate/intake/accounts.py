"""Lead -> account: by the company's domain (never a free-mail one), else by
the company's name, exactly on its matching key and then fuzzily. A fuzzy
match never takes an account with another domain than the lead's: "Firm 12"
at firm12.com is not "Firm 120" at firm120.com, however alike the names."""

from __future__ import annotations

from django.conf import settings
from rapidfuzz import fuzz, process

from leadgate.leads.models import Account
from leadgate.lib.normalize import company_key

# Fuzzy name matching compares against accounts whose key starts alike; this
# keeps it one indexed range scan however many accounts there are.
BLOCK_PREFIX = 3
BLOCK_LIMIT = 5000


def find_account(domain: str, company: str) -> Account | None:
    if domain:
        account = Account.objects.filter(domain=domain).first()
        if account:
            return account
    key = company_key(company)
    if not key:
        return None
    found = best_in_block(key, name_block(key), domain)
    return Account.objects.get(pk=found) if found is not None else None


def name_block(key: str) -> dict[int, tuple[str, str]]:
    """The accounts whose name key shares the first BLOCK_PREFIX characters of
    `key`, pk -> (name key, domain): one indexed range scan serves both the
    exact key and the fuzzy match."""
    rows = (Account.objects.filter(name_key__startswith=key[:BLOCK_PREFIX]).order_by("pk")
            .values_list("pk", "name_key", "domain")[:BLOCK_LIMIT])
    return {pk: (name_key, domain) for pk, name_key, domain in rows}


def best_in_block(key: str, block: dict[int, tuple[str, str]], domain: str = "") -> int | None:
    """The pk of the account named exactly `key`, else of the closest name
    above the match threshold among those with no other domain than `domain`,
    else None."""
    exact = next((pk for pk, (name_key, _) in block.items() if name_key == key), None)
    if exact is not None:
        return exact
    names = {pk: name_key for pk, (name_key, other) in block.items()
             if not (domain and other and other != domain)}
    best = process.extractOne(key, names, scorer=fuzz.ratio,
                              score_cutoff=settings.LEADGATE_ACCOUNT_MATCH_THRESHOLD)
    return best[2] if best else None


def match_account(domain: str, company: str) -> Account | None:
    """The lead's account, created when the company is new; None when the
    lead names no company and has no company domain."""
    account = find_account(domain, company)
    if account:
        if domain and not account.domain:
            # The first lead with a real domain teaches the account its domain.
            Account.objects.filter(pk=account.pk, domain="").update(domain=domain)
            account.domain = domain
        return account
    if not (domain or company_key(company)):
        return None
    # Intake holds the domain's lock (intake.locks), so no one else creates it now.
    return Account.objects.create(name=company or domain, domain=domain)
