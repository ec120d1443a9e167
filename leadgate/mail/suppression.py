"""The suppression list: addresses never emailed again.

`suppress()` puts an address on it (once: the first reason stays) and records
the event that lets later stages react (a nurture cadence stops at once);
`hard_bounce()` is a bounce for good, whoever tells it (a bounce message, or
the server refusing the address while we send);
`suppressed()` answers which of some addresses are on it, for the sender,
which checks every email just before sending it, whichever path queued it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from leadgate.leads import events

from .models import EmailEvent, OutboundEmail, Suppression

Reason = Suppression.Reason

# The event each reason records (do-not-contact is set by a person on the lead).
EVENT_OF = {
    Reason.UNSUBSCRIBED: "email.unsubscribed",
    Reason.HARD_BOUNCE: "email.bounced",
    Reason.COMPLAINT: "email.complained",
    Reason.DO_NOT_CONTACT: "lead.suppressed",
}


def normalized(address: str) -> str:
    return (address or "").strip().lower()


def suppressed(addresses: Iterable[str]) -> set[str]:
    """Those of `addresses` (normalized) that are on the list: one query."""
    wanted = {normalized(address) for address in addresses} - {""}
    if not wanted:
        return set()
    return set(Suppression.objects.filter(address__in=wanted).values_list("address", flat=True))


def is_suppressed(address: str) -> bool:
    return bool(suppressed([address]))


def suppress(address: str, reason: str, *, lead: Any = None, email: OutboundEmail | None = None,
             by: Any = None, note: str = "", data: dict | None = None) -> tuple[Suppression, bool]:
    """Put `address` on the list; returns the row and whether it is new. The
    event (EVENT_OF[reason]) is recorded for the lead of `lead` or of `email`
    each time, in this transaction: a second unsubscribe is still the
    person's wish, and its consumers are idempotent."""
    address = normalized(address)
    if not address:
        raise ValueError("address: an email address is required")
    if reason not in Reason.values:
        raise ValueError(f"reason: one of {', '.join(Reason.values)}")
    lead_id = getattr(lead, "pk", lead) or (email.lead_id if email is not None else None)
    with transaction.atomic():
        row, created = Suppression.objects.get_or_create(
            address=address,
            defaults={"reason": reason, "lead_id": lead_id, "email": email,
                      "by_id": getattr(by, "pk", by), "note": note[:2000]})
        if lead_id is not None:
            events.record(EVENT_OF[Reason(reason)], lead_id, actor=by, data={
                "address": address, "reason": reason,
                "email": email.pk if email is not None else None, **(data or {})})
    return row, created


def hard_bounce(address: str, email: OutboundEmail, *, detail: str, note: str,
                data: dict | None = None) -> None:
    """`email` to `address` bounced for good: the email's `bounced` event (its
    cadence step's figures count it) and the address on the list."""
    with transaction.atomic():
        EmailEvent.objects.create(email=email, kind=EmailEvent.Kind.BOUNCED,
                                  detail=f"{address}: {detail}")
        suppress(address, Reason.HARD_BOUNCE, email=email, note=note, data=data)
