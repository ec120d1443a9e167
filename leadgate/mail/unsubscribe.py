"""The way out, in every email written to a lead (acknowledgement, nurture,
personal): a signed unsubscribe link in the headers (List-Unsubscribe, with
RFC 8058 one-click) and in a footer that names the sender.

Added when the message is built (sender.build_message), not when queued: the
link signs the row's id, which exists only once the row is written, and every
path that queues an email to a lead gets it without asking.

The token is `django.core.signing.Signer` over the email's id with a salt of
its own (an unsubscribe token is no click or open token): no expiry, since a
person may unsubscribe from an email years old; SECRET_KEY_FALLBACKS keeps old
links working across a key rotation. A forged or altered token is refused
before anything is read (`email_of` answers None).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from .models import OutboundEmail

Kind = OutboundEmail.Kind

# Emails written to a lead (staff alerts and handoffs have no unsubscribe).
LEAD_KINDS = frozenset({Kind.ACKNOWLEDGEMENT, Kind.NURTURE, Kind.PERSONAL})
SALT = "leadgate.mail.unsubscribe"
ONE_CLICK = "List-Unsubscribe=One-Click"


def is_lead_facing(kind: str) -> bool:
    return kind in LEAD_KINDS


def token(email_id: int) -> str:
    return signing.Signer(salt=SALT).sign_object(email_id)


def email_id_of(value: str) -> int | None:
    """The email id a token signs, or None for a forged or altered one."""
    try:
        email_id = signing.Signer(salt=SALT).unsign_object(value)
    except (signing.BadSignature, ValueError):
        return None
    return email_id if type(email_id) is int else None


def email_of(value: str) -> OutboundEmail | None:
    """The lead-facing email a token names, or None (bad token, no such row)."""
    email_id = email_id_of(value)
    if email_id is None:
        return None
    return OutboundEmail.objects.filter(pk=email_id, kind__in=LEAD_KINDS).first()


def public_url(path: str) -> str:
    """An absolute URL of this Leadgate, for links in emails."""
    return f"{settings.LEADGATE_PUBLIC_URL}{path}"


def url(email_id: int) -> str:
    return public_url(reverse("mail-unsubscribe", args=[token(email_id)]))


def headers(email: OutboundEmail) -> dict[str, str]:
    """List-Unsubscribe with RFC 8058 one-click (mailbox providers show an
    unsubscribe button and POST to the link themselves; Gmail and Yahoo ask
    bulk senders for both)."""
    return {"List-Unsubscribe": f"<{url(email.pk)}>", "List-Unsubscribe-Post": ONE_CLICK}


def _before_body_end(html: str, addition: str) -> str:
    """`addition` inserted before </body> when there is one, else appended."""
    end = html.lower().rfind("</body>")
    return html[:end] + addition + html[end:] if end >= 0 else html + addition


def add_footer(email: OutboundEmail, body: str, html_body: str) -> tuple[str, str]:
    """The text and HTML bodies with the footer: who sends it (company name,
    from address, postal address when set: CAN-SPAM asks for one) and the
    unsubscribe link. Lead data is not in it; the
    HTML one is escaped all the same (the template autoescapes)."""
    context = {"company": settings.LEADGATE_COMPANY_NAME,
               "sender": email.from_email or settings.DEFAULT_FROM_EMAIL,
               "postal_address": settings.LEADGATE_POSTAL_ADDRESS,
               "unsubscribe_url": url(email.pk)}
    text = body.rstrip("\n") + "\n\n" + render_to_string("mail/footer.txt", context).strip("\n")
    text += "\n"
    if html_body:
        html_body = _before_body_end(html_body, render_to_string("mail/footer.html", context))
    return text, html_body
