"""The handoff to sales: the dossier, sending it, and sales' answer.

`compose_dossier()` gathers what the rep needs for a consultative first call;
`send()` hands a sales-ready lead to a rep (the lead becomes `qualified`) with
an acceptance SLA; `accept()` and `reject()` are sales' answer, and a reject
sends the lead back (to its qualifier, or to nurture, by setting);
`check_acceptance_sla()` escalates handoffs nobody answered in time.
Views, the API and tasks all call these.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from leadgate.leads.lifecycle import IllegalMove, Role, Stage
from leadgate.leads.models import Handoff, Lead, RejectReason, Task, User
from leadgate.leads.transitions import advance
from leadgate.lib.business_hours import add_business_time
from leadgate.lib.timezones import is_time_zone
from leadgate.mail.models import OutboundEmail
from leadgate.mail.outbox import Attachment, emails_by_key, queue_email
from leadgate.routing.alerts import manager_emails, raise_alert
from leadgate.routing.assign import reassign
from leadgate.routing.availability import team_schedule
from leadgate.routing.models import Alert, Assignment
from leadgate.workspace.models import Qualification
from leadgate.workspace.touches import HANDOFF_TITLE

from .dossier import compose_dossier, dossier_text, email_time, shape_problem, user_name

__all__ = [
    "HandoffError", "RejectReason", "compose_dossier", "suggest_rep", "send", "accept",
    "reject", "check_acceptance_sla", "dossier_text", "build_ics",
]

PENDING = Handoff.Status.PENDING
MEETING_MINUTES = 30



class HandoffError(ValueError):
    """A handoff, accept or reject that cannot be done; `field` names the
    form (or API) field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- choosing the rep ----------------------------------------------------------


def _active_reps():
    return User.objects.filter(is_active=True, groups__name=Role.SALES).distinct()


def is_active_rep(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_role(Role.SALES)


def suggest_rep(lead: Lead) -> User | None:
    """The account owner when an active sales rep, else the active rep with the
    fewest pending handoffs (ties: the oldest user)."""
    account = lead.account if lead.account_id else None
    if account is not None and account.owner_id:
        owner = User.objects.filter(pk=account.owner_id).first()
        if is_active_rep(owner):
            return owner
    return (
        _active_reps()
        .annotate(pending=Count("handoffs_received",
                                filter=Q(handoffs_received__status=PENDING)))
        .order_by("pending", "pk")
        .first()
    )


# --- sending ---------------------------------------------------------------------


def last_rejected_at(lead: Lead) -> datetime | None:
    """When sales last rejected a handoff of the lead in its current cycle."""
    return (Handoff.objects.filter(lead=lead, cycle=lead.cycle, status=Handoff.Status.REJECTED)
            .aggregate(at=Max("decided_at"))["at"])


def sales_ready_verdict(lead: Lead) -> Qualification | None:
    """The lead's latest sales-ready verdict of its current cycle given since
    sales last rejected it (None: none): the qualifier must answer a reject
    with a new sales-ready verdict before handing the lead off a second time.
    `advance()` checks the verdict again on the locked lead."""
    verdicts = Qualification.objects.filter(
        lead=lead, cycle=lead.cycle, verdict=Qualification.Verdict.SALES_READY)
    rejected_at = last_rejected_at(lead)
    if rejected_at is not None:
        verdicts = verdicts.filter(at__gt=rejected_at)
    return verdicts.order_by("-at", "-pk").first()


def has_sales_ready(lead: Lead) -> bool:
    """Whether the lead may be handed off now (see sales_ready_verdict)."""
    return sales_ready_verdict(lead) is not None


def acceptance_due(to_user: User, start: datetime) -> datetime:
    """When sales must have answered: LEADGATE_ACCEPT_SLA_HOURS of the rep's
    team's business hours (office hours without a team)."""
    allowed = timedelta(hours=settings.LEADGATE_ACCEPT_SLA_HOURS)
    schedule = team_schedule(to_user.team if to_user.team_id else None)
    if schedule.has_open_time:
        return add_business_time(schedule, start, allowed)
    return start + allowed


def send(
    lead: Lead,
    *,
    by: User | None,
    to_user: User | None,
    dossier: dict | None,
    meeting_at: datetime | None = None,
    note: str = "",
) -> Handoff:
    """Hand a sales-ready lead to a sales rep; raises HandoffError (nothing saved)."""
    now = timezone.now()
    lead = Lead.objects.get(pk=lead.pk)
    verdict = sales_ready_verdict(lead)
    if verdict is None:
        if last_rejected_at(lead) is not None:
            raise HandoffError("verdict", "sales rejected this lead since it was qualified: "
                               "log a touch with the sales-ready verdict again first")
        raise HandoffError("verdict", "the lead has not been qualified as sales-ready "
                           "in this cycle: log a touch with the sales-ready verdict first")
    if to_user is None:
        raise HandoffError("to_user", "choose the sales rep to hand the lead to")
    if not is_active_rep(to_user):
        raise HandoffError("to_user", f"{to_user.username} is not an active sales rep")
    if meeting_at is not None:
        if timezone.is_naive(meeting_at):
            raise HandoffError("meeting_at", "the meeting time needs a time zone")
        if meeting_at <= now:
            raise HandoffError("meeting_at", "the meeting must be in the future")
    note = (note or "").strip()
    if len(note) > 5000:
        raise HandoffError("note", "the note is at most 5,000 characters")
    if isinstance(dossier, dict) and (problem := shape_problem(dossier)):
        raise HandoffError(*problem)
    dossier = dict(dossier) if isinstance(dossier, dict) else compose_dossier(lead)
    try:
        with transaction.atomic():
            handoff = advance(lead, Stage.QUALIFIED, by=by, to_user=to_user, dossier=dossier,
                              verdict=verdict, reason=f"handed off to {to_user.username}").handoff
            assert handoff is not None, "advance() opens the handoff"
            handoff.due_at = acceptance_due(to_user, now)
            handoff.meeting_at = meeting_at
            handoff.note = note
            handoff.save(update_fields=["due_at", "meeting_at", "note"])
            Task.objects.filter(lead=lead, done_at__isnull=True, title=HANDOFF_TITLE).update(
                done_at=now)
            _email_rep(handoff)
    except IllegalMove as error:
        raise HandoffError(error.field, str(error)) from None
    except IntegrityError:
        raise HandoffError("stage", "the lead was handed off meanwhile") from None
    return handoff


def email_key(handoff: Handoff) -> str:
    return f"handoff:{handoff.pk}"


def _email_rep(handoff: Handoff) -> None:
    """Queue the rep's email (the dossier, and the .ics when a meeting is
    proposed) in the handoff's transaction; the outbox sends and retries it."""
    rep = handoff.to_user
    if not rep.email:
        return  # the handoff page says so (rep_email)
    lead = handoff.lead
    body = [f"{user_name(handoff.from_user) or 'Leadgate'} handed you a sales-ready lead: "
            f"{lead}."]
    # Times in the rep's own zone, named, as the rep's pages show them.
    zone = rep.display_time_zone
    if handoff.due_at:
        body.append(f"Please accept or reject it by {email_time(handoff.due_at, zone)} "
                    f"({zone}).")
    if handoff.meeting_at:
        body.append(f"Proposed meeting: {email_time(handoff.meeting_at, zone)} ({zone}; "
                    "invitation attached).")
    if handoff.note:
        body += ["", "Note from the qualifier:", handoff.note]
    body += ["", dossier_text(handoff.dossier if isinstance(handoff.dossier, dict) else {}, zone)]
    attachments = []
    if handoff.meeting_at:
        attachments.append(Attachment("meeting.ics", build_ics(handoff), "text/calendar",
                                      {"method": "REQUEST"}))
    queue_email(key=email_key(handoff), kind=OutboundEmail.Kind.HANDOFF, to=[rep.email],
                subject=f"Handoff: {lead}"[:200], body="\n".join(body),
                attachments=attachments, lead=lead)


def rep_emails(handoffs: list[Handoff]) -> None:
    """Set `rep_email` on each handoff: its email's outbox row, or None (the
    rep has no address, or the handoff predates the outbox). One query."""
    found = emails_by_key(email_key(handoff) for handoff in handoffs)
    for handoff in handoffs:
        setattr(handoff, "rep_email", found.get(email_key(handoff)))  # noqa: B010


# --- the .ics invitation (RFC 5545, written by icalendar) ---------------------------


def _cal_address(user: User | None, fallback: str) -> vCalAddress:
    email = (user.email if user is not None else "") or fallback
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = user_name(user) or email
    return address


def build_ics(handoff: Handoff) -> str:
    """A METHOD:REQUEST invitation to the proposed meeting, times in UTC."""
    assert handoff.meeting_at is not None
    lead = handoff.lead
    start = handoff.meeting_at.astimezone(UTC)
    host = (settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1] or "leadgate").strip(">")
    company = lead.account.name if lead.account_id and lead.account else lead.company_name
    summary = f"Intro call: {lead}" + (f" ({company})" if company else "")
    description = (f"Handed off by {user_name(handoff.from_user) or 'Leadgate'}.\n"
                   + (f"{handoff.note}\n" if handoff.note else "")
                   + str((handoff.dossier or {}).get("summary", "")))
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//Leadgate//Handoff//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"handoff-{handoff.pk}@{host}")
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=MEETING_MINUTES))
    event.add("summary", summary)
    event.add("description", description)
    event.add("organizer", _cal_address(handoff.from_user, settings.DEFAULT_FROM_EMAIL))
    rep = _cal_address(handoff.to_user, settings.DEFAULT_FROM_EMAIL)
    rep.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
    event.add("attendee", rep)
    # The lead only with an address that cannot break out of the mailto: URI.
    if lead.email and "@" in lead.email and not any(c in lead.email for c in ':;,"\r\n'):
        person = vCalAddress(f"mailto:{lead.email}")
        person.params.update({"ROLE": "REQ-PARTICIPANT", "CN": lead.name or lead.email})
        event.add("attendee", person)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    # Unsorted: the properties in the order above (VERSION and METHOD first).
    return calendar.to_ical(sorted=False).decode("utf-8")


# --- sales' answer ---------------------------------------------------------------------


def addressed_to(user: User) -> Q:
    """The handoffs a sales rep answers: those handed to them, and with
    LEADGATE_HANDOFF_TEAM_INBOX those handed to anyone in their team."""
    mine = Q(to_user=user)
    if settings.LEADGATE_HANDOFF_TEAM_INBOX and user.team_id:
        mine |= Q(to_user__team_id=user.team_id)
    return mine


def may_decide(handoff: Handoff, user: User | None) -> bool:
    """The addressed rep (or a teammate, by setting), a manager or an admin."""
    if user is None or not user.is_active:
        return False
    if user.has_role(Role.MANAGER, Role.ADMIN) or handoff.to_user_id == user.pk:
        return True
    return user.has_role(Role.SALES) and Handoff.objects.filter(
        addressed_to(user), pk=handoff.pk).exists()


def _claim(handoff: Handoff, by: User | None) -> Handoff:
    """The handoff locked and re-read; refused unless `by` may decide and it is pending."""
    if not may_decide(handoff, by):
        raise HandoffError("to_user", "only the rep it was handed to (or a manager) may "
                           "accept or reject this handoff")
    locked = Handoff.objects.select_for_update().select_related("lead").get(pk=handoff.pk)
    if locked.status != PENDING:
        raise HandoffError("status", f"this handoff was already {locked.status}: "
                           "only a pending handoff can be accepted or rejected")
    return locked


def accept(handoff: Handoff, *, by: User | None) -> Handoff:
    """Sales accepts: the lead becomes a sales-accepted lead."""
    try:
        with transaction.atomic():
            locked = _claim(handoff, by)
            advance(locked.lead, Stage.ACCEPTED, by=by, reason="accepted by sales")
            Handoff.objects.filter(pk=locked.pk).update(decided_by=by, decision_reason="")
    except IllegalMove as error:
        raise HandoffError(error.field, str(error)) from None
    return Handoff.objects.select_related("lead", "to_user", "from_user").get(pk=handoff.pk)


def reject(handoff: Handoff, *, by: User | None, reason: str, text: str = "") -> Handoff:
    """Sales rejects with a reason from RejectReason (`other` needs `text`); the
    lead goes back by LEADGATE_REJECT_RETURN: to its qualifier with a task, or to nurture."""
    reason = (reason or "").strip()
    text = (text or "").strip()
    if reason not in RejectReason.values:
        raise HandoffError("reason", "choose a reason: " + ", ".join(
            str(label).lower() for label in RejectReason.labels))
    if reason == RejectReason.OTHER and not text:
        raise HandoffError("text", "say why (the reason is \"other\")")
    if len(text) > 2000:
        raise HandoffError("text", "at most 2,000 characters")
    policy = settings.LEADGATE_REJECT_RETURN  # "qualifier" or "nurture", checked at start
    label = RejectReason(reason).label
    why = label + (f": {text}" if text else "")
    try:
        with transaction.atomic():
            locked = _claim(handoff, by)
            lead = locked.lead
            change = advance(lead, Stage.REJECTED, by=by,
                             reason=f"rejected by sales: {why}").change
            Handoff.objects.filter(pk=locked.pk).update(
                decided_by=by, reject_reason=reason, decision_reason=text)
            _return(lead, locked, policy, why, change.at)
    except IllegalMove as error:
        raise HandoffError(error.field, str(error)) from None
    return Handoff.objects.select_related("lead", "to_user", "from_user").get(pk=handoff.pk)


def _return(lead: Lead, handoff: Handoff, policy: str, why: str, now: datetime) -> None:
    if policy == "nurture":
        advance(lead, Stage.NURTURE, by=None, reason=f"sales rejected: {why}")
        return
    qualifier = handoff.from_user if handoff.from_user_id else lead.owner
    if qualifier is not None and (not qualifier.is_active
                                  or not qualifier.has_role(Role.QUALIFIER)):
        qualifier = lead.owner
    advance(lead, Stage.WORKING, by=None, reason=f"back to the qualifier: sales rejected: {why}")
    if qualifier is not None and qualifier.pk != lead.owner_id and qualifier.has_role(
            Role.QUALIFIER) and qualifier.is_active:
        reassign(lead, qualifier, by=None, why=Assignment.Why.RETURNED, now=now,
                 note=f"sales rejected: {why}")
    Task.objects.create(
        lead=lead, assignee=qualifier, kind=Task.Kind.OTHER,
        title=f"Sales rejected: {why}"[:200], due_at=now, created_by=handoff.to_user,
        created_at=now,
    )


# --- the acceptance SLA ----------------------------------------------------------------------


def check_acceptance_sla(now: datetime | None = None, *, limit: int = 1000) -> int:
    """Escalate, once each, pending handoffs past their due time: an alert on the
    managers' desk and an email to the rep's team managers (else every manager).
    Each handoff is claimed in its own transaction with skip_locked, so several
    workers may run this at once. Returns how many were escalated."""
    now = now or timezone.now()
    escalated = 0
    for _ in range(limit):
        with transaction.atomic():
            handoff = (
                Handoff.objects.select_for_update(skip_locked=True)
                .filter(status=PENDING, due_at__lte=now, escalated_at__isnull=True)
                .order_by("due_at", "pk").first()
            )
            if handoff is None:
                break
            _escalate(handoff, now)
            escalated += 1
    return escalated


def _escalate(handoff: Handoff, now: datetime) -> None:
    handoff.escalated_at = now
    handoff.save(update_fields=["escalated_at"])
    handoff = Handoff.objects.select_related("lead", "to_user", "to_user__team").get(
        pk=handoff.pk)
    rep = handoff.to_user
    team = rep.team if rep.team_id else None
    assert handoff.due_at is not None
    # One message for every manager of the team: the team's zone, named.
    zone = team.time_zone if team is not None and is_time_zone(team.time_zone) else "UTC"
    message = (f"Acceptance SLA breached: {handoff.lead} was handed to {user_name(rep)} and is "
               f"neither accepted nor rejected (due {email_time(handoff.due_at, zone)} {zone}).")
    raise_alert(Alert.Kind.SLA_BREACH, message, subject=f"Acceptance SLA breached: "
                f"{handoff.lead}", email_to=manager_emails(team), lead=handoff.lead, team=team,
                at=now)
