"""Free-mail, shared-mailbox and disposable-address flags of the lead's email."""

from __future__ import annotations

from typing import Any

from leadgate.leads.models import Lead
from leadgate.lib.normalize import normalize_email

from .base import Provider, register

# Throwaway mailboxes: whoever typed one does not want to be reached.
DISPOSABLE_DOMAINS = frozenset(
    """
    mailinator.com 10minutemail.com 10minutemail.net guerrillamail.com guerrillamail.net
    guerrillamail.org sharklasers.com grr.la yopmail.com yopmail.fr yopmail.net
    temp-mail.org tempmail.com tempmail.net temp-mail.io trashmail.com trashmail.de
    trashmail.net throwawaymail.com getnada.com nada.email dispostable.com maildrop.cc
    mailnesia.com mintemail.com mohmal.com fakeinbox.com spamgourmet.com emailondeck.com
    tempinbox.com mytemp.email burnermail.io mailcatch.com discard.email getairmail.com
    """.split()
)


@register
class EmailProvider(Provider):
    kind = "email"
    fills = ("email_valid", "email_free", "email_role", "email_disposable")

    def enrich(self, lead: Lead) -> dict[str, Any]:
        email = normalize_email(lead.email)
        if not email.value:
            return {}
        if not email.valid:
            return {"email_valid": False}
        return {
            "email_valid": True,
            "email_free": email.free,
            "email_role": email.role,
            "email_disposable": email.domain in DISPOSABLE_DOMAINS,
        }
