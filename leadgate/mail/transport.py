"""Where email goes (settings.EMAIL_BACKEND), in words for people."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"
DKIM_SMTP = "leadgate.mail.backends.DkimSmtpBackend"  # SMTP, each message DKIM-signed
FILES = "django.core.mail.backends.filebased.EmailBackend"
OTHERS = {
    "django.core.mail.backends.console.EmailBackend": "email is printed to the terminal",
    "django.core.mail.backends.locmem.EmailBackend": "email is kept in memory (tests)",
    "django.core.mail.backends.dummy.EmailBackend": "email is dropped (the dummy backend)",
}


def _shown(path: str) -> str:
    """The path relative to the current directory when it is inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return os.fspath(resolved)


def smtp_server() -> str:
    return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"


def describe_transport() -> str:
    """One line for `leadgate serve` to print at start."""
    backend = settings.EMAIL_BACKEND
    if backend in (SMTP, DKIM_SMTP):
        security = " over TLS" if settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL else ""
        signed = (f", DKIM-signed for {settings.LEADGATE_DKIM_DOMAIN}"
                  if backend == DKIM_SMTP else "")
        return f"email goes through SMTP at {smtp_server()}{security}{signed}"
    if backend == FILES:
        where = _shown(str(settings.EMAIL_FILE_PATH or "."))
        return f"email is written to {where} (set EMAIL_HOST to send through SMTP)"
    return OTHERS.get(backend, f"email goes through {backend}")


def failure_place() -> str:
    """What a failure to send failed to reach, for its error message."""
    if settings.EMAIL_BACKEND in (SMTP, DKIM_SMTP):
        return f"the mail server at {smtp_server()}"
    if settings.EMAIL_BACKEND == FILES:
        return f"the mail folder {_shown(str(settings.EMAIL_FILE_PATH or '.'))}"
    return f"the email backend {settings.EMAIL_BACKEND}"
