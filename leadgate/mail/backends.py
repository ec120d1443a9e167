"""DKIM signing for email sent through SMTP directly (an ESP signs its own).

`DkimSmtpBackend` is Django's SMTP backend that signs each message with
dkimpy when LEADGATE_DKIM_DOMAIN, LEADGATE_DKIM_SELECTOR and
LEADGATE_DKIM_KEY_FILE are all set (settings.py makes it EMAIL_BACKEND then,
when EMAIL_HOST is set); with any of them unset it sends unsigned, as
Django's backend does.

The key is read when a connection opens (the outbox opens one per email), so
a rotated key file is used from the next email on. A key that cannot be
read or used is the configuration's fault: the error names the file and the
outbox retries, so the emails go once it is fixed.
"""

from __future__ import annotations

import smtplib
from email.message import Message

import dkim
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import EmailMessage, sanitize_address

# The headers signed: dkimpy's recommended ones present in the message, plus
# List-Unsubscribe-Post, which RFC 8058 requires the signature to cover.
SIGNED = frozenset(dkim.DKIM.SHOULD) | {b"list-unsubscribe-post"}


class DkimKeyError(ImproperlyConfigured):
    """The DKIM key file cannot be read or used (not an OSError: the outbox
    would take it for an unreachable mail server)."""


def configured() -> bool:
    return bool(settings.LEADGATE_DKIM_DOMAIN and settings.LEADGATE_DKIM_SELECTOR
                and settings.LEADGATE_DKIM_KEY_FILE)


def read_key() -> bytes:
    path = settings.LEADGATE_DKIM_KEY_FILE
    try:
        with open(path, "rb") as key_file:
            return key_file.read()
    except OSError as error:
        raise DkimKeyError(f"the DKIM key file {path}: {error.strerror or error}") from None


def signed_headers(message: Message) -> list[bytes]:
    names = [name.lower().encode() for name in message]
    present = [name for name in dict.fromkeys(names) if name in SIGNED]
    # From signed once more than it appears: a second From cannot be added.
    return [*present, b"from"]


def sign(data: bytes, message: Message, key: bytes) -> bytes:
    """The message `data` with its DKIM-Signature header first."""
    try:
        signature = dkim.sign(data, settings.LEADGATE_DKIM_SELECTOR.encode(),
                              settings.LEADGATE_DKIM_DOMAIN.encode(), key,
                              include_headers=signed_headers(message))
    except Exception as error:  # noqa: BLE001 - dkimpy raises its own and binascii's errors
        # The message is Django's own: what cannot sign it is the key.
        raise DkimKeyError(f"DKIM signing with {settings.LEADGATE_DKIM_KEY_FILE}: "
                           f"{error or type(error).__name__}") from None
    return signature + data


class DkimSmtpBackend(EmailBackend):
    """Django's SMTP backend, each message DKIM-signed when DKIM is configured."""

    dkim_key: bytes | None = None

    def open(self) -> bool | None:
        if not self.connection:  # send_messages opens too: a no-op when open
            self.dkim_key = read_key() if configured() else None
        return super().open()

    def _send(self, email_message: EmailMessage) -> bool:
        # Django's _send, with the bytes signed before they are sent.
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        message = email_message.message()
        data = message.as_bytes(linesep="\r\n")
        if self.dkim_key is not None:
            data = sign(data, message, self.dkim_key)
        try:
            assert self.connection is not None  # opened by send_messages
            self.connection.sendmail(from_email, recipients, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
