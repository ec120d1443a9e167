"""Sample inbound messages, as mail clients and servers write them: replies
from Gmail, Outlook and a French Gmail, RFC 3464 delivery status
notifications (permanent and temporary), an RFC 5965 (ARF) complaint, an
out-of-office. Built as raw bytes (CRLF lines), the way they reach the reply
mailbox or the inbound webhook, so the parser sees what it will see live."""

from __future__ import annotations

import base64

OURS = "Leadgate <team@leadgate.example>"
DATE = "Tue, 25 Feb 2025 10:04:12 +0100"
SENT_DATE = "Tue, 25 Feb 2025 10:00:00 +0100"


def _raw(text: str) -> bytes:
    return text.lstrip("\n").replace("\n", "\r\n").encode()


def gmail_reply(in_reply_to: str, *, sender: str = "Ada Lovelace <ada@analytical.example>",
                text: str = "Yes, Thursday at 3pm works for me.\n\nAda",
                message_id: str = "<CAFx1a2b3c@mail.gmail.com>",
                subject: str = "Re: Your month-end close") -> bytes:
    """multipart/alternative, the new text over an "On ... wrote:" line and
    the quoted email, as Gmail writes it."""
    quote = (f"On Tue, Feb 25, 2025 at 10:00 AM {OURS} wrote:\n"
             "> Hi Ada,\n>\n> Would a 20-minute call this week help?\n>\n> Sam\n")
    html = (f"<div dir=\"ltr\">{text.replace(chr(10), '<br>')}</div><br>"
            "<div class=\"gmail_quote\"><div class=\"gmail_attr\">On Tue, Feb 25, 2025 at "
            "10:00 AM Leadgate &lt;team@leadgate.example&gt; wrote:<br></div>"
            "<blockquote class=\"gmail_quote\">Hi Ada,<br><br>Would a 20-minute call this "
            "week help?<br><br>Sam</blockquote></div>")
    return _raw(f"""
MIME-Version: 1.0
Date: {DATE}
References: {in_reply_to}
In-Reply-To: {in_reply_to}
Message-ID: {message_id}
Subject: {subject}
From: {sender}
To: {OURS}
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"

{text}

{quote}
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"

{html}

--000000000000a1b2c3--
""")


def outlook_reply(references: str, *, sender: str = "Grace Hopper <grace@navy.example>",
                  text: str = "Hello Sam,\n\nPlease send the pricing for 40 seats.\n\nGrace",
                  message_id: str = "<DB9PR01MB1234ABCD@DB9PR01MB1234.eurprd01.prod.outlook.com>",
                  html_only: bool = False) -> bytes:
    """Outlook: no "wrote:" line but a From/Sent/To/Subject block over the
    quoted email; no In-Reply-To when the thread came from another client,
    only References (`references`, the ids as sent). `html_only`: the HTML
    part alone (some clients send no plain text)."""
    header_block = (f"From: {OURS}\nSent: Tuesday, February 25, 2025 10:00 AM\n"
                    "To: Grace Hopper <grace@navy.example>\nSubject: Your month-end close\n\n"
                    "Hi Grace,\n\nWould a 20-minute call this week help?\n\nSam\n")
    html = ("<html><head><style>p {margin:0}</style></head><body><div>"
            + "".join(f"<p>{line}</p>" for line in text.split("\n"))
            + "</div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Leadgate "
            "&lt;team@leadgate.example&gt;<br><b>Sent:</b> Tuesday, February 25, 2025 10:00 AM"
            "<br><b>To:</b> Grace Hopper &lt;grace@navy.example&gt;<br><b>Subject:</b> Your "
            "month-end close</div><div><p>Hi Grace,</p><p>Would a 20-minute call this week "
            "help?</p><p>Sam</p></div><script>alert(1)</script></body></html>")
    head = f"""
From: {sender}
To: {OURS}
Subject: RE: Your month-end close
Thread-Topic: Your month-end close
Thread-Index: AQHbh2f0c2FtcGxl
Date: {DATE}
Message-ID: {message_id}
References: {references}
Content-Language: en-US
MIME-Version: 1.0
"""
    if html_only:
        return _raw(head + f"""Content-Type: text/html; charset="us-ascii"

{html}
""")
    return _raw(head + f"""Content-Type: multipart/alternative;
\tboundary="_000_DB9PR01MB1234_"

--_000_DB9PR01MB1234_
Content-Type: text/plain; charset="us-ascii"

{text}

________________________________
{header_block}
--_000_DB9PR01MB1234_
Content-Type: text/html; charset="us-ascii"

{html}

--_000_DB9PR01MB1234_--
""")


def french_reply(in_reply_to: str, *, sender: str = "Marie Curie <marie@radium.example>",
                 text: str = "Bonjour,\n\nOui, jeudi à 15 h me convient.\n\nMarie",
                 message_id: str = "<CAGf7q8r9s@mail.gmail.com>") -> bytes:
    """A French Gmail reply: "Le ... a écrit :", the body quoted-printable."""
    quote = (f"Le mar. 25 févr. 2025 à 10:00, {OURS} a écrit :\n"
             "> Bonjour Marie,\n>\n> Un appel de 20 minutes cette semaine ?\n>\n> Sam\n")
    body = _quoted_printable(f"{text}\n\n{quote}")
    return _raw(f"""
MIME-Version: 1.0
Date: {DATE}
References: {in_reply_to}
In-Reply-To: {in_reply_to}
Message-ID: {message_id}
Subject: =?UTF-8?Q?Re=C2=A0=3A_Votre_cl=C3=B4ture_mensuelle?=
From: {sender}
To: {OURS}
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{body}
""")


def _quoted_printable(text: str) -> str:
    import quopri

    return quopri.encodestring(text.replace("\n", "\r\n").encode()).decode().replace(
        "\r\n", "\n")


def out_of_office(in_reply_to: str, *, sender: str = "Ada Lovelace <ada@analytical.example>",
                  message_id: str = "<ooo-1@analytical.example>",
                  auto_submitted: str | None = "auto-replied",
                  subject: str = "Automatic reply: Your month-end close") -> bytes:
    """An Exchange out-of-office: Auto-Submitted (unless None), the subject
    Outlook gives it, In-Reply-To the email it answers."""
    auto = f"Auto-Submitted: {auto_submitted}\nX-Auto-Response-Suppress: All\n" \
        if auto_submitted else ""
    return _raw(f"""
From: {sender}
To: {OURS}
Subject: {subject}
Date: {DATE}
Message-ID: {message_id}
In-Reply-To: {in_reply_to}
References: {in_reply_to}
{auto}MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"

I am out of the office until March 3 with limited access to email.
For urgent matters please contact charles@analytical.example.
""")


def dsn(original_message_id: str, recipient: str, *, status: str = "5.1.1",
        diagnostic: str | None = None,
        message_id: str = "<20250225090013.4A1B2C@mx.leadgate.example>",
        original: str = "headers", reporting: str = "mx.leadgate.example",
        returned_body: str = "Hi, would a 20-minute call this week help?") -> bytes:
    """An RFC 3464 delivery status notification from Postfix. A 5.x.x status
    is a permanent failure (Action: failed), 4.x.x temporary (Action:
    delayed). `original`: the returned original as "headers"
    (text/rfc822-headers), "message" (message/rfc822, its body
    `returned_body`), or "none"."""
    permanent = status.startswith("5")
    action = "failed" if permanent else "delayed"
    diagnostic = diagnostic or (
        f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in "
        "virtual mailbox table" if permanent else
        f"smtp; 452 4.2.2 <{recipient}>: Mailbox full, try again later")
    explanation = (
        "I'm sorry to have to inform you that your message could not\nbe delivered to one or "
        "more recipients." if permanent else
        "This is a delivery status notification, NOT an error.\nYour message has not been "
        "delivered yet; the mail system will keep trying.")
    original_headers = f"""Return-Path: <bounces@leadgate.example>
Received: by mx.leadgate.example (Postfix, from userid 1000)
\tid 4A1B2C; Tue, 25 Feb 2025 10:00:00 +0100 (CET)
From: {OURS}
To: {recipient}
Subject: Your month-end close
Date: {SENT_DATE}
Message-ID: {original_message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
"""
    returned = {
        "headers": f"""--4A1B2C.1740474013/{reporting}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{original_headers}
""",
        "message": f"""--4A1B2C.1740474013/{reporting}
Content-Description: Undelivered Message
Content-Type: message/rfc822

{original_headers}
{returned_body}
""",
        "none": "",
    }[original]
    return _raw(f"""
Return-Path: <>
Received: by {reporting} (Postfix)
\tid 4A1B2C; Tue, 25 Feb 2025 10:00:13 +0100 (CET)
Date: Tue, 25 Feb 2025 10:00:13 +0100 (CET)
From: MAILER-DAEMON@{reporting} (Mail Delivery System)
Subject: {"Undelivered Mail Returned to Sender" if permanent else
          "Delayed Mail (still being retried)"}
To: team@leadgate.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4A1B2C.1740474013/{reporting}"
Content-Transfer-Encoding: 8bit
Message-Id: {message_id}

This is a MIME-encapsulated message.

--4A1B2C.1740474013/{reporting}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {reporting}.

{explanation}

<{recipient}>: host mx.analytical.example[203.0.113.7] said: {diagnostic.split("; ", 1)[-1]}

--4A1B2C.1740474013/{reporting}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; {reporting}
X-Postfix-Queue-ID: 4A1B2C
X-Postfix-Sender: rfc822; bounces@leadgate.example
Arrival-Date: Tue, 25 Feb 2025 10:00:00 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.analytical.example
Diagnostic-Code: {diagnostic}

{returned}--4A1B2C.1740474013/{reporting}--
""")


def arf(original_message_id: str, recipient: str | None, *,
        message_id: str = "<arf-20250225-1@fbl.mailbox.example>") -> bytes:
    """An RFC 5965 abuse report (a feedback loop's "this is spam"). The
    recipient is redacted when `recipient` is None, as most mailbox
    providers do: then only the returned Message-ID names whom it was."""
    rcpt = f"Original-Rcpt-To: {recipient}\n" if recipient else ""
    to_line = recipient or "redacted@mailbox.example"
    return _raw(f"""
From: <staff@fbl.mailbox.example>
Date: Thu, 27 Feb 2025 08:14:00 -0800
Subject: FW: Your month-end close
To: <abuse@leadgate.example>
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.1 on Thu, 27 Feb 2025 08:00:00 -0800.
For more information about this format please see
http://www.mipassoc.org/arf/.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <bounces@leadgate.example>
{rcpt}Arrival-Date: Thu, 27 Feb 2025 08:00:00 -0800
Reported-Domain: leadgate.example
Source-IP: 192.0.2.1

--part1_13d.2e68ed54_boundary
Content-Type: text/rfc822-headers

From: {OURS}
To: {to_line}
Subject: Your month-end close
Date: {SENT_DATE}
Message-ID: {original_message_id}

--part1_13d.2e68ed54_boundary--
""")


def plain(*, message_id: str | None = "<plain-1@example.net>", subject: str = "Hello",
          sender: str = "Someone <someone@example.net>", body: str = "A message.",
          extra: str = "") -> bytes:
    """A new message that answers nothing (no In-Reply-To, no References)."""
    mid = f"Message-ID: {message_id}\n" if message_id else ""
    return _raw(f"""
From: {sender}
To: {OURS}
Subject: {subject}
Date: {DATE}
{mid}{extra}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

{body}
""")


def base64_reply(in_reply_to: str, text: str, *, charset: str = "utf-8",
                 message_id: str = "<b64-1@example.net>") -> bytes:
    """A reply whose plain part is base64 in `charset` (which may be one no
    codec knows)."""
    encoded = base64.encodebytes(text.encode("utf-8")).decode()
    return _raw(f"""
From: Ada Lovelace <ada@analytical.example>
To: {OURS}
Subject: Re: Your month-end close
Message-ID: {message_id}
In-Reply-To: {in_reply_to}
MIME-Version: 1.0
Content-Type: text/plain; charset="{charset}"
Content-Transfer-Encoding: base64

{encoded}""")
