"""Queueing email: `queue_emails()` (and `queue_email()` for one) is the one
way Leadgate sends mail.

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
from .tasks import send_email, send_emails
from .tracking import links_of

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


@dataclass(frozen=True)
class Email:
    """An email to queue under the caller's idempotency `key` (see queue_email)."""

    key: str
    kind: str
    to: Iterable[str]
    subject: str
    body: str
    html_body: str = ""
    attachments: Iterable[Attachment] = ()
    lead: Lead | None = None
    from_email: str = ""
    headers: dict[str, str] | None = None
    # Opens and clicks tracked (nurture only; see tracking.py): its HTML
    # body's links are recorded now and rewritten when it is sent. Off while
    # LEADGATE_EMAIL_TRACKING is off, or without an HTML body.
    track: bool = False

    def row(self) -> OutboundEmail:
        """The unsaved row, checked: ValueError naming the field at fault."""
        key = (self.key or "").strip()
        if not key or len(key) > 200:
            raise ValueError("key: a non-empty idempotency key of at most 200 characters")
        if self.kind not in Kind.values:
            raise ValueError(f"kind: one of {', '.join(Kind.values)}")
        recipients = list(dict.fromkeys(address.strip() for address in self.to
                                        if address.strip()))
        if not recipients:
            raise ValueError("to: at least one recipient")
        if self.track and self.kind != Kind.NURTURE:
            raise ValueError("track: only nurture emails are tracked")
        tracked = self.track and settings.LEADGATE_EMAIL_TRACKING
        return OutboundEmail(
            key=key, kind=self.kind, lead=self.lead, from_email=self.from_email, to=recipients,
            subject=_one_line(self.subject)[:255], body=self.body, html_body=self.html_body,
            attachments=[item.as_json() for item in self.attachments],
            headers=dict(self.headers or {}), message_id=make_msgid(domain=_domain()),
            links=links_of(self.html_body) if tracked else [],
        )


def queue_emails(emails: Iterable[Email]) -> list[tuple[OutboundEmail, bool]]:
    """Queue emails, each under its idempotency key; for each, in order, the
    row and whether it was queued now (False: that key was queued before, or
    earlier in this list, and nothing new is sent). Every email is checked
    before any is written.

    Two statements and one send task however many emails: the rows are
    inserted skipping keys that exist (also a key another transaction is
    inserting meanwhile: no error, no second row), then read back by key; a
    row is new when it carries the Message-ID chosen here."""
    rows = [email.row() for email in emails]
    if not rows:
        return []
    firsts: dict[str, OutboundEmail] = {}
    for row in rows:
        firsts.setdefault(row.key, row)
    with transaction.atomic():
        # In key order: two transactions inserting the same keys wait on one
        # another in the same order (PostgreSQL), never in a deadlock.
        OutboundEmail.objects.bulk_create([firsts[key] for key in sorted(firsts)],
                                          ignore_conflicts=True)
        stored = {email.key: email for email in OutboundEmail.objects.filter(key__in=firsts)}
        created = [email.pk for key, email in stored.items()
                   if email.message_id == firsts[key].message_id]
        # One task for what this call queued: an email queued alone keeps a
        # task of its own; several are sent by one task, one after another.
        if len(created) == 1:
            enqueue_with_transaction(send_email, created[0])
        elif created:
            enqueue_with_transaction(send_emails, sorted(created))
    return [(stored[row.key], row is firsts[row.key]
             and stored[row.key].message_id == row.message_id) for row in rows]


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
    track: bool = False,
) -> tuple[OutboundEmail, bool]:
    """Queue an email under the caller's idempotency `key`; returns the row
    and whether it was queued now (False: that key was queued before, and
    nothing new is sent). queue_emails() for one email."""
    return queue_emails([Email(key=key, kind=kind, to=tuple(to), subject=subject, body=body,
                               html_body=html_body, attachments=tuple(attachments),
                               lead=lead, from_email=from_email, headers=headers,
                               track=track)])[0]


def emails_by_key(keys: Iterable[str]) -> dict[str, OutboundEmail]:
    """The rows of these keys (those that exist), by key: one query for a page's list."""
    wanted = list(dict.fromkeys(keys))
    return {email.key: email for email in OutboundEmail.objects.filter(key__in=wanted)}
