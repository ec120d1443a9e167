"""Opens and clicks of tracked emails (nurture, when LEADGATE_EMAIL_TRACKING
is on and the caller asks with `Email(track=True)`).

When queued (`links_of`): the HTML body's http(s) links are recorded in
`OutboundEmail.links`, in order, followed by HONEYPOT (the index of a hidden
link, see below); a tracked row is one whose `links` is not empty.

When built (`rewrite`, called by sender.build_message): the i-th link becomes
/mail/c/<token>, the token signing (email id, i), so the redirect goes only to
`links[i]` of that email, never to a URL taken from the request (no open
redirect); a hidden link (display:none, no text) to the honeypot's index and
a 1x1 open pixel /mail/o/<token> are appended. Links are found with the
standard library's HTML parser, the same way both times.

Hits (`record`): every hit is kept as an EmailEvent (up to MAX_EVENTS per
email and kind: the endpoints are public), marked `bot` with the reason when
it is not a person's: within LEADGATE_EMAIL_BOT_SECONDS of sending (mail
security gateways fetch every link and image on delivery), a scanner's user
agent (SCANNERS), or the honeypot link (no person can see it). A person's
first open of an email, and first click of each of its links, also record
the lead's `email.opened` / `email.clicked` event, which is all: what an
open or a click leads to is the consumers' business.

Image proxies (GoogleImageProxy, YahooMailProxy) fetch the pixel when the
person opens the email, so they count as opens. Apple Mail Privacy
Protection prefetches images on delivery with an ordinary browser's user
agent: caught only when within the bot seconds, so opens are a weaker signal
than clicks.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from html.parser import HTMLParser

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from leadgate.leads import events

from .models import EmailEvent, OutboundEmail
from .unsubscribe import public_url

Kind = OutboundEmail.Kind
# The last entry of a tracked email's `links`: the hidden link's index.
HONEYPOT = "leadgate:honeypot"
CLICK_SALT = "leadgate.mail.click"
OPEN_SALT = "leadgate.mail.open"
MAX_EVENTS = 100
# Lower-case parts of user agents that are never a person reading: mail
# security gateways that follow links to check them, HTTP libraries and
# command-line tools, headless browsers, crawlers and chat link previews.
SCANNERS = (
    "barracuda", "mimecast", "proofpoint", "messagelabs", "trendmicro", "forcepoint",
    "python-requests", "python-urllib", "aiohttp", "httpx", "curl/", "wget/",
    "go-http-client", "java/", "okhttp", "apache-httpclient", "node-fetch", "axios/",
    "libwww-perl", "headlesschrome", "phantomjs", "puppeteer", "playwright",
    "bot/", "bot-", "spider", "crawler", "facebookexternalhit",
)
# A GIF of one transparent pixel.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
         b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


# --- the links of an HTML body -----------------------------------------------------------


def _is_web(href: str) -> bool:
    return href.lower().startswith(("http://", "https://"))


class _Anchors(HTMLParser):
    """The <a href="http(s)://..."> start tags of a document: where each
    starts and ends in the text, its attributes, and the link (entities
    decoded, as a browser would follow it)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, list[tuple[str, str | None]], str]] = []
        self._line_starts = [0]
        for line in text.split("\n")[:-1]:
            self._line_starts.append(self._line_starts[-1] + len(line) + 1)
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        href = next((value for name, value in attrs if name == "href"), None)
        raw = self.get_starttag_text()
        if href is None or raw is None or not _is_web(href.strip()):
            return
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        self.found.append((start, start + len(raw), attrs, href.strip()))


def links_of(html_body: str) -> list[str]:
    """What `links` holds for a tracked email: its http(s) links, in order,
    then HONEYPOT; empty (not tracked) without an HTML body."""
    if not html_body:
        return []
    return [href for _, _, _, href in _Anchors(html_body).found] + [HONEYPOT]


def is_tracked(email: OutboundEmail) -> bool:
    return bool(email.links) and bool(email.html_body) and settings.LEADGATE_EMAIL_TRACKING


def _tag(attrs: list[tuple[str, str | None]], href: str, self_closing: bool) -> str:
    parts = ["<a"]
    for name, value in attrs:
        if name == "href":
            value = href
        parts.append(f" {name}" if value is None else f' {name}="{html.escape(value)}"')
    return "".join(parts) + (" />" if self_closing else ">")


def click_token(email_id: int, index: int) -> str:
    return signing.Signer(salt=CLICK_SALT).sign_object([email_id, index])


def open_token(email_id: int) -> str:
    return signing.Signer(salt=OPEN_SALT).sign_object(email_id)


def click_url(email_id: int, index: int) -> str:
    return public_url(reverse("mail-click", args=[click_token(email_id, index)]))


def open_url(email_id: int) -> str:
    return public_url(reverse("mail-open", args=[open_token(email_id)]))


def rewrite(email: OutboundEmail, html_body: str) -> str:
    """The HTML body as sent: each recorded link pointing to its redirect,
    the hidden honeypot link and the open pixel appended (before </body>)."""
    links = list(email.links)
    out, done = [], 0
    for index, (start, end, attrs, href) in enumerate(_Anchors(html_body).found):
        # Only a link where it was recorded (the same body parsed the same
        # way): anything else is left as written rather than sent elsewhere.
        if index < len(links) - 1 and links[index] == href:
            raw = html_body[start:end]
            out += [html_body[done:start], _tag(attrs, click_url(email.pk, index),
                                                raw.endswith("/>"))]
            done = end
    out.append(html_body[done:])
    body = "".join(out)
    trap = (f'<a href="{html.escape(click_url(email.pk, len(links) - 1))}" '
            'style="display:none" aria-hidden="true" tabindex="-1"></a>'
            f'<img src="{html.escape(open_url(email.pk))}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0">')
    end = body.lower().rfind("</body>")
    return body[:end] + trap + body[end:] if end >= 0 else body + trap


# --- tokens back to emails -------------------------------------------------------------------


def click_of(value: str) -> tuple[OutboundEmail, int] | None:
    """The tracked email and link index a click token signs, or None."""
    try:
        email_id, index = signing.Signer(salt=CLICK_SALT).unsign_object(value)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if type(email_id) is not int or type(index) is not int:
        return None
    email = OutboundEmail.objects.select_related("lead").filter(pk=email_id).first()
    if email is None or not 0 <= index < len(email.links or []):
        return None
    return email, index


def open_of(value: str) -> OutboundEmail | None:
    try:
        email_id = signing.Signer(salt=OPEN_SALT).unsign_object(value)
    except (signing.BadSignature, ValueError):
        return None
    if type(email_id) is not int:
        return None
    return OutboundEmail.objects.select_related("lead").filter(pk=email_id).first()


# --- hits --------------------------------------------------------------------------------------


def bot_reason(email: OutboundEmail, user_agent: str, at: datetime, *,
               honeypot: bool = False) -> str:
    """Why a hit is not a person's (blank: a person's)."""
    if honeypot:
        return "honeypot link"
    seconds = settings.LEADGATE_EMAIL_BOT_SECONDS
    # Not recorded as sent yet: the sender is still finishing, so this is
    # within seconds of delivery.
    if email.sent_at is None or at - email.sent_at < timedelta(seconds=seconds):
        return f"within {seconds} s of sending"
    agent = user_agent.lower()
    if not agent.strip():
        return "no user agent"
    scanner = next((part for part in SCANNERS if part in agent), None)
    if scanner is not None:
        return f"scanner user agent ({scanner.strip('/-')})"
    return ""


def record(email: OutboundEmail, kind: str, user_agent: str, *, index: int | None = None,
           ) -> EmailEvent | None:
    """Record an open (`index` None) or a click of link `index`; the event, or
    None when the email has MAX_EVENTS of that kind already."""
    now = timezone.now()
    url = "" if index is None else str(email.links[index])
    honeypot = url == HONEYPOT
    bot = bot_reason(email, user_agent, now, honeypot=honeypot)
    with transaction.atomic():
        earlier = EmailEvent.objects.filter(email=email, kind=kind)
        if earlier.count() >= MAX_EVENTS:
            return None
        # The lead's event once per email (opens) or per link (clicks): a
        # person who reopens an email is not news to the consumers.
        first = not earlier.filter(bot="", url=url).exists()
        event = EmailEvent.objects.create(email=email, kind=kind, at=now, url=url[:2000],
                                          user_agent=user_agent[:500], bot=bot)
        if not bot and first and email.lead_id is not None:
            data: dict = {"email": email.pk, "kind": email.kind}
            if index is not None:
                data["url"] = url
            # The Lead (not its id): the event carries its owner and cycle.
            events.record(f"email.{kind}", email.lead, data=data, at=now)
    return event
