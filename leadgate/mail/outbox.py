"""Queueing an email: `queue_email()` is the one way Leadgate sends mail.

The row is written in the caller's transaction, and the task that sends it is
queued with it (`enqueue_with_transaction`): a change that rolls back leaves
neither, and a committed one is emailed within seconds by an urgent worker.
When that task is lost, or the mail server fails, the sweep (tasks.py, every
10 s) sends the row when it is due (see sender.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction

from leadgate.leads.models import Lead
from leadgate.leads.queue import enqueue_with_transaction

from .models import OutboundEmail
from .tasks import send_email

Kind = OutboundEmail.Kind


@dataclass(frozen=True)
class Attachment:
    """A text attachment; `params` go on its Content-Type (method=REQUEST for
    a calendar invitation)."""

    filename: str
    content: str
    mimetype: str = "text/plain"
    params: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"filename": self.filename, "content": self.content,
                "mimetype": self.mimetype, "params": dict(self.params)}


def _domain() -> str:
    """The Message-ID's domain: the sender address's, as mail servers expect."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip().strip(">")
    return domain if domain and "@" in settings.DEFAULT_FROM_EMAIL else "leadgate.localhost"


def _one_line(text: str) -> str:
    # A newline in a header is refused by Django (header injection): the
    # subject is one line whatever the lead data in it holds.
    return " ".join(str(text).split())


def queue_email(
    *,
    key: str,
    kind: str,
    to: Iterable[str],
    subject: str,
    body: str,
    html_body: str = "",
    attachments: Iterable[Attachment] = (),
    lead: Lead | None = None,
    from_email: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[OutboundEmail, bool]:
    """Queue an email under the caller's idempotency `key`; returns the row
    and whether it was queued now (False: that key was queued before, and
    nothing new is sent)."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise ValueError("key: a non-empty idempotency key of at most 200 characters")
    if kind not in Kind.values:
        raise ValueError(f"kind: one of {', '.join(Kind.values)}")
    recipients = list(dict.fromkeys(address.strip() for address in to if address.strip()))
    if not recipients:
        raise ValueError("to: at least one recipient")
    with transaction.atomic():
        email, created = OutboundEmail.objects.get_or_create(key=key, defaults={
            "kind": kind, "lead": lead, "from_email": from_email, "to": recipients,
            "subject": _one_line(subject)[:255], "body": body, "html_body": html_body,
            "attachments": [item.as_json() for item in attachments],
            "headers": dict(headers or {}), "message_id": make_msgid(domain=_domain()),
        })
        if created:
            enqueue_with_transaction(send_email, email.pk)
    return email, created


def emails_by_key(keys: Iterable[str]) -> dict[str, OutboundEmail]:
    """The rows of these keys (those that exist), by key: one query for a page's list."""
    wanted = list(dict.fromkeys(keys))
    return {email.key: email for email in OutboundEmail.objects.filter(key__in=wanted)}
