"""DKIM signing (leadgate.mail.backends.DkimSmtpBackend): a key made for the
test, messages sent through the real SMTP server, verified as a receiver
would, with the public key where DNS would hold it."""

import email
import json
import os
import shutil
import subprocess
import sys

import dkim
import pytest
from dkim import dknewkey

from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import queue_email
from tests.outbox import run_email_tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("openssl"), reason="dkimpy makes keys with openssl"),
]

SELECTOR, DOMAIN = "lg2025", "acme.example"


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """A fresh RSA key's file, and its DNS record (v=DKIM1; k=rsa; p=...)."""
    folder = tmp_path_factory.mktemp("dkim")
    private, record = folder / "dkim.pem", folder / "dkim.dns"
    dknewkey.GenRSAKeys(str(private), verbose=False)
    dknewkey.ExtractRSADnsPublicKey(str(private), str(record), verbose=False)
    return private, record.read_bytes()


@pytest.fixture
def signing(settings, smtp, key):
    settings.EMAIL_BACKEND = "leadgate.mail.backends.DkimSmtpBackend"
    settings.LEADGATE_DKIM_DOMAIN, settings.LEADGATE_DKIM_SELECTOR = DOMAIN, SELECTOR
    settings.LEADGATE_DKIM_KEY_FILE = str(key[0])
    settings.DEFAULT_FROM_EMAIL = f"hello@{DOMAIN}"
    return smtp


def dns(key):
    """A resolver that knows only the selector's record."""
    def lookup(name, timeout=5):
        return key[1] if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None
    return lookup


def queue(kind=OutboundEmail.Kind.NURTURE, **fields):
    row, _ = queue_email(key="mail:1", kind=kind, to=["ada@example.com"], subject="Grüße",
                         body="Hello Ada, 10 € off.\n", **fields)
    return row


def received(smtp) -> bytes:
    [(_, raw)] = smtp.messages
    return raw.encode()


def test_it_signs_a_message_a_receiver_verifies(signing, key):
    queue(html_body="<p>Hello <b>Ada</b></p>")
    assert run_email_tasks() == ["sent"]
    raw = received(signing)
    assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
    assert dkim.verify(raw, dnsfunc=dns(key))


def test_it_covers_the_one_click_unsubscribe_headers(signing, key):
    queue()
    run_email_tasks()
    raw = received(signing)
    assert dkim.verify(raw, dnsfunc=dns(key))
    value = "".join(email.message_from_bytes(raw)["DKIM-Signature"].split())
    tags = dict(tag.split("=", 1) for tag in value.split(";") if tag)
    assert {"from", "to", "subject", "message-id", "list-unsubscribe",
            "list-unsubscribe-post"} <= set(tags["h"].lower().split(":"))


def test_it_refuses_a_message_altered_on_the_way(signing, key):
    queue()
    run_email_tasks()
    altered = received(signing).replace(b"Subject:", b"Subject: Re:", 1)
    assert not dkim.verify(altered, dnsfunc=dns(key))


def test_it_sends_unsigned_while_dkim_is_not_configured(signing, settings):
    settings.LEADGATE_DKIM_SELECTOR = ""
    queue()
    assert run_email_tasks() == ["sent"]
    assert b"DKIM-Signature" not in received(signing)


def test_it_keeps_the_email_waiting_naming_the_key_file_it_cannot_read(
        signing, settings, tmp_path):
    settings.LEADGATE_DKIM_KEY_FILE = str(tmp_path / "missing.pem")
    row = queue()
    assert run_email_tasks() == ["pending"]
    row.refresh_from_db()
    assert f"the DKIM key file {tmp_path / 'missing.pem'}" in row.last_error
    assert "could not reach" not in row.last_error
    assert signing.messages == []


def test_it_keeps_a_nurture_email_waiting_when_the_key_cannot_sign(signing, settings, tmp_path):
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    settings.LEADGATE_DKIM_KEY_FILE = str(broken)
    row = queue()
    assert run_email_tasks() == ["pending"]
    row.refresh_from_db()
    assert f"DKIM signing with {broken}" in row.last_error
    assert signing.messages == []


BACKEND = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps(settings.EMAIL_BACKEND))
"""


def backend(tmp_path, **env) -> str:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("EMAIL_", "LEADGATE_DKIM_")) and k != "LEADGATE_DATA_DIR"}
    clean.update(DJANGO_SETTINGS_MODULE="leadgate.settings", LEADGATE_DATA_DIR=str(tmp_path),
                 **env)
    done = subprocess.run([sys.executable, "-c", BACKEND], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


DKIM_ENV = {"LEADGATE_DKIM_DOMAIN": DOMAIN, "LEADGATE_DKIM_SELECTOR": SELECTOR,
            "LEADGATE_DKIM_KEY_FILE": "/etc/leadgate/dkim.pem"}


def test_it_signs_by_default_when_email_host_and_dkim_are_set(tmp_path):
    assert backend(tmp_path, EMAIL_HOST="mail.example.com", **DKIM_ENV) == (
        "leadgate.mail.backends.DkimSmtpBackend")


def test_it_keeps_django_smtp_backend_without_the_whole_dkim_setting(tmp_path):
    partial = {**DKIM_ENV, "LEADGATE_DKIM_SELECTOR": ""}
    assert backend(tmp_path, EMAIL_HOST="mail.example.com", **partial) == (
        "django.core.mail.backends.smtp.EmailBackend")
