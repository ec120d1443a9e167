"""The provider registry: small classes found by `kind`.

A provider declares the facts it `fills` and returns them from `enrich(lead)`
without writing anything; `enrich.pipeline.enrich_leads` records them. One
instance serves a batch of leads: `prepare(leads)` may read for all of them first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from leadgate.lib.normalize import (
    FREE_MAIL_DOMAINS,
    NON_COMPANY_DOMAINS,
    company_domain,
    normalize_email,
)

if TYPE_CHECKING:
    from leadgate.leads.models import Lead

# The order providers run in; a fact found by an earlier one is kept.
ORDER = ("company", "email", "phone", "title", "http")


class ProviderError(Exception):
    """A provider could not answer (timeout, bad response, rate limit)."""


class Provider:
    kind: ClassVar[str] = ""
    fills: ClassVar[tuple[str, ...]] = ()

    def available(self) -> bool:
        """False when the provider is not configured (it is then skipped)."""
        return True

    def prepare(self, leads: list[Lead]) -> None:
        """Read at once what enrich() will need for each of these leads (one
        query for a batch rather than one per lead); optional."""

    def enrich(self, lead: Lead) -> dict[str, Any]:
        raise NotImplementedError


REGISTRY: dict[str, type[Provider]] = {}


def register(cls: type[Provider]) -> type[Provider]:
    if not cls.kind:
        raise ValueError(f"{cls.__name__} has no kind")
    REGISTRY[cls.kind] = cls
    return cls


def lead_domain(lead: Lead) -> str:
    """The lead's company domain: the one intake found, else the website's or
    the email's (never free mail nor a social network)."""
    domain = (lead.domain or "").strip().lower()
    if domain and domain not in FREE_MAIL_DOMAINS and domain not in NON_COMPANY_DOMAINS:
        return domain
    return company_domain(normalize_email(lead.email), lead.website)
