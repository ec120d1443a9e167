"""The optional instant acknowledgement to a person who asked for contact.

Off unless LEADGATE_AUTO_ACK is on. Queued once per cycle for inbound
inquiries (forms, API) to a valid address that is not a shared mailbox, and
recorded as an automatic email touch: it has no actor, so it does not stop
the SLA clock (only a person's first touch does, see routing.sla).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import queue_email
from leadgate.workspace.models import Touch

MARK = "Automatic acknowledgement"
INBOUND = (Inquiry.Channel.FORM, Inquiry.Channel.API)


def acknowledge(lead: Lead, inquiry: Inquiry) -> Touch | None:
    """Queue the email telling the lead that their request arrived, and the
    Touch recording it, in one transaction; the Touch, or None when nothing
    was queued (off, not inbound, no usable address, already acknowledged
    this cycle). The outbox sends it and retries while the mail server is
    down; its key (lead and cycle) makes a second run of the after-intake
    steps queue nothing and record no second touch."""
    if not settings.LEADGATE_AUTO_ACK or inquiry.channel not in INBOUND:
        return None
    if not lead.email or lead.email_invalid or lead.email_role:
        return None
    context = {"lead": lead, "inquiry": inquiry, "company": settings.LEADGATE_COMPANY_NAME}
    subject = " ".join(render_to_string("routing/email/ack_subject.txt", context).split())
    body = render_to_string("routing/email/ack_body.txt", context)
    with transaction.atomic():
        # Acknowledged before the outbox existed: a touch without an email row.
        already = Touch.objects.filter(lead=lead, cycle=lead.cycle, actor__isnull=True,
                                       channel=Touch.Channel.EMAIL, notes__startswith=MARK)
        if already.exists():
            return None
        _, queued = queue_email(key=f"ack:{lead.pk}:{lead.cycle}",
                                kind=OutboundEmail.Kind.ACKNOWLEDGEMENT, to=[lead.email],
                                subject=subject, body=body, lead=lead)
        if not queued:
            return None
        return Touch.objects.create(
            lead=lead, cycle=lead.cycle, channel=Touch.Channel.EMAIL,
            direction=Touch.Direction.OUTBOUND, disposition=Touch.Disposition.SENT,
            actor=None, notes=f"{MARK}: {subject}")
