"""Alerts: the row on the managers' page, and the email after commit."""

import socket

import pytest

from leadgate.routing.alerts import raise_alert
from leadgate.routing.models import Alert

pytestmark = pytest.mark.django_db


def test_it_emails_an_alert_once_the_change_commits(smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(Alert.Kind.NO_OWNER, "Lead 7 had no owner", subject="No owner",
                    email_to=["b@example.com", "a@example.com", "a@example.com"])
    [(recipients, content)] = smtp.messages
    assert recipients == ["a@example.com", "b@example.com"]
    assert "Subject: No owner" in content and "Lead 7 had no owner" in content


def test_it_keeps_the_alert_when_the_mail_server_is_down(
        settings, caplog, django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_alert(Alert.Kind.NO_OWNER, "Lead 7 had no owner", subject="No owner",
                            email_to=["a@example.com"])
    assert Alert.objects.filter(pk=alert.pk).exists()
    assert "could not email the alert 'No owner'" in caplog.text
