"""Business hours as a weekly grid and back (pure, no database, no forms).

The managers' pages edit hours as one row per weekday, each with its open
spans; `leadgate.lib.business_hours` stores them as a spec such as
{"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"}. A `Week` is seven
tuples of (opens, closes) `datetime.time` pairs, Monday first; a closing time of
00:00 is midnight at the end of the day, as in `business_hours`.

`spec_to_week` reads any spec `Schedule.from_spec` accepts (ranges, lists,
wrapping ranges such as "sun-thu", several spans a day); `week_to_spec` writes
the shortest usual form, consecutive days with the same spans as one range. So
`spec_to_week(week_to_spec(week)) == week` for every valid week, and a spec read
and written back is the same schedule (and the same text when it was already
written the usual way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import time

from leadgate.lib.business_hours import DAY_NAMES, MIDNIGHT, Interval, Schedule

Week = tuple[tuple[Interval, ...], ...]
CLOSED_WEEK: Week = ((),) * 7


def spec_to_week(spec: Mapping[str, str]) -> Week:
    """The spans of each weekday, Monday first, sorted; ValueError for a bad spec.

    Parsed by `Schedule` itself (in UTC: the zone changes nothing in the grid),
    so the grid reads a spec exactly as routing and SLA clocks do.
    """
    schedule = Schedule.from_spec("UTC", spec)
    return tuple(tuple(schedule.weekly[day]) for day in range(7))


def week_to_spec(week: Sequence[Sequence[Interval]]) -> dict[str, str]:
    """{"mon-fri": "09:00-18:00", "sat": "10:00-14:00"}: closed days left out,
    consecutive days (Monday to Sunday, not wrapping) with the same spans joined."""
    if len(week) != 7:
        raise ValueError(f"a week has 7 days, not {len(week)}")
    spec: dict[str, str] = {}
    day = 0
    while day < 7:
        spans = tuple(week[day])
        last = day
        while last + 1 < 7 and tuple(week[last + 1]) == spans:
            last += 1
        if spans:
            key = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
            spec[key] = spans_text(spans)
        day = last + 1
    return spec


def spans_text(spans: Sequence[Interval]) -> str:
    """"09:00-12:30,13:30-18:00"; a closing time of midnight is written 24:00."""
    return ",".join(f"{wall_text(opens)}-{wall_text(closes, end=True)}"
                    for opens, closes in spans)


def wall_text(wall: time, end: bool = False) -> str:
    return "24:00" if end and wall == MIDNIGHT else wall.strftime("%H:%M")


def most_spans(week: Sequence[Sequence[Interval]]) -> int:
    """The most spans any day has (0 when every day is closed)."""
    return max((len(spans) for spans in week), default=0)
