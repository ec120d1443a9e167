"""Alerts: the row on the managers' page, and its email through the outbox."""

import pytest
from django.db import transaction

from leadgate.mail.models import OutboundEmail
from leadgate.routing.alerts import raise_alert
from leadgate.routing.models import Alert
from tests.outbox import run_email_tasks

pytestmark = pytest.mark.django_db


def test_it_emails_an_alert_once_to_each_recipient(smtp):
    raise_alert(Alert.Kind.NO_OWNER, "Lead 7 had no owner", subject="No owner",
                email_to=["b@example.com", "a@example.com", "a@example.com"])
    run_email_tasks()
    [(recipients, content)] = smtp.messages
    assert recipients == ["a@example.com", "b@example.com"]
    assert "Subject: No owner" in content and "Lead 7 had no owner" in content


def test_it_emails_nothing_about_an_alert_that_rolled_back(smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_alert(Alert.Kind.NO_OWNER, "Lead 7 had no owner", subject="No owner",
                    email_to=["a@example.com"])
        raise RuntimeError("the breach check failed")
    assert (run_email_tasks(), Alert.objects.count(), smtp.messages) == ([], 0, [])


def test_it_keeps_the_alert_when_the_mail_server_is_down(down, caplog):
    alert = raise_alert(Alert.Kind.NO_OWNER, "Lead 7 had no owner", subject="No owner",
                        email_to=["a@example.com"])
    assert run_email_tasks() == ["pending"]
    assert Alert.objects.filter(pk=alert.pk).exists()
    row = OutboundEmail.objects.get(key=f"alert:{alert.pk}")
    assert "could not reach the mail server" in row.last_error
    assert f"email {row.pk} (alert, 1 recipient) not sent, retrying at" in caplog.text
