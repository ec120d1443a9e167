"""Sending the outbox: claim a due row, talk to the mail server outside any
database transaction, record what happened.

Claiming is a short transaction: the next due row is locked with
`select_for_update(skip_locked=True)` (PostgreSQL: another sender skips it)
and taken with a compare-and-set update (SQLite has no row locks: the update
only lands while the row is as it was read), which makes it `sending` with a
lease. The SMTP conversation happens after that transaction has committed,
so no database lock (above all SQLite's one write lock) is held while a mail
server answers. A sender killed mid-send leaves the row `sending`; when its
lease runs out the row is due again and another sender retries it.

A transient failure (the server unreachable, a timeout, a 4xx answer, a
refused login) is retried after 1, 2, 5, 15, 30 and 60 minutes, then hourly,
for 24 hours, then the row is `failed`; a permanent refusal (5xx for every
recipient, or for the message) fails it at once, and a lead's address refused
for good goes on the suppression list as a hard bounce (which ends the lead's
nurture cadence). Each failure is one warning line without a traceback: the
row keeps the error for the pages that show it.

Just before the SMTP conversation, whatever path queued the email, the
recipients on the suppression list are left out; with none left the row ends
`suppressed` and the server is not contacted. Past LEADGATE_EMAIL_HOURLY_LIMIT
emails sent in the last hour, due rows wait until the hour has room again.

Nurture is sent at most once: `transmitting_at` is set just before the line
that ends the message's DATA (the moment an SMTP server takes it); a row whose
lease ran out after that (its sender killed before the server's answer was
recorded) may have been delivered, and ends `failed` rather than being sent
again, while one whose sender died earlier is sent again. Other kinds are
resent after a lost lease (a duplicate alert is better than none; receivers
may drop it by its Message-ID).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from . import tracking, unsubscribe
from .models import OutboundEmail, Suppression
from .suppression import hard_bounce, normalized
from .transport import failure_place

logger = logging.getLogger("leadgate.mail")

Status = OutboundEmail.Status
Kind = OutboundEmail.Kind
# Longer than one SMTP conversation can last (EMAIL_TIMEOUT per step): a
# sender still talking to the server keeps its row; the row of a sender
# killed mid-send is due again when it ends (LEADGATE_EMAIL_LEASE_SECONDS).
LEASE = timedelta(seconds=settings.LEADGATE_EMAIL_LEASE_SECONDS)
RETRY_FOR = timedelta(hours=24)
BACKOFF_MINUTES = (1, 2, 5, 15, 30, 60)
BATCH = 50
DUE = (Status.PENDING, Status.SENDING)
# The due rows' condition as the partial index `outbound_email_due` states it,
# with the values written out: SQLite uses a partial index only for a query
# whose WHERE repeats its condition, and a bound `status IN (?, ?)` does not
# (the next-due read scanned the whole outbox, 10 ms over 28,000 rows).
IS_DUE = RawSQL(  # noqa: S611 - constants, no input
    "status IN ({})".format(", ".join(f"'{status}'" for status in DUE)), (),
    output_field=BooleanField())
HOUR = timedelta(hours=1)
LOST = "lost while sending: may have been delivered, not resent"
LEASE_LOST = "the lease ran out before sending: another sender has it"


@dataclass(frozen=True)
class Failure:
    text: str
    permanent: bool = False
    # The server could not be reached at all: the other due rows would wait
    # for the same timeout, so the sweep stops until its next run.
    unreachable: bool = False
    # Recipients the server refused for good (5xx): a hard bounce, told at once.
    refused: tuple[str, ...] = ()


def backoff(failures: int) -> timedelta:
    """The wait after the `failures`-th failed attempt in a row."""
    index = max(failures, 1) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index] if index < len(BACKOFF_MINUTES) else 60)


# --- the message -------------------------------------------------------------------


def _attachment(item: dict) -> MIMEBase:
    mimetype = str(item.get("mimetype") or "application/octet-stream")
    maintype, _, subtype = mimetype.partition("/")
    content = str(item.get("content") or "")
    part: MIMEBase
    if maintype == "text":
        part = MIMEText(content, subtype or "plain", "utf-8")
    else:
        part = MIMEApplication(content.encode("utf-8"), subtype or "octet-stream")
    for name, value in (item.get("params") or {}).items():
        part.set_param(str(name), str(value))
    part.add_header("Content-Disposition", "attachment",
                    filename=str(item.get("filename") or "attachment"))
    return part


def build_message(email: OutboundEmail, *, to: list[str] | None = None) -> EmailMultiAlternatives:
    """The email as Django sends it, with the row's stable Message-ID, to `to`
    (default: the row's recipients). An email to a lead (unsubscribe.LEAD_KINDS)
    gets the unsubscribe headers and footer and Reply-To LEADGATE_REPLY_TO
    (unless its headers name one); a tracked one its redirected links, honeypot
    link and open pixel (tracking.py). Added here, not when queued: the
    links sign the row's id."""
    body, html_body = email.body, email.html_body
    headers = dict(email.headers or {})
    reply_to: list[str] = []
    if tracking.is_tracked(email):
        html_body = tracking.rewrite(email, html_body)
    if unsubscribe.is_lead_facing(email.kind):
        body, html_body = unsubscribe.add_footer(email, body, html_body)
        headers.update(unsubscribe.headers(email))
        if settings.LEADGATE_REPLY_TO and "reply-to" not in {name.lower() for name in headers}:
            reply_to = [settings.LEADGATE_REPLY_TO]
    message = EmailMultiAlternatives(
        subject=email.subject, body=body,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(email.to if to is None else to), reply_to=reply_to,
        headers={**headers, "Message-ID": email.message_id},
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    for item in email.attachments or []:
        message.attach(_attachment(item))
    return message


# --- what went wrong -------------------------------------------------------------------


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


def classify(error: Exception) -> Failure:
    """The failure, worded for the people who read it, and whether retrying can help.

    Only the recipient's or the message's 5xx refusal is permanent: a refused
    sender address or login is the configuration's fault, and once it is
    fixed the waiting emails must still go. (smtplib's errors are OSErrors:
    the specific ones are told apart first.)"""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.values())
        permanent = bool(answers) and all(code >= 500 for code, _ in answers)
        text = "; ".join(sorted({_answer(code, msg) for code, msg in answers}))
        refused = tuple(sorted(address for address, (code, _msg) in error.recipients.items()
                               if code >= 500))
        return Failure(f"the mail server refused the recipient: {text}", permanent=permanent,
                       refused=refused)
    if isinstance(error, smtplib.SMTPDataError):
        answer = _answer(error.smtp_code, error.smtp_error)
        return Failure(f"the mail server refused the message: {answer}",
                       permanent=error.smtp_code >= 500)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        answer = _answer(error.smtp_code, error.smtp_error)
        return Failure(f"the mail server refused the login: {answer}")
    if isinstance(error, smtplib.SMTPConnectError):
        answer = _answer(error.smtp_code, error.smtp_error)
        return Failure(f"{failure_place()} refused the connection: {answer}",
                       unreachable=True)
    if isinstance(error, smtplib.SMTPResponseException):
        return Failure(f"the mail server answered {_answer(error.smtp_code, error.smtp_error)}")
    reason = str(error).strip().splitlines()
    first = reason[0] if reason else type(error).__name__
    if isinstance(error, smtplib.SMTPServerDisconnected) or (
            isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)):
        # "Connection refused" rather than "[Errno 111] Connection refused".
        words = getattr(error, "strerror", None) or first
        return Failure(f"could not reach {failure_place()}: {words}", unreachable=True)
    if isinstance(error, smtplib.SMTPException):
        return Failure(f"the mail server: {first}")
    return Failure(f"{type(error).__name__}: {first}")


# --- suppression and the hourly limit ------------------------------------------------------


def address_of(recipient: str) -> str:
    """The address of a recipient ("Ada <ada@example.com>" or a bare one), normalized."""
    return normalized(parseaddr(recipient)[1] or recipient)


def suppressed_recipients(email: OutboundEmail) -> dict[str, str]:
    """The row's recipients on the suppression list, each with its reason: one query."""
    wanted = {address_of(recipient): recipient for recipient in email.to}
    found = Suppression.objects.filter(address__in=set(wanted) - {""}).values_list(
        "address", "reason")
    return {wanted[address]: reason for address, reason in found}


def room_at(now: datetime) -> datetime | None:
    """None while fewer than LEADGATE_EMAIL_HOURLY_LIMIT emails were sent in
    the hour before `now` (or no limit); else when the hour has room again.
    One count on the sent_at index (migration 0003), and a second read only
    when over the limit."""
    limit = settings.LEADGATE_EMAIL_HOURLY_LIMIT
    if limit <= 0:
        return None
    recent = OutboundEmail.objects.filter(sent_at__gt=now - HOUR)
    count = recent.count()
    if count < limit:
        return None
    # Room again when the oldest emails beyond the limit leave the hour.
    leaving = recent.order_by("sent_at").values_list("sent_at", flat=True)[count - limit]
    return (leaving or now) + HOUR  # never None: sent_at matched the filter


def _wait_for_room(until: datetime, now: datetime) -> None:
    """Leave the due rows due when the hour has room, rather than sending them."""
    count = OutboundEmail.objects.filter(IS_DUE, next_attempt_at__lte=now).update(
        next_attempt_at=until)
    if count:
        logger.warning("%d email%s waiting until %s UTC: LEADGATE_EMAIL_HOURLY_LIMIT (%d an "
                       "hour) reached", count, "s" if count != 1 else "",
                       f"{until:%Y-%m-%d %H:%M:%S}", settings.LEADGATE_EMAIL_HOURLY_LIMIT)


# --- claiming and sending ----------------------------------------------------------------


def _lost(email: OutboundEmail) -> bool:
    """A nurture row whose sender was killed after handing the message over:
    failed, not sent again (at most once). True when this sender did that."""
    if not (email.kind == Kind.NURTURE and email.status == Status.SENDING
            and email.transmitting_at is not None):
        return False
    ended = OutboundEmail.objects.filter(
        pk=email.pk, status=Status.SENDING, attempts=email.attempts,
    ).update(status=Status.FAILED, next_attempt_at=None, claimed_until=None, last_error=LOST)
    if ended:
        logger.warning("email %d (nurture) %s", email.pk, LOST)
    return True


def _claim(now: datetime, pk: int | None = None) -> OutboundEmail | None:
    """The next due row (or row `pk` if due), leased to this sender."""
    for _ in range(10):  # a lost race: take the next row
        with transaction.atomic():
            due = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
                IS_DUE, next_attempt_at__lte=now)
            if pk is not None:
                due = due.filter(pk=pk)
            email = due.order_by("next_attempt_at", "pk").first()
            if email is None:
                return None
            if _lost(email):
                if pk is not None:
                    return None
                continue
            lease = now + LEASE
            taken = OutboundEmail.objects.filter(
                pk=email.pk, status=email.status, attempts=email.attempts,
            ).update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_until=lease,
                     next_attempt_at=lease, transmitting_at=None)
        if taken:
            email.status, email.attempts = Status.SENDING, email.attempts + 1
            email.claimed_until = email.next_attempt_at = lease
            email.transmitting_at = None
            return email
        if pk is not None:
            return None
    return None


def _transmitting(email: OutboundEmail) -> bool:
    """Mark a nurture row as being handed over, while it is still ours."""
    now = timezone.now()
    marked = OutboundEmail.objects.filter(
        pk=email.pk, status=Status.SENDING, attempts=email.attempts,
    ).update(transmitting_at=now)
    email.transmitting_at = now
    return bool(marked)


class LeaseLost(smtplib.SMTPException):
    """The row's lease ran out before its message was complete: another
    sender has it, and this one leaves the message unfinished."""


# What smtplib's DATA ends with: the server takes the message on this line.
END_OF_DATA = b"\r\n.\r\n"


def _mark_before_end_of_data(smtp: smtplib.SMTP, mark: Callable[[], bool]) -> None:
    """Make this open SMTP connection call `mark()` just before the line "."
    that ends the message: a server keeps a message only once it reads that
    line, so a sender killed before the mark leaves nothing delivered (the
    row is sent again when its lease runs out) and only one killed between
    the mark and the server's answer leaves a row that may have been
    delivered (failed "lost while sending", never sent twice). smtplib sends
    the whole message and that line in one call, hence the wrapper, on this
    connection only (it is closed after the message). `mark()` False: the
    lease ran out, and the message is left unfinished (LeaseLost)."""
    send = smtp.send

    def send_and_mark(data: bytes | str) -> None:
        if isinstance(data, bytes) and data.endswith(END_OF_DATA):
            send(data[:-3])
            if not mark():
                raise LeaseLost(LEASE_LOST)
            data = data[-3:]
        send(data)

    smtp.send = send_and_mark  # type: ignore[method-assign,assignment]


def _transmit(email: OutboundEmail, message: EmailMultiAlternatives) -> Failure | None:
    """Hand the message to the email backend. A nurture row is marked
    `transmitting` as late as can be: over SMTP just before the end of its
    DATA (_mark_before_end_of_data), with another backend once it is open;
    a failure before that (to connect, a refused recipient) is retried as
    for any email."""
    connection = get_connection(fail_silently=False)
    handing_over = False

    def mark() -> bool:
        nonlocal handing_over
        handing_over = _transmitting(email)
        return handing_over

    try:
        connection.open()
        if email.kind == Kind.NURTURE:
            smtp = getattr(connection, "connection", None)
            if isinstance(smtp, smtplib.SMTP):
                _mark_before_end_of_data(smtp, mark)
            elif not mark():
                raise LeaseLost(LEASE_LOST)
        connection.send_messages([message])
    except LeaseLost as error:
        return Failure(str(error))
    except Exception as error:  # noqa: BLE001 - recorded on the row and retried
        failure = classify(error)
        # A conversation that broke (a timeout, a hang-up) after the mark
        # without the server's answer may have delivered the message; an
        # answer (4xx, 5xx) says it did not, and an error of ours (a DKIM
        # key that cannot sign) happened before anything was sent.
        broken = isinstance(error, OSError) and not isinstance(
            error, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
        if handing_over and broken:
            return Failure(f"{LOST} ({failure.text})", permanent=True)
        return failure
    finally:
        # Closing can fail on a server that went away; the send is what counts.
        with contextlib.suppress(Exception):
            connection.close()
    return None


def deliver(email: OutboundEmail) -> Failure | None:
    """Send a claimed row (to its recipients not on the suppression list) and
    record the result; the failure, if any."""
    left_out = suppressed_recipients(email)
    recipients = [recipient for recipient in email.to if recipient not in left_out]
    note = "; ".join(f"{recipient} ({reason})" for recipient, reason in left_out.items())
    if not recipients:
        _record_suppressed(email, f"not sent: every recipient is on the suppression list: {note}")
        return None
    try:
        message = build_message(email, to=recipients)
        message.message()  # a header or address that cannot be sent, found before connecting
    except (ValueError, TypeError) as error:
        failure: Failure | None = Failure(f"the email cannot be sent as written: {error}",
                                          permanent=True)
    else:
        failure = _transmit(email, message)
    _record(email, failure, note=f"not sent to {note}: on the suppression list" if note else "")
    return failure


def _record_suppressed(email: OutboundEmail, text: str) -> None:
    OutboundEmail.objects.filter(pk=email.pk, status=Status.SENDING,
                                 attempts=email.attempts).update(
        status=Status.SUPPRESSED, next_attempt_at=None, claimed_until=None,
        last_error=text[:2000])


def _record(email: OutboundEmail, failure: Failure | None, note: str = "") -> None:
    now = timezone.now()
    if failure is None:
        # Recorded even if the lease ran out meanwhile: the email went out
        # (also over a nurture row another sender marked lost).
        OutboundEmail.objects.filter(
            Q(status=Status.SENDING) | Q(status=Status.FAILED, last_error=LOST), pk=email.pk,
        ).update(status=Status.SENT, sent_at=now, next_attempt_at=None, claimed_until=None,
                 last_error=note[:2000])
        return
    retry_at = now + backoff(email.attempts)
    give_up = failure.permanent or retry_at > email.created_at + RETRY_FOR
    fields = {"status": Status.FAILED if give_up else Status.PENDING,
              "next_attempt_at": None if give_up else retry_at,
              "claimed_until": None, "last_error": failure.text[:2000]}
    # Only while still ours: after a lost lease another sender records it.
    if not OutboundEmail.objects.filter(pk=email.pk, status=Status.SENDING,
                                        attempts=email.attempts).update(**fields):
        return
    if give_up and failure.refused and unsubscribe.is_lead_facing(email.kind):
        # The lead's address refused for good: a hard bounce, as a bounce
        # message would tell later; every path that sends checks the list,
        # and nurture ends the lead's cadence on the event. (A colleague's
        # address is not put on the list: a typo in it is fixed, not suppressed.)
        for address in failure.refused:
            hard_bounce(address, email, detail=failure.text, note=failure.text)
    count = len(email.to)
    what = f"email {email.pk} ({email.kind}, {count} recipient{'s' if count != 1 else ''})"
    if give_up:
        logger.warning("%s not sent, given up after %d attempt%s: %s", what, email.attempts,
                       "s" if email.attempts != 1 else "", failure.text)
    else:
        logger.warning("%s not sent, retrying at %s UTC: %s", what,
                       f"{retry_at:%Y-%m-%d %H:%M:%S}", failure.text)


def _has_room() -> bool:
    """Whether the hourly limit lets one more email go; if not, the due rows
    are left due when it will."""
    now = timezone.now()
    until = room_at(now)
    if until is None:
        return True
    _wait_for_room(until, now)
    return False


def send_one(pk: int) -> str | None:
    """Send row `pk` if it is due (the task queued with it); its new status,
    or None when it was not due (sent already, or another sender has it)."""
    return send_many([pk])[0]


def send_many(pks: list[int]) -> list[str | None]:
    """Send rows `pks` that are due, in order (the task queued with them); the
    status of each, None for one that was not due. After a failure to reach
    the mail server the others are left due (their status "pending") rather
    than each waiting for the same timeout: the sweep tries again. Past the
    hourly limit the rest wait for the hour to have room (status "pending")."""
    tried: list[int] = []
    for index, pk in enumerate(pks):
        if not _has_room():
            tried += pks[index:]
            break
        email = _claim(timezone.now(), pk=pk)
        if email is None:
            continue
        tried.append(pk)
        failure = deliver(email)
        if failure is not None and failure.unreachable:
            tried += pks[index + 1:]
            break
    statuses = dict(OutboundEmail.objects.filter(pk__in=tried).values_list("pk", "status"))
    return [statuses.get(pk) for pk in pks]


def send_due(limit: int = BATCH) -> int:
    """Send up to `limit` due rows (new ones whose task was lost, retries,
    lost leases); returns how many were attempted."""
    attempted = 0
    while attempted < limit and _has_room():
        email = _claim(timezone.now())
        if email is None:
            break
        failure = deliver(email)
        attempted += 1
        if failure is not None and failure.unreachable:
            break
    return attempted
