"""enrich_leads(): run the providers over leads and record what they found."""

from __future__ import annotations

import logging
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Field, Q, Value, When
from django.utils import timezone

from leadgate.leads.models import Lead
from leadgate.lib.timezones import is_time_zone

from .models import Enrichment
from .providers import ORDER, REGISTRY, Provider

log = logging.getLogger(__name__)

ERROR_PREFIX = "error."


def ordered_kinds(kinds: Iterable[str] | None = None) -> list[str]:
    """The kinds to run, built-ins in ORDER first, then any others registered."""
    wanted = list(REGISTRY) if kinds is None else list(kinds)
    unknown = [k for k in wanted if k not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown enrichment provider(s): {', '.join(unknown)}")
    return [k for k in ORDER if k in wanted] + [k for k in wanted if k not in ORDER]


def providers(kinds: list[str], leads: list[Lead]) -> list[Provider]:
    """The available providers of `kinds`, in order, each prepared for these
    leads (what it reads for all of them at once). A preparation that fails
    is logged; the provider then reads lead by lead, failing there as it may."""
    ready = []
    for kind in kinds:
        provider = REGISTRY[kind]()
        if not provider.available():
            continue
        try:
            provider.prepare(leads)
        except Exception as error:
            log.warning("enrichment provider %s could not prepare %d leads: %s",
                        kind, len(leads), error)
        ready.append(provider)
    return ready


def run_providers(lead: Lead, ready: list[Provider],
                  ) -> tuple[dict[str, tuple[Any, str]], list[str]]:
    """Facts found, as {field: (value, provider kind)}, and the kinds that
    succeeded. A provider that fails is logged and recorded as an error fact;
    the others still run. A fact found by an earlier provider is kept."""
    found: dict[str, tuple[Any, str]] = {}
    succeeded = []
    for provider in ready:
        kind = provider.kind
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


@dataclass
class _Run:
    """One lead's providers' answers: {field: (value, kind)} and the kinds that succeeded."""

    lead: Lead
    found: dict[str, tuple[Any, str]]
    succeeded: list[str]


def record(runs: list[_Run]) -> None:
    """Upsert the facts of every lead: a changed value (or provider) takes the
    time of now; an unchanged one keeps its time. Error facts of providers that
    now succeeded go. One read, one upsert, one delete for all the leads."""
    now = timezone.now()
    wanted = {field for run in runs
              for field in [*run.found, *(ERROR_PREFIX + kind for kind in run.succeeded)]}
    current = {
        (lead_id, field): (value, provider)
        for lead_id, field, value, provider in Enrichment.objects.filter(
            lead_id__in=[run.lead.pk for run in runs], field__in=wanted,
        ).values_list("lead_id", "field", "value", "provider")
    }
    changed = [
        Enrichment(lead_id=run.lead.pk, field=field, value=value, provider=kind, at=now)
        for run in runs
        for field, (value, kind) in run.found.items()
        if field.startswith(ERROR_PREFIX)  # an error's time is its last attempt
        or current.get((run.lead.pk, field)) != (value, kind)
    ]
    cleared = [
        Q(lead_id=run.lead.pk, field__in=fields)
        for run in runs
        if (fields := [ERROR_PREFIX + kind for kind in run.succeeded
                       if (run.lead.pk, ERROR_PREFIX + kind) in current
                       and ERROR_PREFIX + kind not in run.found])
    ]
    if changed:
        # In (lead, field) order: two runs over the same leads lock the rows
        # in the same order (PostgreSQL), never in a deadlock.
        changed.sort(key=lambda row: (row.lead_id, row.field))
        Enrichment.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["lead", "field"],
            update_fields=["value", "provider", "at"],
        )
    if cleared:
        Enrichment.objects.filter(reduce(operator.or_, cleared)).delete()


# The Lead fields enrichment may fill, and the SQL condition of each being empty.
EMPTY = {"account_id": Q(account__isnull=True), "time_zone": Q(time_zone=""),
         "country": Q(country="")}


def _fills(run: _Run) -> dict[str, Any]:
    """What enrichment would fill of this lead's empty fields, as far as the lead read shows."""
    def fact(name: str) -> Any:
        return run.found[name][0] if name in run.found else None

    lead = run.lead
    fills: dict[str, Any] = {}
    account_id = fact("account_id")
    if account_id and not lead.account_id:
        fills["account_id"] = account_id
    zone = fact("time_zone")
    # An ambiguous zone (a mobile in a country of many zones) is a guess: it
    # stays a fact and is not shown as the lead's local time.
    if (isinstance(zone, str) and is_time_zone(zone) and not lead.time_zone
            and not fact("time_zone_ambiguous")):
        fills["time_zone"] = zone
    country = fact("phone_country") or fact("country")
    if isinstance(country, str) and len(country) == 2 and not lead.country:
        fills["country"] = country.upper()
    return fills


def apply_to_leads(runs: list[_Run]) -> None:
    """Fill the leads' empty account, time zone and country: one UPDATE for all
    the leads, each field set only while still empty in the row (a CASE per
    field), so a value written meanwhile by someone else is kept; then the
    filled fields read back onto the Lead objects."""
    fills = {run.lead.pk: found for run in runs if (found := _fills(run))}
    if not fills:
        return
    updates: dict[str, Case] = {}
    for name, empty in EMPTY.items():
        whens = [When(Q(pk=pk) & empty, then=Value(values[name]))
                 for pk, values in fills.items() if name in values]
        if whens:
            field = Lead._meta.get_field(name)
            assert isinstance(field, Field)
            updates[name] = Case(*whens, default=F(name), output_field=field)
    rows = Lead.objects.filter(pk__in=fills)
    rows.update(**updates)
    # Read back rather than assumed: a concurrent write may have won a field.
    stored = {pk: dict(zip(updates, values, strict=True))
              for pk, *values in rows.values_list("pk", *updates)}
    for run in runs:
        for name in fills.get(run.lead.pk, ()):
            if run.lead.pk in stored:
                setattr(run.lead, name, stored[run.lead.pk][name])


def enrich_leads(leads: Iterable[Lead], kinds: Iterable[str] | None = None,
                 ) -> dict[int, dict[str, Any]]:
    """Run the providers (all, or `kinds`) over each lead, record each fact
    with its provider and time, and fill the leads' empty account, time zone
    and country. Returns {lead id: {field: value}} of what was found. Never
    raises for a provider's failure.

    The providers run first, outside any transaction (a remote one calls out:
    no write lock is held meanwhile); then the writes for all the leads go in
    one transaction of a fixed number of statements, however many leads (the
    per-statement cost of the ORM, not the database, was most of the time
    spent per lead)."""
    order = ordered_kinds(kinds)
    unique: dict[int, Lead] = {}
    for lead in leads:  # one upsert may not touch a row twice (PostgreSQL)
        unique.setdefault(lead.pk, lead)
    ready = providers(order, list(unique.values())) if unique else []
    runs = {pk: _Run(lead, *run_providers(lead, ready)) for pk, lead in unique.items()}
    if runs:
        with transaction.atomic():
            record(list(runs.values()))
            apply_to_leads(list(runs.values()))
    return {pk: {field: value for field, (value, _) in run.found.items()}
            for pk, run in runs.items()}


def enrich_lead(lead: Lead, kinds: Iterable[str] | None = None) -> dict[str, Any]:
    """enrich_leads() for one lead: {field: value} of what was found."""
    return enrich_leads([lead], kinds)[lead.pk]


def lead_facts(lead: Lead | int) -> dict[str, dict[str, Any]]:
    """{field: {"value", "provider", "at"}} of what enrichment recorded for the lead."""
    lead_id = lead if isinstance(lead, int) else lead.pk
    return {
        row.field: {"value": row.value, "provider": row.provider, "at": row.at}
        for row in Enrichment.objects.filter(lead_id=lead_id).order_by("field")
    }
