"""The optional instant acknowledgement to a person who asked for contact.

Off unless LEADGATE_AUTO_ACK is on. Sent once per cycle for inbound
inquiries (forms, API) to a valid address that is not a shared mailbox, and
recorded as an automatic email touch: it has no actor, so it does not stop
the SLA clock (only a person's first touch does, see routing.sla).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead
from leadgate.workspace.models import Touch

log = logging.getLogger(__name__)

MARK = "Automatic acknowledgement"
INBOUND = (Inquiry.Channel.FORM, Inquiry.Channel.API)


def acknowledge(lead: Lead, inquiry: Inquiry) -> Touch | None:
    """Email the lead that their request arrived; the Touch recording it, or
    None when nothing was sent (off, not inbound, no usable address, already
    acknowledged this cycle, or the mail server refused)."""
    if not settings.LEADGATE_AUTO_ACK or inquiry.channel not in INBOUND:
        return None
    if not lead.email or lead.email_invalid or lead.email_role:
        return None
    already = Touch.objects.filter(lead=lead, cycle=lead.cycle, actor__isnull=True,
                                   channel=Touch.Channel.EMAIL, notes__startswith=MARK)
    if already.exists():
        return None
    context = {"lead": lead, "inquiry": inquiry, "company": settings.LEADGATE_COMPANY_NAME}
    subject = render_to_string("routing/email/ack_subject.txt", context).strip()
    body = render_to_string("routing/email/ack_body.txt", context)
    try:
        send_mail(subject, body, None, [lead.email])
    except OSError as error:  # SMTP down or refusing: the lead is still worked
        log.warning("acknowledgement to lead %s not sent: %s", lead.pk, error)
        return None
    return Touch.objects.create(
        lead=lead, cycle=lead.cycle, channel=Touch.Channel.EMAIL,
        direction=Touch.Direction.OUTBOUND, disposition=Touch.Disposition.SENT,
        actor=None, notes=f"{MARK}: {subject}")
