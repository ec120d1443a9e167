"""Mail that comes back: replies, bounces, complaints, out-of-office notes.

`receive(raw)` takes one RFC 822 message (from the reply mailbox, imap.py,
or the inbound webhook, inbound_views.py), keeps it once by its Message-ID
and acts on it, in one transaction:

- a delivery status notification (RFC 3464, or another bounce format
  flufl.bounce knows): each failed recipient is matched to the email we sent
  (by the returned original's Message-ID, else by address among recent
  emails); a permanent failure is an EmailEvent(bounced) and the address is
  suppressed, a temporary one an EmailEvent(soft_bounced) only;
- a complaint (an RFC 5965 feedback report: the person marked it as spam):
  EmailEvent(complained) and the address suppressed;
- an automatic reply (out of office, vacation): kept, nothing else, since
  it says nothing about the person's interest;
- a reply to one of our emails (In-Reply-To, then References): its new text
  (quoted history stripped) as EmailEvent(replied) and the lead's
  `email.replied` event, which stops a nurture cadence and reaches the
  qualifier;
- anything else: kept as unmatched.

Everything in a message is untrusted: a malformed one is kept as unmatched
with the problem noted, never raised; values are made one line and cut to
their column before they are stored or logged.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import parseaddr
from html.parser import HTMLParser

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from flufl.bounce import all_failures
from mailparser_reply import EmailReplyParser

from leadgate.leads import events
from leadgate.lib.jsonbody import storable

from .models import EmailEvent, InboundMessage, OutboundEmail
from .suppression import Reason, hard_bounce, normalized, suppress

logger = logging.getLogger("leadgate.mail.inbound")

Kind = InboundMessage.Kind

# The languages whose "On ... wrote:" / "From: ... Sent:" lines end a reply's
# new text (mail-parser-reply always adds English).
LANGUAGES = ("en", "fr", "de", "es", "it", "nl")
# mail-parser-reply's regular expressions take time growing with the square
# of a line's length (a 60 000-character line of "On " took 100 s): the
# parser sees at most this much text, and long lines only as placeholders
# (a quote's header line is never this long), restored in its answer.
SCAN_CHARS = 32_000
LONG_LINE = 300
_PLACEHOLDER = "\ue000{}\ue001"  # private-use characters, removed from the text first

# A bounce whose original cannot be found by Message-ID is matched by
# recipient among the emails of this period (the newest first).
RECENT = timedelta(days=30)
# At most this many ids of In-Reply-To and References are looked up: a
# message may carry thousands.
MAX_IDS = 50

# The largest message taken whole (the webhook refuses a bigger one; the
# IMAP poll reads a bigger one's headers alone).
MAX_MESSAGE_BYTES = 10 * 1024 * 1024

# A bigger HTML body is cut before it is read as text (the new text is at
# its top; 10 MB of HTML took 14 s).
HTML_CHARS = 512 * 1024
BOUNCE_SCAN_BYTES = 256 * 1024

REPLY_CHARS = 20_000  # InboundMessage.text of a reply
DETAIL_CHARS = 5_000  # EmailEvent.detail
EVENT_TEXT_CHARS = 1_000  # the email.replied event's text

MAX_ADDRESS = 254

_ID = re.compile(r"<([^<>\s]{1,250})>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|tr|fw|fwd|wg)\s*:\s*)*(?:out of (?:the )?office|automatic reply|"
    r"auto(?:matic)?[- ]?(?:reply|response)|autoreply|r[ée]ponse automatique|"
    r"absent du bureau|abwesenheitsnotiz|respuesta autom[áa]tica|risposta automatica)",
    re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery (?:has )?failed|failure notice|"
    r"returned mail|mail delivery (?:failed|subsystem)|delayed mail|non[- ]?remis",
    re.IGNORECASE)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")


@dataclass
class Failure:
    """A recipient a bounce reports: the address, whether for good, what
    the server said, the email it was (None: none of ours found)."""

    address: str
    permanent: bool
    detail: str
    email: OutboundEmail | None


@dataclass
class Verdict:
    """What a message is, found before anything is written."""

    kind: str
    email: OutboundEmail | None = None
    text: str = ""
    failures: list[Failure] = field(default_factory=list)
    complained: list[str] = field(default_factory=list)  # addresses to suppress
    complaint_detail: str = ""


def receive(raw: bytes, *, note: str = "") -> InboundMessage:
    """Keep and act on one raw message; its row. A message received before
    (the same Message-ID; without one, the same bytes) returns the first row
    and does nothing again. `note` is added to the row's text (the poll's
    "only the headers were read")."""
    raw = bytes(raw)
    message, problem = _parse(raw)
    message_id = _own_id(message, raw)
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing
    if message is None:
        verdict = Verdict(Kind.UNMATCHED, text=problem)
    else:
        try:
            verdict = classify(message, raw)
        except DatabaseError:
            raise  # the database's trouble, not the message's: the caller retries
        except Exception as error:  # noqa: BLE001 - a malformed message is kept, not raised
            logger.warning("inbound message %s could not be read: %s", message_id,
                           _first_line(error))
            verdict = Verdict(Kind.UNMATCHED, text=f"Could not be read: {_first_line(error)}")
    with transaction.atomic():
        try:
            # In a savepoint: the same message arriving twice at once (the
            # mailbox and the webhook) inserts once; the other waits for this
            # row's commit, then finds it and acts on nothing.
            with transaction.atomic():
                inbound = InboundMessage.objects.create(
                    message_id=message_id, kind=verdict.kind, email=verdict.email,
                    from_address=_sender(message)[:254],
                    subject=_clean(_header(message, "Subject"))[:255],
                    text=storable("\n\n".join(part for part in (verdict.text, note) if part)))
        except IntegrityError:
            return InboundMessage.objects.get(message_id=message_id)
        _act(inbound, verdict)
    logger.info("inbound message %s: %s%s", inbound.pk, inbound.kind,
                f" of email {inbound.email_id}" if inbound.email_id else "")
    return inbound


def classify(message: Message, raw: bytes = b"") -> Verdict:
    """What `message` (parsed from `raw`) is; reads the database, writes nothing."""
    if _is_report(message, "feedback-report"):
        return _complaint(message)
    if (bounce := _bounce(message, raw)) is not None:
        return bounce
    answered = _answered(message)
    if _is_automatic(message):
        return Verdict(Kind.AUTO_REPLY, email=answered,
                       text=_body_text(message)[:DETAIL_CHARS].strip())
    if answered is not None:
        return Verdict(Kind.REPLY, email=answered, text=new_text(_body_text(message)))
    return Verdict(Kind.UNMATCHED, text=_body_text(message)[:DETAIL_CHARS].strip())


def _act(inbound: InboundMessage, verdict: Verdict) -> None:
    """The writes a verdict asks for, in the caller's transaction."""
    note = f"inbound message {inbound.message_id}"
    if verdict.kind == Kind.BOUNCE:
        for failure in verdict.failures:
            if failure.email is None:
                continue
            if failure.permanent:
                hard_bounce(failure.address, failure.email, detail=storable(failure.detail),
                            note=storable(f"{note}: {failure.detail}"),
                            data={"inbound": inbound.pk})
            else:
                EmailEvent.objects.create(
                    email=failure.email, kind=EmailEvent.Kind.SOFT_BOUNCED,
                    detail=storable(f"{failure.address}: {failure.detail}"))
    elif verdict.kind == Kind.COMPLAINT and verdict.email is not None:
        EmailEvent.objects.create(email=verdict.email, kind=EmailEvent.Kind.COMPLAINED,
                                  detail=storable(verdict.complaint_detail))
        for address in verdict.complained:
            suppress(address, Reason.COMPLAINT, email=verdict.email, note=note,
                     data={"inbound": inbound.pk})
    elif verdict.kind == Kind.REPLY and verdict.email is not None:
        text = storable(verdict.text)
        EmailEvent.objects.create(email=verdict.email, kind=EmailEvent.Kind.REPLIED,
                                  detail=text[:DETAIL_CHARS])
        if verdict.email.lead_id is not None:
            events.record("email.replied", verdict.email.lead_id, data={
                "email": verdict.email.pk, "inbound": inbound.pk,
                "text": text[:EVENT_TEXT_CHARS], "from": inbound.from_address})


# Parsing and headers ------------------------------------------------------------------


def _parse(raw: bytes) -> tuple[Message | None, str]:
    if not raw.strip():
        return None, "Empty message"
    try:
        return email.message_from_bytes(raw, policy=email.policy.default), ""
    except Exception as error:  # noqa: BLE001 - the parser is lenient; this is a backstop
        return None, f"Could not be parsed: {_first_line(error)}"


def _own_id(message: Message | None, raw: bytes) -> str:
    """The message's Message-ID, or for one without a usable one a stable
    hash of its bytes (the same message received twice is the same id)."""
    value = _raw_header(message, "Message-ID").strip()
    ids = _ID.findall(value)
    if ids:
        return f"<{ids[0]}>"
    if value and len(value) <= 250 and not re.search(r"[\s<>]", value):
        return f"<{value}>"  # some clients leave out the angle brackets
    return f"<{hashlib.sha256(raw).hexdigest()}@sha256.leadgate.invalid>"


def _raw_header(message: Message | None, name: str) -> str:
    """The header's text as sent (first occurrence), one line; without the
    policy's parsing, which may fail on a malformed value."""
    if message is None:
        return ""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return _clean(str(value))
    return ""


def _header(message: Message | None, name: str) -> str:
    """The header decoded (RFC 2047 words), one line; the raw text when the
    value cannot be decoded."""
    if message is None:
        return ""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is read as it came
        return _raw_header(message, name)
    return _clean(str(value)) if value is not None else ""


def _clean(text: str) -> str:
    """One line (no CR or LF survives: nothing read here becomes a header),
    without what a database refuses."""
    return " ".join(storable(text).split())


def _sender(message: Message | None) -> str:
    """The From address: by the policy's parser (which reads encoded words
    before addresses); when it refuses the header (a CR or LF encoded in the
    name), the last <address> of the raw text, else parseaddr's reading."""
    if message is None:
        return ""
    with contextlib.suppress(Exception):
        for found in getattr(message.get("From"), "addresses", ()):
            if "@" in found.addr_spec:
                return _clean(normalized(found.addr_spec))
    raw = _raw_header(message, "From")
    bracketed = re.findall(r"<([^<>\s@]+@[^<>\s@]+)>", raw)
    return normalized(bracketed[-1]) if bracketed else _address(raw)


def _address(value: str) -> str:
    address = parseaddr(value)[1]
    return normalized(address) if "@" in address else ""


def _ids(value: str) -> list[str]:
    return [f"<{found}>" for found in _ID.findall(value)]


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return _clean(f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__)[:300]


def _is_report(message: Message, report_type: str) -> bool:
    return (message.get_content_type() == "multipart/report"
            and str(message.get_param("report-type") or "").strip().lower() == report_type)


def _is_automatic(message: Message) -> bool:
    """An automatic reply, by the headers RFC 3834 and common servers set, or
    an out-of-office subject (some clients set no header)."""
    auto = _raw_header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return True
    if _raw_header(message, "X-Autoreply") or _raw_header(message, "X-Autorespond"):
        return True
    if _raw_header(message, "Precedence").strip().lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(_AUTO_SUBJECT.match(_header(message, "Subject")))


# Replies ----------------------------------------------------------------------------


def _answered(message: Message) -> OutboundEmail | None:
    """The email of ours this message answers: In-Reply-To's, else the
    newest of References' (the last id there is the direct parent)."""
    in_reply_to = _ids(_raw_header(message, "In-Reply-To"))[:MAX_IDS]
    references = list(reversed(_ids(_raw_header(message, "References"))))[:MAX_IDS]
    wanted = list(dict.fromkeys(in_reply_to + references))
    if not wanted:
        return None
    found = {row.message_id: row for row in OutboundEmail.objects.filter(message_id__in=wanted)}
    return next((found[one] for one in wanted if one in found), None)


def _body_text(message: Message) -> str:
    """The plain text of the message: its text/plain body, else its HTML
    body as text."""
    if not isinstance(message, EmailMessage):
        return ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _content(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text[:HTML_CHARS])
    return storable(text).replace("\r\n", "\n")


def _content(part: Message) -> str:
    # An unknown charset or a broken transfer encoding: the bytes as UTF-8.
    with contextlib.suppress(Exception):
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    return str(part.get_payload())


def new_text(text: str) -> str:
    """A reply's own text: what is above the quoted history ("On ... wrote:",
    an Outlook "From: ... Sent: ..." block, "Le ... a écrit :"), found by
    mail-parser-reply."""
    text = text.replace("\ue000", "").replace("\ue001", "")[:SCAN_CHARS]
    lines = text.split("\n")
    long: dict[str, str] = {}
    for number, line in enumerate(lines):
        if len(line) > LONG_LINE:
            key = _PLACEHOLDER.format(len(long))
            long[key], lines[number] = line.strip(), key
    scanned = "\n".join(lines)
    try:
        reply = EmailReplyParser(languages=list(LANGUAGES)).parse_reply(text=scanned) or ""
    except Exception as error:  # noqa: BLE001 - then the text as it came, quotes removed below
        logger.warning("reply text not split: %s", _first_line(error))
        reply = ""
    if not reply.strip():
        # Nothing above the quote (an answer below it, or only a quote): the
        # lines that are not quoted.
        reply = "\n".join(line for line in scanned.split("\n") if not line.startswith(">"))
    for key, line in long.items():
        reply = reply.replace(key, line)
    return reply.strip()[:REPLY_CHARS]


class _TextOf(HTMLParser):
    """The text of an HTML body, a line per block; no script, style or head."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "hr", "table", "ul", "ol", "pre", "section"})
    HIDDEN = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    reader = _TextOf()
    with contextlib.suppress(Exception):  # html.parser is lenient; a failure keeps what was read
        reader.feed(html)
        reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Bounces and complaints ---------------------------------------------------------------


def _bounce(message: Message, raw: bytes) -> Verdict | None:
    """A bounce's verdict, or None when the message is not one. flufl.bounce
    reads RFC 3464 reports and many servers' own formats; its heuristics run
    only on what comes from a mail system (a null sender, MAILER-DAEMON, a
    bounce's subject), so that a person's reply quoting "user unknown" is
    not taken for one."""
    report = _is_report(message, "delivery-status")
    sender = _raw_header(message, "From").lower()
    from_system = (_raw_header(message, "Return-Path").replace(" ", "") == "<>"
                   or any(name in sender for name in _BOUNCE_SENDERS))
    subject_says = bool(_BOUNCE_SUBJECT.search(_header(message, "Subject")))
    if not (report or from_system or subject_says):
        return None
    notes = []
    try:
        temporary, permanent = all_failures(_head_of(message, raw))
    except Exception as error:  # noqa: BLE001 - a detector tripped on a malformed report
        temporary, permanent = frozenset(), frozenset()
        notes.append(f"Failures not read: {_first_line(error)}")
    hard = _addresses(permanent)
    soft = _addresses(temporary) - hard
    if not (hard or soft) and not (report or (from_system and subject_says)):
        return None  # not a bounce after all (an automatic reply from a system, ...)
    diagnostics = _diagnostics(message)
    original = _original(message)
    failures = [Failure(address, address in hard, diagnostics.get(address, ""),
                        original or _recent_email_to(address))
                for address in sorted(hard) + sorted(soft)]
    for failure in failures:
        what = "permanent failure" if failure.permanent else "temporary failure, not suppressed"
        unmatched = "" if failure.email else " (no email of ours to it found: nothing done)"
        notes.append(f"{failure.address}: {what}{unmatched}. {failure.detail}".strip())
    if not failures:
        notes.append("No failed recipient found in the report.")
    matched = next((failure.email for failure in failures if failure.email), original)
    return Verdict(Kind.BOUNCE, email=matched, failures=failures, text="\n".join(notes))


def _head_of(message: Message, raw: bytes) -> Message:
    """What flufl.bounce reads: the message, or for a big one its first
    BOUNCE_SCAN_BYTES re-parsed. Its detectors scan every line (18 s for 10
    MB posing as a bounce), and a report's own parts come before the
    returned original, which is what makes a bounce big."""
    if len(raw) <= BOUNCE_SCAN_BYTES:
        return message
    return email.message_from_bytes(raw[:BOUNCE_SCAN_BYTES], policy=email.policy.default)


def _addresses(found: frozenset[bytes]) -> set[str]:
    """flufl.bounce's addresses as text; one longer than an address can be
    (RFC 5321) is the report's nonsense, and would not fit the column."""
    addresses = {normalized(address.decode("ascii", "replace")) for address in found}
    return {address for address in addresses if "@" in address and len(address) <= MAX_ADDRESS}


def _diagnostics(message: Message) -> dict[str, str]:
    """What the report says of each recipient: "Status 5.1.1: smtp; 550 ..."."""
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status" or not part.is_multipart():
            continue
        for block in part.get_payload():
            if not isinstance(block, Message):
                continue
            status = _raw_header(block, "Status")
            code = _raw_header(block, "Diagnostic-Code")
            for name in ("Final-Recipient", "Original-Recipient"):
                address = _address(_raw_header(block, name).split(";", 1)[-1])
                if address:
                    found.setdefault(address, _clean(f"Status {status}: {code}")[:1000])
    return found


def _original_headers(message: Message) -> Message | None:
    """The headers of the original message a report returns (message/rfc822
    or text/rfc822-headers)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822" and part.is_multipart():
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if kind == "text/rfc822-headers":
            return HeaderParser(policy=email.policy.default).parsestr(_content(part))
    return None


def _original(message: Message) -> OutboundEmail | None:
    headers = _original_headers(message)
    ids = _ids(_raw_header(headers, "Message-ID"))[:1]
    return OutboundEmail.objects.filter(message_id__in=ids).first() if ids else None


def _recent_email_to(address: str) -> OutboundEmail | None:
    """The newest recent email sent to `address`. By a text search of the
    recipients (the same on SQLite and PostgreSQL), checked exactly here;
    only for a bounce that returned no Message-ID, so rare."""
    if not address:
        return None
    candidates = (OutboundEmail.objects
                  .filter(created_at__gte=timezone.now() - RECENT, to__icontains=address)
                  .order_by("-created_at")[:20])
    return next((row for row in candidates
                 if address in {normalized(parseaddr(str(to))[1]) for to in row.to}), None)


def _complaint(message: Message) -> Verdict:
    """A feedback report. Most providers redact the recipient: then the
    email's own recipient is the one who complained (when it had one)."""
    report: Message | None = None
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                report = payload[0]
            elif isinstance(payload, str):
                report = HeaderParser(policy=email.policy.default).parsestr(payload)
            break
    reported = [_address(_raw_header(report, name))
                for name in ("Original-Rcpt-To", "Removal-Recipient")]
    addresses = list(dict.fromkeys(address for address in reported
                                   if address and len(address) <= MAX_ADDRESS))
    email_row = _original(message)
    if email_row is None and addresses:
        email_row = _recent_email_to(addresses[0])
    feedback = _raw_header(report, "Feedback-Type") or "abuse"
    notes = [f"Feedback-Type: {feedback}"]
    if email_row is None:
        notes.append("No email of ours found: nothing done.")
        addresses = []
    elif not addresses:
        recipients = [_address(str(to)) for to in email_row.to]
        if len(recipients) == 1 and recipients[0]:
            addresses = recipients
        else:
            notes.append("The recipient is redacted and the email had several: "
                         "none suppressed.")
    if addresses:
        notes.append(f"Suppressed: {', '.join(addresses)}")
    return Verdict(Kind.COMPLAINT, email=email_row, complained=addresses,
                   complaint_detail=_clean(f"Feedback-Type: {feedback}")[:DETAIL_CHARS],
                   text="\n".join(notes))
