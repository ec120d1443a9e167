"""Alerts: a row on the managers' alert page (`/routing/alerts/`), and an
email to the people who must act (through the outbox, leadgate.mail). SLA
breaches, acceptance SLA breaches and switched-off webhooks all raise them
this way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Case, CharField, Count, Max, Min, Q, Value, When
from django.db.models.functions import Cast, Concat
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


@dataclass
class AlertGroup:
    """The open alerts of one lead and kind as one row (the newest alert, how
    many, since when); an alert of no lead is a group of its own."""

    key: str  # "lead:<id>:<kind>" or "alert:<id>"
    latest: Alert
    count: int
    first_at: datetime


def open_groups(kind: str = "", limit: int = 200) -> tuple[list[AlertGroup], bool]:
    """The open alerts grouped per lead and kind, newest first, at most
    `limit` rows; and whether there were more."""
    alerts = Alert.objects.filter(resolved_at__isnull=True)
    if kind:
        alerts = alerts.filter(kind=kind)
    grouped = list(alerts.filter(lead__isnull=False).values("lead_id", "kind")
                   .annotate(count=Count("pk"), first_at=Min("created_at"),
                             last_at=Max("created_at"), last_id=Max("pk"))
                   .order_by("-last_at", "-last_id")[:limit + 1])
    single = list(alerts.filter(lead__isnull=True).select_related("team")
                  .order_by("-created_at", "-pk")[:limit + 1])
    latest = Alert.objects.select_related("lead", "team").in_bulk(
        [row["last_id"] for row in grouped])
    groups = [AlertGroup(f"lead:{row['lead_id']}:{row['kind']}", latest[row["last_id"]],
                         row["count"], row["first_at"]) for row in grouped]
    groups += [AlertGroup(f"alert:{alert.pk}", alert, 1, alert.created_at) for alert in single]
    groups.sort(key=lambda group: (group.latest.created_at, group.latest.pk), reverse=True)
    return groups[:limit], len(groups) > limit


def resolve_groups(keys: Iterable[str], *, by: User, at: datetime | None = None) -> int:
    """Resolve every open alert of the groups `keys` (AlertGroup.key) as
    `by`; returns how many alerts. Conditional: an alert resolved meanwhile
    keeps who resolved it first."""
    match = Q()
    for key in keys:
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == "lead" and parts[1].isdigit():
            match |= Q(lead_id=int(parts[1]), kind=parts[2])
        elif len(parts) == 2 and parts[0] == "alert" and parts[1].isdigit():
            match |= Q(pk=int(parts[1]))
    if not match:
        return 0
    return Alert.objects.filter(match, resolved_at__isnull=True).update(
        resolved_at=at or timezone.now(), resolved_by=by)


def open_group_count() -> int:
    """How many rows the alerts page lists (one per lead and kind, one per
    alert of no lead), in one query: the nav shows it on every page."""
    key = Case(When(lead__isnull=True, then=Concat(Value("alert:"), Cast("pk", CharField()))),
               default=Concat(Cast("lead_id", CharField()), Value(":"), "kind"),
               output_field=CharField())
    return Alert.objects.filter(resolved_at__isnull=True).aggregate(
        rows=Count(key, distinct=True))["rows"]
