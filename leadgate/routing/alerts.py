"""Alerts: a row on the managers' alert page (`/routing/alerts/`), and an
email to the people who must act. SLA breaches, acceptance SLA breaches and
switched-off webhooks all raise them this way."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Team, User

from .models import Alert

logger = logging.getLogger(__name__)


def manager_emails(team: Team | None) -> list[str]:
    """Who hears of a team's alerts: its managers, else every active manager."""
    managers = User.objects.filter(is_active=True, groups__name=Role.MANAGER).exclude(email="")
    mine = managers.filter(team=team) if team is not None else managers.none()
    chosen = mine if mine.exists() else managers
    return sorted(set(chosen.values_list("email", flat=True)))


def raise_alert(kind: str, message: str, *, subject: str, email_to: Iterable[str] = (),
                lead: Lead | None = None, team: Team | None = None,
                at: datetime | None = None) -> Alert:
    """Record the alert and email it to `email_to` once the transaction
    commits: no email about a change that was rolled back, and a mail server
    that is down cannot undo it (the alert on the page stands)."""
    alert = Alert.objects.create(kind=kind, lead=lead, team=team, message=message,
                                 created_at=at or timezone.now())
    recipients = sorted(set(email_to))
    if recipients:
        transaction.on_commit(lambda: _send(recipients, subject[:200], message))
    return alert


def _send(recipients: list[str], subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        logger.exception("could not email the alert %r to %s", subject, recipients)
