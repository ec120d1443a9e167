"""The dossier a sales rep reads before a consultative first call: who and
which company (with enrichment), the qualification answers, pains,
motivations, buying plan, timeframe and stakeholders (from the answers and the
touch notes), the touch history, the scores with their reasons, the source
and every inquiry. `compose_dossier()` builds it as plain JSON (stored on the
Handoff, editable by the qualifier); `dossier_text()` renders it for email.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from leadgate.enrich.pipeline import lead_facts
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Event, Lead, Touch, User
from leadgate.scoring.models import LeadScore
from leadgate.scoring.predict import explain
from leadgate.workspace.frameworks import as_answer, framework_by_kind, framework_for, questions
from leadgate.workspace.models import Qualification

logger = logging.getLogger(__name__)
DOSSIER_VERSION = 1
LAST_TOUCHES = 5

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
# The parts of a dossier and what each holds: a dossier sent by a client (the
# qualifier's edit through the API) is checked against this before it is kept.
SHAPE: dict[str, type] = {
    "version": int, "summary": str, "who": dict, "company": dict, "qualification": dict,
    **{section: list for section in SECTION_KEYS},
    "touches": dict, "score": dict, "source": dict, "inquiries": list, "qualifier": str,
    "composed_at": str, "nurture": list,
}
# Lists inside a part, and what their items are.
ITEMS: dict[tuple[str, ...], type] = {
    **{(section,): str for section in SECTION_KEYS},
    ("inquiries",): dict, ("qualification", "answers"): dict, ("touches", "last"): dict,
    ("nurture",): dict,
    ("score", "reasons"): dict,
}
_WORDS = {int: "a number", str: "text", dict: "an object", list: "a list"}


def shape_problem(dossier: dict[str, Any]) -> tuple[str, str] | None:
    """(field, what is wrong) for the first part of `dossier` that is not what
    the pages and the rep's email read, e.g. ("dossier.touches", "must be an
    object"); None when it has the shape. Parts it does not know are kept."""
    for key, kind in SHAPE.items():
        value = dossier.get(key)
        if value is not None and not isinstance(value, kind):
            return f"dossier.{key}", f"must be {_WORDS[kind]}"
    for path, kind in ITEMS.items():
        part: Any = dossier
        for key in path:
            part = part.get(key) if isinstance(part, dict) else None
        if part is None:
            continue
        if not isinstance(part, list):
            return "dossier." + ".".join(path), "must be a list"
        for n, item in enumerate(part):
            if not isinstance(item, kind):
                return "dossier." + ".".join(path) + f"[{n}]", f"must be {_WORDS[kind]}"
    return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def compose_dossier(lead: Lead) -> dict[str, Any]:
    """Everything a rep needs before the first conversation, as plain JSON."""
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
            "owner": user_name(account.owner),
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
        answer = as_answer(raw_answers.get(question["key"]))
        answers.append({
            "key": question["key"], "label": labels[question["key"]],
            "value": str(answer.get("value") or ""), "met": bool(answer.get("met")),
        })
    for key, raw in raw_answers.items():  # answers to questions since removed
        if key not in labels and raw not in (None, ""):
            answer = as_answer(raw)
            labels[key] = key.replace("_", " ").capitalize()
            answers.append({"key": key, "label": labels[key],
                            "value": str(answer.get("value") or ""),
                            "met": bool(answer.get("met"))})
    qualification = {
        "framework": framework.kind if framework else (latest.framework if latest else ""),
        "framework_name": framework.name if framework else "",
        "verdict": latest.verdict if latest else "",
        "at": _iso(latest.at) if latest else None,
        "by": user_name(latest.by) if latest else "",
        "answers": answers,
    }

    sections: dict[str, list[str]] = {key: [] for key in SECTION_KEYS}
    by_key = {answer["key"]: answer for answer in answers}
    for section, keys in SECTION_KEYS.items():
        for key in keys:
            given = by_key.get(key)
            if given and given["value"]:
                sections[section].append(section_item(section, given["label"], given["value"]))

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
                    noted = timezone.localtime(touch.at)
                    sections[section].append(
                        f"{match.group(2)} (noted {noted:%b} {noted.day}, {noted.year})")
                    break
    touch_summary = {
        "total": len(touches),
        "by_channel": dict(Counter(t.channel for t in touches)),
        "by_disposition": dict(Counter(t.disposition for t in touches)),
        "first_at": _iso(touches[0].at) if touches else None,
        "last_at": _iso(touches[-1].at) if touches else None,
        "last": [
            {"at": _iso(t.at), "channel": t.channel, "direction": t.direction,
             "disposition": t.disposition, "notes": t.notes, "by": user_name(t.actor)}
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
        "nurture": nurture_history(lead),
        "qualifier": user_name(lead.owner),
        "composed_at": timezone.now().isoformat(),
    }
    dossier["summary"] = _default_summary(dossier)
    return dossier


# The nurture history, from the event stream (nurture is a later stage: its
# events, not its tables, are what the handoff reads).
NURTURE_EVENTS = ("nurture.enrolled", "nurture.stepped", "nurture.exited", "nurture.returned")


def nurture_history(lead: Lead) -> list[dict[str, Any]]:
    """Each nurture cycle of the lead, oldest first: when it was enrolled, in
    which cadence and why; the emails and tasks it got; how it ended."""
    history: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for kind, at, data in (Event.objects.filter(lead_id=lead.pk, kind__in=NURTURE_EVENTS)
                           .order_by("at", "pk").values_list("kind", "at", "data")):
        data = data or {}
        if kind == "nurture.enrolled":
            current = {"cadence": str(data.get("name") or ""), "why": str(data.get("why") or ""),
                       "started_at": _iso(at), "emails": 0, "tasks": 0, "ended_at": None,
                       "end": ""}
            history.append(current)
        elif current is None:
            continue
        elif kind == "nurture.stepped" and data.get("status") == "done":
            if data.get("email"):
                current["emails"] += 1
            elif data.get("task"):
                current["tasks"] += 1
        elif kind in ("nurture.exited", "nurture.returned") and not current["end"]:
            current["ended_at"] = _iso(at)
            # The detail is the fuller story ('replied "Budget is back"').
            current["end"] = str(data.get("detail") or data.get("why") or "")
    return history


def _score(lead: Lead) -> dict[str, Any]:
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


def section_item(section: str, label: str, value: str) -> str:
    """An answer as an item of its section: "Need: a faster close" in Pains,
    the bare value when the question is the section ("this quarter" under
    Timeframe, not "Timeframe: this quarter")."""
    if label.strip().casefold() == SECTION_LABELS[section].casefold():
        return value
    return f"{label}: {value}"


def sentence(text: str) -> str:
    """`text` ended with one full stop: "Acme B.V." stays, never "B.V..";
    a question or exclamation mark is kept."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _default_summary(dossier: dict[str, Any]) -> str:
    who, company = dossier["who"], dossier["company"]
    head = who["name"] or who["email"] or "The lead"
    if who["title"]:
        head += f", {who['title']}"
    if company.get("name"):
        head += f" at {company['name']}"
    lines = [sentence(head)]
    for section in ("pains", "timeframe", "stakeholders"):
        if dossier[section]:
            lines.append(sentence(f"{SECTION_LABELS[section]}: "
                                  f"{'; '.join(dossier[section][:2])}"))
    return "\n".join(lines)


def email_time(value: datetime | str | None, zone: str, *, with_time: bool = True) -> str:
    """A time as the rep's email gives it: in the rep's zone, the format the
    pages use ("Dec 15, 2025 14:05"); an ISO text from a dossier is read
    first, and anything unreadable is shown as stored."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if timezone.is_aware(value) and zone:
        value = value.astimezone(ZoneInfo(zone))
    return f"{value:%b} {value.day}, {value:%Y}" + (f" {value:%H:%M}" if with_time else "")


def dossier_text(dossier: dict[str, Any], zone: str = "UTC") -> str:
    """The dossier as plain text, for the rep's email, times in `zone`."""
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
        out.append(f"  {email_time(touch.get('at'), zone)} {touch['channel']} "
                   f"{touch['disposition']}{notes}")
    nurtured = dossier.get("nurture") or []
    if nurtured:
        out += ["", "NURTURE"]
        for cycle in nurtured:
            started = email_time(cycle.get("started_at"), zone, with_time=False)
            out.append(f"  {started} {cycle.get('cadence')} "
                       f"({cycle.get('why')}): {cycle.get('emails', 0)} emails, "
                       f"{cycle.get('tasks', 0)} tasks"
                       + (f"; ended: {cycle['end']}" if cycle.get("end") else ""))
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
        out.append(f"  {email_time(inquiry.get('at'), zone)} {inquiry.get('channel')} "
                   f"source {inquiry.get('source') or '-'} "
                   f"campaign {inquiry.get('campaign') or '-'}")
    return "\n".join(out) + "\n"
