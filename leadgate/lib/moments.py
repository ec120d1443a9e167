"""How long, in the few characters a queue cell has: "now", "12 min",
"3 h", "5 d", "3 mo", "2 y". Whole units, rounded down, so "overdue" is
never overstated: 47 hours read "47 h", 48 read "2 d".

    span(90)              "1 min"
    span(3 * 86400)       "3 d"
    until(due, now)       "in 3 d", "2 h overdue", "due now"
    since(at, now)        "3 h ago", "just now"
"""

from __future__ import annotations

from datetime import datetime

MINUTE, HOUR, DAY = 60, 3600, 86400
MONTH = 30 * DAY  # a reading, not a calendar: "3 mo" is about 90 days
YEAR = 365 * DAY

# (up to this many seconds, the unit's size, its name): hours up to two days,
# days up to two months, months up to two years.
STEPS = ((HOUR, MINUTE, "min"), (2 * DAY, HOUR, "h"), (60 * DAY, DAY, "d"),
         (2 * YEAR, MONTH, "mo"))


def span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < MINUTE:
        return "now"
    for limit, size, name in STEPS:
        if seconds < limit:
            return f"{int(seconds // size)} {name}"
    return f"{int(seconds // YEAR)} y"


def until(due: datetime, now: datetime) -> str:
    """A due time as the person waiting on it reads it."""
    seconds = (due - now).total_seconds()
    if abs(seconds) < MINUTE:
        return "due now"
    return f"in {span(seconds)}" if seconds > 0 else f"{span(seconds)} overdue"


def since(at: datetime, now: datetime) -> str:
    seconds = (now - at).total_seconds()
    return "just now" if abs(seconds) < MINUTE else f"{span(seconds)} ago"
