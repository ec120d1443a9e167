"""Company facts from the account table, by the lead's domain."""

from __future__ import annotations

from typing import Any

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

    def enrich(self, lead: Lead) -> dict[str, Any]:
        account = None
        if lead.account_id:
            account = Account.objects.filter(pk=lead.account_id).first()
        if account is None:
            domain = lead_domain(lead)
            if not domain:
                return {}
            candidates = parent_domains(domain)
            found = {a.domain: a for a in Account.objects.filter(domain__in=candidates)}
            account = next((found[d] for d in candidates if d in found), None)
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
