"""The values of an account row of an import (`leadgate import --as accounts`)
and how one is taken: created, merged into the account it matches, or skipped;
in a preview, what would be."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation

from leadgate.leads.models import Account
from leadgate.lib.countries import country_code
from leadgate.lib.normalize import (
    clean_text,
    company_domain,
    normalize_email,
    registrable_domain,
)

from ..accounts import find_account
from ..fields import IntakeError
from .preview import Preview

MULTIPLIERS = {"": 1, "k": 10**3, "thousand": 10**3, "m": 10**6, "mm": 10**6,
               "million": 10**6, "b": 10**9, "bn": 10**9, "billion": 10**9}


def parse_amount(raw: str, field_name: str, unit: int = 1) -> Decimal | None:
    """"36.9 Million", "$1.2B", "1,100.04", "500k" -> a Decimal; a bare
    number is counted in `unit` (the column's: "Revenue ($M)", 10**6)."""
    text = clean_text(raw).lower().replace(",", "").replace("$", "").replace("usd", "")
    if not text:
        return None
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)", text.strip())
    if not match or match.group(2) not in MULTIPLIERS:
        raise IntakeError(field_name, f"{raw!r} is not an amount such as 1200000 or 1.2M")
    try:
        amount = Decimal(match.group(1)) * (MULTIPLIERS[match.group(2)] if match.group(2)
                                            else unit)
    except InvalidOperation:
        raise IntakeError(field_name, f"{raw!r} is not an amount") from None
    if amount >= 10**14:
        raise IntakeError(field_name, f"{raw!r} is too large")
    return amount.quantize(Decimal("0.01"))


def parse_count(raw: str, field_name: str) -> int | None:
    """"2,822" -> 2822; a range such as "51-200" -> its lower bound."""
    text = clean_text(raw).replace(",", "").replace(" ", "")
    if not text:
        return None
    match = re.fullmatch(r"([0-9]+)(?:\.0+)?(?:[-–][0-9]+|\+)?", text)
    if not match or int(match.group(1)) > 2**31 - 1:
        raise IntakeError(field_name, f"{raw!r} is not a number of employees")
    return int(match.group(1))


def limited(values: dict[str, str], name: str, limit: int) -> str:
    text = clean_text(values.get(name))
    if len(text) > limit:
        raise IntakeError(name, f"is {len(text)} characters long; the limit is {limit}")
    return text


def account_values(mapped: dict[str, str], warnings: Counter,
                   revenue_unit: int = 1) -> dict[str, object]:
    """An account row's clean fields (only those the row gives), or IntakeError.
    `revenue_unit`: what a bare revenue figure counts in (the column's unit)."""
    name = limited(mapped, "name", 200)
    website = limited(mapped, "website", 300)
    site = website if registrable_domain(website) else mapped.get("domain", "")
    domain = company_domain(normalize_email(mapped.get("email", "")), site)
    if website and not registrable_domain(website):
        warnings["website"] += 1
    if not name and not domain:
        raise IntakeError("name", "a company name or a website is required")
    values: dict[str, object] = {"name": name or domain, "domain": domain, "website": website,
                                 "industry": limited(mapped, "industry", 100),
                                 "state": limited(mapped, "state", 100),
                                 "city": limited(mapped, "city", 100),
                                 "employees": parse_count(mapped.get("employees", ""),
                                                          "employees"),
                                 "annual_revenue": parse_amount(mapped.get("revenue", ""),
                                                                "revenue", revenue_unit)}
    if mapped.get("country"):
        values["country"] = country_code(mapped["country"])
        if not values["country"]:
            warnings["country"] += 1  # kept without it: an unknown country name
    return {key: value for key, value in values.items() if value not in ("", None)}


def take_account(values: dict[str, object], preview: Preview | None = None) -> str:
    """Create or update the account: "created", "merged" (updated) or "skipped"
    (in a preview: what it would be)."""
    domain, name = str(values.get("domain", "")), str(values["name"])
    account = preview.find_account(domain, name) if preview else find_account(domain, name)
    if account is None:
        if preview:
            preview.create_account(**values)
        else:
            Account.objects.create(**values)
        return "created"
    changes = {key: value for key, value in values.items()
               if key not in ("name", "domain") and getattr(account, key) != value}
    if domain and not account.domain:
        changes["domain"] = domain
    if not changes:
        return "skipped"
    if preview:
        preview.change_account(account, **changes)
    else:
        Account.objects.filter(pk=account.pk).update(**changes)
    return "merged"
