"""A step's condition: which leads it is for. Empty: every lead.

    {"grades": ["A", "B2"], "segments": ["industry:Software", "country:FR"],
     "engagement": "engaged"}

- grades: the lead's grade is one of them; a letter alone is a fit grade
  ("A" holds for A1 to A4);
- segments: any one holds: industry:, country:, source:, team: and a value,
  compared without regard to case;
- engagement: "engaged" when the lead did something since the previous step
  (an activity: an email opened by a person, a click, a reply, a visit, a
  download), "not_engaged" when it did not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadgate.intake.models import Activity
from leadgate.scoring.models import LeadScore

SEGMENT_KINDS = ("industry", "country", "source", "team")
ENGAGEMENT = ("engaged", "not_engaged")


def problems(condition: dict) -> list[str]:
    """What is wrong with a condition, naming the part; empty when valid."""
    if not isinstance(condition, dict):
        return ["condition: an object with grades, segments or engagement"]
    found = []
    unknown = set(condition) - {"grades", "segments", "engagement"}
    if unknown:
        found.append(f"condition: unknown part(s) {', '.join(sorted(unknown))}")
    for grade in condition.get("grades") or []:
        text = str(grade).upper()
        if not (text[:1] in "ABCD" and text[:1] and (len(text) == 1
                                                     or (len(text) == 2 and text[1] in "1234"))):
            found.append(f"grades: {grade!r} is not a grade such as A, B2")
    for segment in condition.get("segments") or []:
        kind, _, value = str(segment).partition(":")
        if kind.strip().lower() not in SEGMENT_KINDS or not value.strip():
            found.append(f"segments: {segment!r} is not one of "
                         f"{', '.join(kind + ':<value>' for kind in SEGMENT_KINDS)}")
    engagement = condition.get("engagement") or ""
    if engagement and engagement not in ENGAGEMENT:
        found.append(f"engagement: {engagement!r} is not one of {', '.join(ENGAGEMENT)}")
    return found


def _segment_value(kind: str, lead: Any) -> str:
    account = lead.account if lead.account_id else None
    if kind == "industry":
        return getattr(account, "industry", "") or ""
    if kind == "country":
        return lead.country or getattr(account, "country", "") or ""
    if kind == "source":
        return lead.source.name if lead.source_id else ""
    return lead.team.name if lead.team_id else ""


def unmet(condition: dict | None, lead: Any, enrollment: Any, now: datetime) -> str:
    """Why the condition does not hold for the lead now; "" when it does."""
    if not condition:
        return ""
    grades = [str(grade).upper() for grade in condition.get("grades") or []]
    if grades:
        grade = (LeadScore.objects.filter(lead_id=lead.pk).values_list("grade", flat=True)
                 .first()) or ""
        if not any(grade == wanted or (len(wanted) == 1 and grade[:1] == wanted)
                   for wanted in grades):
            return f"grade {grade or 'none'} is not one of {', '.join(grades)}"
    segments = condition.get("segments") or []
    if segments:
        for segment in segments:
            kind, _, value = str(segment).partition(":")
            if _segment_value(kind.strip().lower(), lead).lower() == value.strip().lower():
                break
        else:
            return f"in none of the segments {', '.join(map(str, segments))}"
    engagement = condition.get("engagement") or ""
    if engagement:
        since = enrollment.last_step_at or enrollment.started_at
        engaged = Activity.objects.filter(lead_id=lead.pk, at__gte=since, at__lte=now).exists()
        if engagement == "engaged" and not engaged:
            return "no engagement since the previous step"
        if engagement == "not_engaged" and engaged:
            return "engaged since the previous step"
    return ""
