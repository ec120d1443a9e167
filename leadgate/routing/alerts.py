"""Alerts: a row on the managers' alert page (`/routing/alerts/`), and an
email to the people who must act (through the outbox, leadgate.mail). SLA
breaches, acceptance SLA breaches and switched-off webhooks all raise them
this way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Team, User
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import queue_email

from .models import Alert


def manager_emails(team: Team | None) -> list[str]:
    """Who hears of a team's alerts: its managers, else every active manager."""
    managers = User.objects.filter(is_active=True, groups__name=Role.MANAGER).exclude(email="")
    mine = managers.filter(team=team) if team is not None else managers.none()
    chosen = mine if mine.exists() else managers
    return sorted(set(chosen.values_list("email", flat=True)))


def raise_alert(kind: str, message: str, *, subject: str, email_to: Iterable[str] = (),
                lead: Lead | None = None, team: Team | None = None,
                at: datetime | None = None) -> Alert:
    """Record the alert and queue its email to `email_to` in the same
    transaction: no email about a change that was rolled back, and a mail
    server that is down cannot undo it (the alert on the page stands; the
    outbox retries the email)."""
    with transaction.atomic():
        alert = Alert.objects.create(kind=kind, lead=lead, team=team, message=message,
                                     created_at=at or timezone.now())
        recipients = sorted({address.strip() for address in email_to if address.strip()})
        if recipients:
            queue_email(key=f"alert:{alert.pk}", kind=OutboundEmail.Kind.ALERT, to=recipients,
                        subject=subject[:200], body=message, lead=lead)
    return alert
