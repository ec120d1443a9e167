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
from leadgate.leads import events
from leadgate.leads.models import Lead, Touch
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import Email, queue_emails

MARK = "Automatic acknowledgement"
INBOUND = (Inquiry.Channel.FORM, Inquiry.Channel.API)


def acknowledge(lead: Lead, inquiry: Inquiry) -> Touch | None:
    """acknowledge_many() for one lead: the Touch, or None when nothing was queued."""
    return acknowledge_many([(lead, inquiry)])[0]


def acknowledge_many(pairs: list[tuple[Lead, Inquiry]]) -> list[Touch | None]:
    """Queue the email telling each lead that their request (the inquiry)
    arrived, and the Touch recording it, in one transaction; for each pair, in
    order, the Touch, or None when nothing was queued (off, not inbound, no
    usable address, already acknowledged this cycle, or earlier in the list).
    The outbox sends them and retries while the mail server is down; the key
    (lead and cycle) makes a second run of the after-intake steps queue
    nothing and record no second touch.

    A fixed number of statements however many leads (one read of the touches,
    the outbox's two and its send task, one insert of the touches): the
    after-intake steps acknowledge a worker's batch of leads at once."""
    touches: list[Touch | None] = [None] * len(pairs)
    if not settings.LEADGATE_AUTO_ACK:
        return touches
    # Rendered before the transaction: on SQLite it holds the write lock.
    wanted: dict[str, tuple[int, Lead, str, str]] = {}
    for index, (lead, inquiry) in enumerate(pairs):
        key = f"ack:{lead.pk}:{lead.cycle}"
        if inquiry.channel not in INBOUND or not lead.email or lead.email_invalid \
                or lead.email_role or key in wanted:
            continue
        context = {"lead": lead, "inquiry": inquiry, "company": settings.LEADGATE_COMPANY_NAME}
        subject = " ".join(render_to_string("routing/email/ack_subject.txt", context).split())
        body = render_to_string("routing/email/ack_body.txt", context)
        wanted[key] = (index, lead, subject, body)
    if not wanted:
        return touches
    with transaction.atomic():
        # Acknowledged before the outbox existed: a touch without an email row.
        already = set(Touch.objects.filter(
            lead_id__in={lead.pk for _, lead, _, _ in wanted.values()}, actor__isnull=True,
            channel=Touch.Channel.EMAIL, notes__startswith=MARK,
        ).values_list("lead_id", "cycle"))
        due = [(key, *item) for key, item in wanted.items()
               if (item[1].pk, item[1].cycle) not in already]
        queued = queue_emails([
            Email(key=key, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT, to=(lead.email,),
                  subject=subject, body=body, lead=lead)
            for key, _, lead, subject, body in due
        ])
        new = [
            (index, Touch(lead=lead, cycle=lead.cycle, channel=Touch.Channel.EMAIL,
                          direction=Touch.Direction.OUTBOUND,
                          disposition=Touch.Disposition.SENT, actor=None,
                          notes=f"{MARK}: {subject}"))
            for (_, index, lead, subject, _), (_, created) in zip(due, queued, strict=True)
            if created
        ]
        Touch.objects.bulk_create([touch for _, touch in new])
        events.record_many(events.touched(touch) for _, touch in new)
    for index, touch in new:
        touches[index] = touch
    return touches
