"""The handoff to sales: the dossier, sending it, and sales' answer.

`compose_dossier()` gathers what the rep needs for a consultative first call;
`send()` hands a sales-ready lead to a rep (the lead becomes `qualified`) with
an acceptance SLA; `accept()` and `reject()` are sales' answer, and a reject
sends the lead back (to its qualifier, or to nurture, by setting);
`check_acceptance_sla()` escalates handoffs nobody answered in time.
Views, the API and tasks all call these.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from leadgate.intake.models import Inquiry
from leadgate.leads.lifecycle import IllegalMove, Role, Stage
from leadgate.leads.models import Lead, User
from leadgate.leads.transitions import advance
from leadgate.lib.business_hours import add_business_time

from .models import Handoff, RejectReason

__all__ = [
    "HandoffError", "RejectReason", "compose_dossier", "suggest_rep", "send", "accept",
    "reject", "check_acceptance_sla", "dossier_text", "build_ics",
]

logger = logging.getLogger(__name__)
PENDING = Handoff.Status.PENDING
DOSSIER_VERSION = 1
LAST_TOUCHES = 5
MEETING_MINUTES = 30
RETURN_POLICIES = ("qualifier", "nurture")

# Which framework questions speak to which part of the dossier.
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "pains": ("need", "challenges", "identify_pain"),
    "motivations": ("urgency", "metrics", "decision_criteria"),
    "buying_plan": ("decision_process", "budget", "money"),
    "timeframe": ("timeframe", "urgency", "prioritization"),
    "stakeholders": ("authority", "economic_buyer", "champion"),
}
# Touch notes may carry the same, one per line: "Pain: ...", "Stakeholders: ...".
NOTE_PREFIXES: dict[str, tuple[str, ...]] = {
    "pains": ("pain", "pains", "need", "problem"),
    "motivations": ("motivation", "motivations", "why", "why now"),
    "buying_plan": ("buying plan", "plan", "budget", "process"),
    "timeframe": ("timeframe", "timing", "when"),
    "stakeholders": ("stakeholder", "stakeholders", "decision maker", "champion"),
}
SECTION_LABELS = {
    "pains": "Pains", "motivations": "Motivations", "buying_plan": "Buying plan",
    "timeframe": "Timeframe", "stakeholders": "Other stakeholders",
}
_NOTE_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,20}?)\s*:\s*(.+?)\s*$")


class HandoffError(ValueError):
    """A handoff, accept or reject that cannot be done; `field` names the
    form (or API) field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- the dossier -------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def compose_dossier(lead: Lead) -> dict[str, Any]:
    """Everything a rep needs before the first conversation, as plain JSON."""
    from leadgate.enrich.pipeline import lead_facts
    from leadgate.workspace.frameworks import framework_by_kind, framework_for, questions
    from leadgate.workspace.models import Qualification, Touch

    lead = Lead.objects.select_related("account", "account__owner", "source", "campaign",
                                       "owner").get(pk=lead.pk)
    facts = {
        field: {"value": fact["value"], "provider": fact["provider"], "at": _iso(fact["at"])}
        for field, fact in lead_facts(lead).items()
    }
    who = {
        "name": lead.name, "title": lead.title, "email": lead.email, "phone": lead.phone,
        "country": lead.country, "time_zone": lead.time_zone, "facts": facts,
    }
    account = lead.account
    company: dict[str, Any] = {"name": account.name if account else lead.company_name}
    if account is not None:
        company.update({
            "domain": account.domain, "website": account.website,
            "industry": account.industry, "employees": account.employees,
            "annual_revenue": (str(account.annual_revenue)
                               if account.annual_revenue is not None else None),
            "country": account.country, "state": account.state, "city": account.city,
            "owner": _user_name(account.owner),
        })
        if lead.company_name and lead.company_name != account.name:
            company["as_entered"] = lead.company_name
    else:
        company["domain"] = lead.domain

    # The qualification: the latest of this cycle (it carries every answer).
    latest = (Qualification.objects.filter(lead=lead, cycle=lead.cycle)
              .select_related("by").order_by("-at", "-pk").first())
    framework = (framework_by_kind(latest.framework) if latest and latest.framework
                 else framework_for(lead))
    raw_answers = dict(latest.answers or {}) if latest else {}
    answers = []
    labels = {}
    for question in questions(framework):
        labels[question["key"]] = question.get("label") or question["key"]
        answer = raw_answers.get(question["key"]) or {}
        answers.append({
            "key": question["key"], "label": labels[question["key"]],
            "value": str(answer.get("value") or ""), "met": bool(answer.get("met")),
        })
    for key, answer in raw_answers.items():  # answers to questions since removed
        if key not in labels and isinstance(answer, dict):
            labels[key] = key.replace("_", " ").capitalize()
            answers.append({"key": key, "label": labels[key],
                            "value": str(answer.get("value") or ""),
                            "met": bool(answer.get("met"))})
    qualification = {
        "framework": framework.kind if framework else (latest.framework if latest else ""),
        "framework_name": framework.name if framework else "",
        "verdict": latest.verdict if latest else "",
        "at": _iso(latest.at) if latest else None,
        "by": _user_name(latest.by) if latest else "",
        "answers": answers,
    }

    sections: dict[str, list[str]] = {key: [] for key in SECTION_KEYS}
    by_key = {answer["key"]: answer for answer in answers}
    for section, keys in SECTION_KEYS.items():
        for key in keys:
            answer = by_key.get(key)
            if answer and answer["value"]:
                sections[section].append(f"{answer['label']}: {answer['value']}")

    touches = list(Touch.objects.filter(lead=lead, cycle=lead.cycle)
                   .select_related("actor").order_by("at", "pk"))
    for touch in touches:
        for line in (touch.notes or "").splitlines():
            match = _NOTE_LINE.match(line)
            if not match:
                continue
            prefix = match.group(1).strip().casefold()
            for section, prefixes in NOTE_PREFIXES.items():
                if prefix in prefixes:
                    sections[section].append(
                        f"{match.group(2)} (noted {touch.at:%Y-%m-%d})")
                    break
    touch_summary = {
        "total": len(touches),
        "by_channel": dict(Counter(t.channel for t in touches)),
        "by_disposition": dict(Counter(t.disposition for t in touches)),
        "first_at": _iso(touches[0].at) if touches else None,
        "last_at": _iso(touches[-1].at) if touches else None,
        "last": [
            {"at": _iso(t.at), "channel": t.channel, "direction": t.direction,
             "disposition": t.disposition, "notes": t.notes, "by": _user_name(t.actor)}
            for t in reversed(touches[-LAST_TOUCHES:])
        ],
    }

    score = _score(lead)
    inquiries = [
        {"channel": inquiry.channel, "source": str(inquiry.source or ""),
         "campaign": str(inquiry.campaign or ""), "at": _iso(inquiry.received_at),
         "hot": inquiry.is_hot}
        for inquiry in Inquiry.objects.filter(lead=lead).select_related("source", "campaign")
        .order_by("received_at", "pk")
    ]
    dossier = {
        "version": DOSSIER_VERSION,
        "summary": "",
        "who": who,
        "company": company,
        "qualification": qualification,
        **sections,
        "touches": touch_summary,
        "score": score,
        "source": {"source": str(lead.source or ""), "campaign": str(lead.campaign or "")},
        "inquiries": inquiries,
        "qualifier": _user_name(lead.owner),
        "composed_at": timezone.now().isoformat(),
    }
    dossier["summary"] = _default_summary(dossier)
    return dossier


def _score(lead: Lead) -> dict[str, Any]:
    from leadgate.scoring.models import LeadScore
    from leadgate.scoring.predict import explain

    score = LeadScore.objects.select_related("model_version").filter(lead=lead).first()
    if score is None:
        return {"grade": "", "reasons": [], "probability": None, "model_reasons": []}
    reasons = sorted(score.reasons or [], key=lambda r: -abs(r.get("points") or 0))
    model_reasons: list[dict[str, str]] = []
    if score.probability is not None:
        try:
            model_reasons = explain(lead)
        except Exception:  # the dossier stands without the model's reasons
            logger.exception("could not explain the model score of lead %s", lead.pk)
    return {
        "grade": score.grade, "fit": score.fit, "engagement": round(score.engagement, 2),
        "reasons": [{"rule": str(r.get("rule", "")), "kind": str(r.get("kind", "")),
                     "points": r.get("points"), "at": r.get("at")} for r in reasons],
        "probability": score.probability,
        "model_version": str(score.model_version) if score.model_version else "",
        "model_reasons": model_reasons,
    }


def _default_summary(dossier: dict[str, Any]) -> str:
    who, company = dossier["who"], dossier["company"]
    head = who["name"] or who["email"] or "The lead"
    if who["title"]:
        head += f", {who['title']}"
    if company.get("name"):
        head += f" at {company['name']}"
    lines = [head + "."]
    for section in ("pains", "timeframe", "stakeholders"):
        if dossier[section]:
            lines.append(f"{SECTION_LABELS[section]}: {'; '.join(dossier[section][:2])}.")
    return "\n".join(lines)


def dossier_text(dossier: dict[str, Any]) -> str:
    """The dossier as plain text, for the rep's email."""
    out: list[str] = []
    if dossier.get("summary"):
        out += ["SUMMARY", str(dossier["summary"]), ""]
    who = dossier.get("who") or {}
    out.append("WHO")
    for label, key in (("Name", "name"), ("Title", "title"), ("Email", "email"),
                       ("Phone", "phone"), ("Country", "country"), ("Time zone", "time_zone")):
        if who.get(key):
            out.append(f"  {label}: {who[key]}")
    for field, fact in (who.get("facts") or {}).items():
        out.append(f"  {field.replace('_', ' ').capitalize()}: {fact.get('value')}")
    company = dossier.get("company") or {}
    out += ["", "COMPANY"]
    for key, value in company.items():
        if value not in (None, ""):
            out.append(f"  {key.replace('_', ' ').capitalize()}: {value}")
    qualification = dossier.get("qualification") or {}
    out += ["", f"QUALIFICATION ({qualification.get('framework_name') or 'answers'})"]
    for answer in qualification.get("answers") or []:
        mark = "met" if answer.get("met") else "not met"
        out.append(f"  {answer.get('label')}: {answer.get('value') or '-'} [{mark}]")
    for section, label in SECTION_LABELS.items():
        items = dossier.get(section) or []
        if items:
            out += ["", label.upper()] + [f"  - {item}" for item in items]
    touches = dossier.get("touches") or {}
    out += ["", f"TOUCHES ({touches.get('total', 0)})"]
    if touches.get("by_channel"):
        out.append("  By channel: " + ", ".join(
            f"{k} {v}" for k, v in touches["by_channel"].items()))
    if touches.get("by_disposition"):
        out.append("  By outcome: " + ", ".join(
            f"{k} {v}" for k, v in touches["by_disposition"].items()))
    for touch in touches.get("last") or []:
        notes = f": {touch['notes']}" if touch.get("notes") else ""
        out.append(f"  {touch['at'][:16]} {touch['channel']} {touch['disposition']}{notes}")
    score = dossier.get("score") or {}
    out += ["", "SCORE"]
    if score.get("grade"):
        out.append(f"  Grade {score['grade']}")
    for reason in score.get("reasons") or []:
        out.append(f"  {reason.get('rule')} ({reason.get('kind')}): {reason.get('points')}")
    if score.get("probability") is not None:
        out.append(f"  Model probability: {score['probability']:.3f}")
    source = dossier.get("source") or {}
    out += ["", "SOURCE", f"  {source.get('source') or 'unknown'}"
            + (f" / {source['campaign']}" if source.get("campaign") else "")]
    out += ["", "INQUIRIES"]
    for inquiry in dossier.get("inquiries") or []:
        out.append(f"  {(inquiry.get('at') or '')[:16]} {inquiry.get('channel')} "
                   f"source {inquiry.get('source') or '-'} "
                   f"campaign {inquiry.get('campaign') or '-'}")
    return "\n".join(out) + "\n"


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


def has_sales_ready(lead: Lead) -> bool:
    """Whether the lead was qualified as sales-ready in its current cycle."""
    from leadgate.workspace.models import Qualification

    return Qualification.objects.filter(
        lead=lead, cycle=lead.cycle, verdict=Qualification.Verdict.SALES_READY
    ).exists()


def acceptance_due(to_user: User, start: datetime) -> datetime:
    """When sales must have answered: LEADGATE_ACCEPT_SLA_HOURS of the rep's
    team's business hours (office hours without a team)."""
    from leadgate.routing.availability import team_schedule

    allowed = timedelta(hours=float(getattr(settings, "LEADGATE_ACCEPT_SLA_HOURS", 9)))
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
    from leadgate.workspace.models import Task
    from leadgate.workspace.touches import HANDOFF_TITLE

    now = timezone.now()
    lead = Lead.objects.get(pk=lead.pk)
    if not has_sales_ready(lead):
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
    dossier = dict(dossier) if isinstance(dossier, dict) else compose_dossier(lead)
    try:
        with transaction.atomic():
            advance(lead, Stage.QUALIFIED, by=by, to_user=to_user, dossier=dossier,
                    reason=f"handed off to {to_user.username}")
            handoff = Handoff.objects.select_for_update().get(
                lead=lead, cycle=lead.cycle, status=PENDING)
            handoff.due_at = acceptance_due(to_user, now)
            handoff.meeting_at = meeting_at
            handoff.note = note
            handoff.save(update_fields=["due_at", "meeting_at", "note"])
            Task.objects.filter(lead=lead, done_at__isnull=True, title=HANDOFF_TITLE).update(
                done_at=now)
            transaction.on_commit(lambda: _email_rep(handoff.pk))
    except IllegalMove as error:
        raise HandoffError(error.field, str(error)) from None
    except IntegrityError:
        raise HandoffError("stage", "the lead was handed off meanwhile") from None
    return handoff


def _email_rep(handoff_id: int) -> None:
    handoff = Handoff.objects.select_related("lead", "to_user", "from_user").get(pk=handoff_id)
    rep = handoff.to_user
    if not rep.email:
        return
    lead = handoff.lead
    body = [f"{_user_name(handoff.from_user) or 'Leadgate'} handed you a sales-ready lead: "
            f"{lead}."]
    if handoff.due_at:
        body.append(f"Please accept or reject it by {handoff.due_at:%Y-%m-%d %H:%M} UTC.")
    if handoff.meeting_at:
        body.append(f"Proposed meeting: {handoff.meeting_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
                    "(invitation attached).")
    if handoff.note:
        body += ["", "Note from the qualifier:", handoff.note]
    body += ["", dossier_text(handoff.dossier if isinstance(handoff.dossier, dict) else {})]
    message = EmailMessage(
        subject=f"Handoff: {lead}"[:200], body="\n".join(body),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[rep.email],
    )
    if handoff.meeting_at:
        part = MIMEText(build_ics(handoff), "calendar", "utf-8")
        part.set_param("method", "REQUEST")
        part.add_header("Content-Disposition", "attachment", filename="meeting.ics")
        message.attach(part)
    try:
        message.send()
    except Exception:  # the handoff stands: the rep sees it in the inbox
        logger.exception("could not email handoff %s to %s", handoff_id, rep.email)


# --- the .ics invitation (RFC 5545, by hand) ----------------------------------------


def ics_escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped."""
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF + space (never inside a character)."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        limit = 75 if not out else 74
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _cal_address(user: User | None, fallback: str) -> str:
    email = (user.email if user is not None else "") or fallback
    name = ics_escape(_user_name(user) or email).replace('"', "'")
    return f'CN="{name}":mailto:{email}'


def build_ics(handoff: Handoff) -> str:
    """A METHOD:REQUEST invitation to the proposed meeting, times in UTC."""
    assert handoff.meeting_at is not None
    lead = handoff.lead
    start = handoff.meeting_at
    host = (settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1] or "leadgate").strip(">")
    company = lead.account.name if lead.account_id and lead.account else lead.company_name
    summary = f"Intro call: {lead}" + (f" ({company})" if company else "")
    description = (f"Handed off by {_user_name(handoff.from_user) or 'Leadgate'}.\n"
                   + (f"{handoff.note}\n" if handoff.note else "")
                   + str((handoff.dossier or {}).get("summary", "")))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Leadgate//Handoff//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:handoff-{handoff.pk}@{host}",
        f"DTSTAMP:{_ics_time(timezone.now())}",
        f"DTSTART:{_ics_time(start)}",
        f"DTEND:{_ics_time(start + timedelta(minutes=MEETING_MINUTES))}",
        f"SUMMARY:{ics_escape(summary)}",
        f"DESCRIPTION:{ics_escape(description)}",
        f"ORGANIZER;{_cal_address(handoff.from_user, settings.DEFAULT_FROM_EMAIL)}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
        f"{_cal_address(handoff.to_user, settings.DEFAULT_FROM_EMAIL)}",
    ]
    if lead.email and "@" in lead.email and not any(c in lead.email for c in ':;,"\r\n'):
        lines.append(f'ATTENDEE;ROLE=REQ-PARTICIPANT;CN="{ics_escape(lead.name or lead.email)}'
                     f'":mailto:{lead.email}')
    lines += ["SEQUENCE:0", "STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# --- sales' answer ---------------------------------------------------------------------


def may_decide(handoff: Handoff, user: User | None) -> bool:
    """The addressed rep, a manager or an admin."""
    if user is None or not user.is_active:
        return False
    return handoff.to_user_id == user.pk or user.has_role(Role.MANAGER, Role.ADMIN)


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
    policy = getattr(settings, "LEADGATE_REJECT_RETURN", "qualifier")
    if policy not in RETURN_POLICIES:
        policy = "qualifier"
    label = RejectReason(reason).label
    why = label + (f": {text}" if text else "")
    try:
        with transaction.atomic():
            locked = _claim(handoff, by)
            lead = locked.lead
            change = advance(lead, Stage.REJECTED, by=by, reason=f"rejected by sales: {why}")
            Handoff.objects.filter(pk=locked.pk).update(
                decided_by=by, reject_reason=reason, decision_reason=text)
            _return(lead, locked, policy, why, change.at)
    except IllegalMove as error:
        raise HandoffError(error.field, str(error)) from None
    return Handoff.objects.select_related("lead", "to_user", "from_user").get(pk=handoff.pk)


def _return(lead: Lead, handoff: Handoff, policy: str, why: str, now: datetime) -> None:
    from leadgate.workspace.models import Task

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
        from leadgate.routing.assign import reassign
        from leadgate.routing.models import Assignment

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
    from leadgate.routing.models import Alert
    from leadgate.routing.sla import manager_emails

    handoff.escalated_at = now
    handoff.save(update_fields=["escalated_at"])
    handoff = Handoff.objects.select_related("lead", "to_user", "to_user__team").get(
        pk=handoff.pk)
    rep = handoff.to_user
    team = rep.team if rep.team_id else None
    assert handoff.due_at is not None
    message = (f"Acceptance SLA breached: {handoff.lead} was handed to {rep.username} and is "
               f"neither accepted nor rejected (due {handoff.due_at:%Y-%m-%d %H:%M} UTC).")
    Alert.objects.create(kind=Alert.Kind.SLA_BREACH, lead=handoff.lead, team=team,
                         message=message, created_at=now)
    recipients = manager_emails(team)
    if recipients:
        subject = f"Acceptance SLA breached: {handoff.lead}"[:200]
        transaction.on_commit(lambda: _email_managers(recipients, subject, message))


def _email_managers(recipients: list[str], subject: str, body: str) -> None:
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients).send()
    except Exception:  # the alert stands on the desk
        logger.exception("could not email the acceptance SLA alert to %s", recipients)
