"""`receive()`: every inquiry, from every channel, goes in here.

Parse and normalize, find the person (same email, then same phone) under a
lock on their identity, attach the inquiry to that lead or create a new lead
with its account, and commit. Only then, after the commit, is the slower work
queued (fuzzy duplicate search now; enrichment, scoring, routing later), so
nothing that fails afterwards can lose the lead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.after_save import DEFAULT_PRIORITY, HOT_PRIORITY, queue_after_save
from leadgate.leads.models import Lead, User, create_lead
from leadgate.lib import jsonbody

from .accounts import match_account
from .dedup import exact_match
from .fields import IntakeError, LeadData, parse
from .locks import lock_identities
from .models import Campaign, Inquiry, Source, WebForm


class AlreadyReceived(Exception):
    """An import row whose fingerprint is already in: nothing to do."""

    def __init__(self, inquiry: Inquiry):
        super().__init__(f"already received as inquiry {inquiry.pk}")
        self.inquiry = inquiry


@dataclass(frozen=True)
class Received:
    lead: Lead
    inquiry: Inquiry
    created: bool  # a new lead, or the inquiry joined an existing one
    warnings: dict[str, str]
    # Whether the sender may see the lead the inquiry went to: a new lead, or one
    # visible to `by` (or no user: a form, a service key). Otherwise the answer
    # names only the inquiry, and the lead's fields are left as they were.
    sender_sees: bool = True


def json_safe(payload: dict) -> dict:
    """The payload as every database's JSON can hold it: dates as text, anything
    odd as its repr, no NUL characters or lone surrogates (an imported cell may
    carry them; PostgreSQL refuses them)."""
    return jsonbody.storable(json.loads(json.dumps(payload, cls=DjangoJSONEncoder, default=str)))


def receive(
    payload: dict,
    *,
    channel: str,
    source: Source | None = None,
    campaign: Campaign | None = None,
    form: WebForm | None = None,
    is_hot: bool = False,
    by: User | None = None,
    at: datetime | None = None,
    fingerprint: str = "",
    consent_text: str = "",
    data: LeadData | None = None,
) -> Received:
    """Take one inquiry. `payload` is what arrived, keyed by intake field names
    (plus anything else, which is kept); `data` may carry it already parsed.

    Raises IntakeError naming the field when there is nothing to take, and
    AlreadyReceived for a fingerprint seen before.
    """
    data = data or parse(payload)
    at = at or timezone.now()
    if campaign and not source:
        source = campaign.source
    stored = json_safe(payload)
    try:
        with transaction.atomic():
            result = _receive(
                data, stored, channel=channel, source=source, campaign=campaign,
                form=form, is_hot=is_hot, by=by, at=at, fingerprint=fingerprint,
                consent_text=consent_text,
            )
            events.record("inquiry.received", result.lead, actor=by, at=at, data={
                "inquiry": result.inquiry.pk, "channel": channel, "created": result.created,
                "stage": result.lead.stage})
            if result.created:
                # A hot request jumps the backlog: its SLA clock is minutes.
                queue_after_save([result.lead.pk],
                                 priority=HOT_PRIORITY if is_hot else DEFAULT_PRIORITY)
    except IntegrityError:
        if fingerprint:
            seen = Inquiry.objects.filter(fingerprint=fingerprint).first()
            if seen:
                raise AlreadyReceived(seen) from None
        raise
    return result


def _receive(data: LeadData, payload: dict, *, channel, source, campaign, form, is_hot, by,
             at, fingerprint, consent_text) -> Received:
    if fingerprint:
        seen = Inquiry.objects.filter(fingerprint=fingerprint).first()
        if seen:
            raise AlreadyReceived(seen)
    # The domain too: two new people of one new company must make one account.
    lock_identities(data.email, data.phone, data.domain)
    lead, matched_by = exact_match(data)
    created = lead is None
    if lead is None:
        account = match_account(data.domain, data.company_name)
        owner = account.owner if account and account.owner_id else None
        lead = create_lead(
            **data.lead_fields(), account=account, source=source, campaign=campaign,
            owner=owner, team=owner.team if owner else None, by=by, at=at,
        )
        sees = True
    else:
        sees = by is None or Lead.objects.visible_to(by).filter(pk=lead.pk).exists()
        attach(lead, data, by=by, at=at, fill=sees)
    inquiry = Inquiry.objects.create(
        lead=lead, cycle=lead.cycle, channel=channel, source=source, campaign=campaign,
        form=form, is_hot=is_hot, payload=payload, received_at=at, matched_by=matched_by,
        fingerprint=fingerprint, consent_text=consent_text,
        consent_at=at if consent_text else None,
    )
    return Received(lead, inquiry, created, data.warnings, sees)


def attach(lead: Lead, data: LeadData, *, by: User | None, at: datetime,
           fill: bool = True) -> None:
    """A known person sent another inquiry. Their lead keeps its stage (never
    moved backwards); a closed one starts a new cycle; empty fields are filled
    (unless `fill` is off: a sender who may not see the lead writes nothing
    onto it; what it sent stays in the inquiry's payload)."""
    if lead.is_closed:
        lead.start_new_cycle(by=by, at=at, reason="returned with a new inquiry")
    if not fill:
        return
    updates = {
        name: value
        for name, value in data.lead_fields().items()
        if isinstance(value, str) and value and not getattr(lead, name)
    }
    if updates:
        Lead.objects.filter(pk=lead.pk).update(**updates)
        for name, value in updates.items():
            setattr(lead, name, value)


__all__ = ["AlreadyReceived", "IntakeError", "Received", "receive"]
