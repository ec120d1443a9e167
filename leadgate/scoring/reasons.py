"""The lead model's reasons in words a qualifier reads.

`predict.explain()` finds the features that moved a lead's probability most;
this module says each one as a person would ("title says Head of Sales",
"from the Webinar source") instead of "title = head of sales", and names the
features that are left out of the reasons because they say nothing about the
lead. Every feature the lead model can use (`scoring.database.FEATURES`, a
date as its month, weekday and age) is in exactly one of WORDS and LEFT_OUT: a
test holds it so, so a new feature cannot reach the lead page as a bare name.
Features of models trained on other columns (a CSV export) are said by their
kind: "notes mention 'budget'", "landing page /pricing", "first contact 12
days ago".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadgate.lib import countries, titles

MISSING = "(missing)"  # what tabular.decode_value says of an empty cell
RARE = "(other)"  # ... and of a value too rare in the history to have its own code

# Left out of the reasons a person reads, with why. The model still uses them
# (they do move the probability); they are just not reasons to give about a
# person. The lead's id is the training's id column, never a feature; it is
# here so that no future spec can show it.
LEFT_OUT: dict[str, str] = {
    "lead_id": "an internal number, not a fact about the person",
    # The month and weekday of arrival are cut from the stored UTC time, so the
    # "Sunday" of a lead in Tokyo or Los Angeles is often not their Sunday; and
    # what the model learns from them is our calendar (a season of the history,
    # the weekend nobody answers) more than anything about the person. A
    # qualifier can act on a title or a source, not on the date the lead came in.
    "created_month": "the calendar month it arrived: about the season, not the lead",
    "created_dow": "the UTC weekday it arrived: about our calendar, not the lead",
}

SENIORITY_WORDS = {
    titles.C_LEVEL: "C-level by title",
    titles.VP: "a VP by title",
    titles.DIRECTOR: "a director by title",
    titles.MANAGER: "a manager by title",
    titles.INDIVIDUAL: "an individual contributor by title",
    titles.STUDENT: "a student or other non-buyer by title",
}
DEPARTMENT_WORDS = {
    titles.SALES: "Sales",
    titles.MARKETING: "Marketing",
    titles.IT: "IT / engineering",
    titles.FINANCE: "Finance",
    titles.OPERATIONS: "Operations",
    titles.HR: "HR",
    titles.EXECUTIVE: "the executive team",
    titles.OTHER: "another department",
}


def _country_names() -> dict[str, str]:
    """Alpha-2 code -> the English short name ("KR" -> "South Korea"): the ISO
    name, or the common one after it when ISO's is inverted ("Korea, Republic of")."""
    names: dict[str, str] = {}
    for line in countries.ISO_3166.strip().splitlines():
        if line.startswith(" "):
            continue  # a continuation: the first names are on the first line
        code, _, text = line.split(" ", 2)
        spellings = text.split("; ")
        names[code] = spellings[1] if ", " in spellings[0] and len(spellings) > 1 \
            else spellings[0]
    return names


COUNTRY_NAMES = _country_names()


def _said(pattern: str, missing: str, show: Callable[[str], str] = str) -> Callable[[str], str]:
    """Words for a category: `pattern` with the lead's value, `missing` without one."""
    def words(value: str) -> str:
        return missing if value == MISSING else pattern.format(show(value))
    return words


def _yes_no(yes: str, no: str, missing: str) -> Callable[[str], str]:
    def words(value: str) -> str:
        return missing if value == MISSING else yes if value == "yes" else no
    return words


def _days(value: str) -> str:
    try:
        days = float(value)
    except ValueError:
        return value
    return "today" if days < 1 else "1 day ago" if days < 2 else f"{days:,.0f} days ago"


def _people(value: str) -> str:
    try:
        count = float(value)
    except ValueError:
        return value
    return f"{count:,.0f}"


# Feature name -> the words for the lead's value of it. The value is the
# lead's own text where it has one (as typed: "Head of Sales", "FR"), else
# MISSING.
WORDS: dict[str, Callable[[str], str]] = {
    "source": _said("from the {} source", "no source recorded"),
    "campaign": _said("from the {} campaign", "not from a campaign"),
    "country": _said("based in {}", "no country given",
                     lambda code: COUNTRY_NAMES.get(code.upper(), code)),
    "title": _said("title says {}", "no job title given"),
    "seniority": _said("{}", "seniority not known from the title",
                       lambda level: SENIORITY_WORDS.get(level.lower(), f"seniority: {level}")),
    "department": _said("works in {}", "department not known from the title",
                        lambda name: DEPARTMENT_WORDS.get(name.lower(), name)),
    "email_free": _yes_no("writes from a free email address (Gmail, Outlook…)",
                          "writes from a company email address",
                          "email address not known"),
    "email_role": _yes_no("writes from a shared mailbox (info@, sales@…)",
                          "writes from their own mailbox, not a shared one",
                          "email address not known"),
    "industry": _said("in the {} industry", "industry not known"),
    "employees": _said("company of {} employees", "company size not known", _people),
    "created_age_days": _said("came in {}", "arrival date not known", _days),
}


def about_the_lead(feature: str) -> bool:
    return feature not in LEFT_OUT


def in_words(feature: dict[str, Any], value: str, raw: str = "") -> str:
    """The words for one reason: the feature (of the model's spec), its value as
    the model decoded it (lower case, MISSING, RARE) and the lead's raw cell
    (as typed), which is what is shown when there is one."""
    name = feature["name"]
    as_typed = (feature["kind"] in ("categorical", "numeric") and "part" not in feature
                and value != MISSING and raw.strip())
    shown = raw.strip() if as_typed else value
    words = WORDS.get(name)
    text = words(shown) if words is not None else by_kind(feature, value, shown)
    if value == RARE:
        text += " (rare among past leads)"
    return text


def by_kind(feature: dict[str, Any], value: str, shown: str) -> str:
    """Words for a feature this module has no words of, from its kind."""
    column = feature["column"].replace("_", " ")
    part = feature.get("part")
    if feature["kind"] == "term":
        verb = "mention" if column.endswith("s") else "mentions"
        negative = "do not mention" if column.endswith("s") else "does not mention"
        return f"{column} {verb if value == 'yes' else negative} '{feature['term']}'"
    if value == MISSING:
        return f"no {column} given"
    if part == "age":
        return f"{column} {_days(value)}"
    if part == "words":
        return f"{column}: {_people(value)} words"
    if part in ("month", "dow"):
        return f"{column} {'in' if part == 'month' else 'on a'} {value}"
    if feature.get("encoding") == "target":  # a page, a campaign, a city
        return f"{column} {shown}"
    return f"{feature['name'].replace('_', ' ')}: {shown}"
