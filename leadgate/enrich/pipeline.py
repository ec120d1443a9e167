"""enrich_lead(): run the providers over one lead and record what they found."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from leadgate.leads.models import Lead
from leadgate.lib.timezones import is_time_zone

from .models import Enrichment
from .providers import ORDER, REGISTRY

log = logging.getLogger(__name__)

ERROR_PREFIX = "error."


def ordered_kinds(kinds: Iterable[str] | None = None) -> list[str]:
    """The kinds to run, built-ins in ORDER first, then any others registered."""
    wanted = list(REGISTRY) if kinds is None else list(kinds)
    unknown = [k for k in wanted if k not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown enrichment provider(s): {', '.join(unknown)}")
    return [k for k in ORDER if k in wanted] + [k for k in wanted if k not in ORDER]


def run_providers(lead: Lead, kinds: list[str]) -> tuple[dict[str, tuple[Any, str]], list[str]]:
    """Facts found, as {field: (value, provider kind)}, and the kinds that
    succeeded. A provider that fails is logged and recorded as an error fact;
    the others still run. A fact found by an earlier provider is kept."""
    found: dict[str, tuple[Any, str]] = {}
    succeeded = []
    for kind in kinds:
        provider = REGISTRY[kind]()
        if not provider.available():
            continue
        try:
            facts = provider.enrich(lead)
        except Exception as error:
            log.warning("enrichment provider %s failed for lead %s: %s", kind, lead.pk, error)
            found[ERROR_PREFIX + kind] = (str(error)[:500] or type(error).__name__, kind)
            continue
        succeeded.append(kind)
        for field, value in facts.items():
            if value is not None and field not in found:
                found[field] = (value, kind)
    return found, succeeded


def record(lead: Lead, found: dict[str, tuple[Any, str]], succeeded: list[str]) -> None:
    """Upsert the facts: a changed value (or provider) takes the time of now; an
    unchanged one keeps its time. Error facts of providers that now succeeded go."""
    now = timezone.now()
    cleared = [ERROR_PREFIX + kind for kind in succeeded]
    current = {
        row.field: row
        for row in Enrichment.objects.filter(lead_id=lead.pk, field__in=[*found, *cleared])
    }
    cleared = [field for field in cleared if field in current and field not in found]
    changed = [
        Enrichment(lead_id=lead.pk, field=field, value=value, provider=kind, at=now)
        for field, (value, kind) in found.items()
        if field not in current
        or field.startswith(ERROR_PREFIX)  # an error's time is its last attempt
        or current[field].value != value
        or current[field].provider != kind
    ]
    with transaction.atomic():
        if changed:
            Enrichment.objects.bulk_create(
                changed,
                update_conflicts=True,
                unique_fields=["lead", "field"],
                update_fields=["value", "provider", "at"],
            )
        if cleared:
            Enrichment.objects.filter(lead_id=lead.pk, field__in=cleared).delete()


def apply_to_lead(lead: Lead, found: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    """The Lead fields enrichment may fill, only when they are empty."""
    def fact(name: str) -> Any:
        return found[name][0] if name in found else None

    updates: dict[str, Any] = {}
    rows = Lead.objects.filter(pk=lead.pk)
    account_id = fact("account_id")
    if account_id and not lead.account_id and rows.filter(account__isnull=True).update(
        account_id=account_id
    ):
        updates["account_id"] = account_id
    zone = fact("time_zone")
    # An ambiguous zone (a mobile in a country of many zones) is a guess: it
    # stays a fact and is not shown as the lead's local time.
    if (
        isinstance(zone, str) and is_time_zone(zone) and not lead.time_zone
        and not fact("time_zone_ambiguous")
        and rows.filter(time_zone="").update(time_zone=zone)
    ):
        updates["time_zone"] = zone
    country = fact("phone_country") or fact("country")
    if (
        isinstance(country, str) and len(country) == 2 and not lead.country
        and rows.filter(country="").update(country=country.upper())
    ):
        updates["country"] = country.upper()
    for name, value in updates.items():
        setattr(lead, name, value)
    return updates


def enrich_lead(lead: Lead, kinds: Iterable[str] | None = None) -> dict[str, Any]:
    """Run the providers (all, or `kinds`) over the lead, record each fact with
    its provider and time, and fill the lead's empty account, time zone and
    country. Returns {field: value} of what was found. Never raises for a
    provider's failure."""
    found, succeeded = run_providers(lead, ordered_kinds(kinds))
    record(lead, found, succeeded)
    apply_to_lead(lead, found)
    return {field: value for field, (value, _) in found.items()}


def lead_facts(lead: Lead | int) -> dict[str, dict[str, Any]]:
    """{field: {"value", "provider", "at"}} of what enrichment recorded for the lead."""
    lead_id = lead if isinstance(lead, int) else lead.pk
    return {
        row.field: {"value": row.value, "provider": row.provider, "at": row.at}
        for row in Enrichment.objects.filter(lead_id=lead_id).order_by("field")
    }
