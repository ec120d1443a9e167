"""Lead -> account: by the company's domain (never a free-mail one), else by
the company's name, exactly on its matching key and then fuzzily."""

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
    # One indexed range scan serves both the exact key and the fuzzy match.
    block = dict(
        Account.objects.filter(name_key__startswith=key[:BLOCK_PREFIX])
        .order_by("pk")
        .values_list("pk", "name_key")[:BLOCK_LIMIT]
    )
    exact = next((pk for pk, name_key in block.items() if name_key == key), None)
    if exact is None:
        best = process.extractOne(
            key, block, scorer=fuzz.ratio,
            score_cutoff=settings.LEADGATE_ACCOUNT_MATCH_THRESHOLD,
        )
        exact = best[2] if best else None
    return Account.objects.get(pk=exact) if exact is not None else None


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
