"""Company facts from the account table, by the lead's domain."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from leadgate.leads.models import Account, Lead

from .base import Provider, lead_domain, register


def parent_domains(domain: str) -> list[str]:
    """"eu.mail.acme.com" -> [that, "mail.acme.com", "acme.com"]."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))]


@register
class CompanyProvider(Provider):
    kind = "company"
    fills = ("account_id", "account", "industry", "employees", "revenue", "country", "state")

    def __init__(self) -> None:
        # What prepare() read: the accounts of the leads it was given, by id
        # and by domain (an instance serves one batch: nothing is read twice).
        self._prepared: set[int] = set()
        self._by_id: dict[int, Account] = {}
        self._by_domain: dict[str, Account] = {}

    def prepare(self, leads: list[Lead]) -> None:
        """The accounts the leads name, and those of their domains and parent
        domains, in one query."""
        ids = {lead.account_id for lead in leads if lead.account_id}
        domains = {parent for lead in leads if (domain := lead_domain(lead))
                   for parent in parent_domains(domain)}
        if ids or domains:
            for account in Account.objects.filter(Q(pk__in=ids) | Q(domain__in=domains)):
                self._by_id[account.pk] = account
                if account.domain:
                    self._by_domain[account.domain] = account
        self._prepared.update(lead.pk for lead in leads)

    def _account(self, lead: Lead) -> Account | None:
        """The lead's account, else the account of its domain's closest match."""
        if lead.pk is None or lead.pk not in self._prepared:
            self.prepare([lead])
        if lead.account_id and lead.account_id in self._by_id:
            return self._by_id[lead.account_id]
        domain = lead_domain(lead)
        candidates = parent_domains(domain) if domain else []
        return next((self._by_domain[d] for d in candidates if d in self._by_domain), None)

    def enrich(self, lead: Lead) -> dict[str, Any]:
        account = self._account(lead)
        if account is None:
            return {}
        facts: dict[str, Any] = {
            "account_id": account.pk,
            "account": account.name,
            "industry": account.industry,
            "employees": account.employees,
            "revenue": float(account.annual_revenue) if account.annual_revenue else None,
            "country": account.country,
            "state": account.state,
        }
        return {k: v for k, v in facts.items() if v not in (None, "")}
