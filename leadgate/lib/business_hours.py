"""Business-hours arithmetic for SLA clocks and routing (pure, no database).

A `Schedule` is a time zone, weekly opening intervals and closed holidays.
Instants go in as aware datetimes in any zone and come out in UTC, so callers
never compare wall-clock times across zones.

Wall-clock boundaries become instants day by day through zoneinfo, so DST is
handled on the day it happens. A boundary is the first instant the local clock
reads that time or later: a time skipped by spring-forward falls on the jump
itself, a time repeated by fall-back is its first occurrence.

"1 business day" is not a unit of its own: it is the duration
`typical_day(schedule)` (the opening hours of the longest day, 9 hours for the
office schedule), so 30 business days is
`add_business_time(schedule, start, 30 * typical_day(schedule))`. That is exact
when every open day has the same hours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from leadgate.lib.timezones import is_time_zone

Interval = tuple[time, time]

# As an interval end, 00:00 means the midnight that ends the day (24:00): it is
# the only way to write "open until midnight" with datetime.time.
MIDNIGHT = time(0)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OFFICE_HOURS = {"mon-fri": "09:00-18:00"}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Schedule:
    """Opening hours in one time zone.

    `weekly` maps a weekday (0 = Monday .. 6 = Sunday) to its open intervals,
    (start, end) wall times with start < end, an end of 00:00 meaning 24:00;
    intervals cannot cross midnight. A missing or empty day is closed.
    `holidays` are local dates closed all day.
    """

    tz: str
    weekly: Mapping[int, Sequence[Interval]] = field(hash=False)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.tz, str) or not is_time_zone(self.tz):
            raise ValueError(f"unknown time zone {self.tz!r}")
        weekly: dict[int, tuple[Interval, ...]] = {}
        for day, intervals in self.weekly.items():
            if day not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {day!r}")
            weekly[day] = _checked(DAY_NAMES[day], intervals)
        # Read-only, with all seven days, so lookups need no default and the
        # frozen dataclass cannot be changed behind a caller's back.
        full = {day: weekly.get(day, ()) for day in range(7)}
        object.__setattr__(self, "weekly", MappingProxyType(full))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def from_spec(
        cls, tz: str, spec: Mapping[str, str], holidays: Iterable[date | str] = ()
    ) -> Schedule:
        """Parse {"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"}.

        Keys are days, ranges ("sun-thu" wraps over the weekend) or comma lists;
        values are comma-separated intervals, or "" / "closed". Days not named are
        closed. Holidays are dates or "YYYY-MM-DD" strings.
        """
        weekly: dict[int, tuple[Interval, ...]] = {}
        for key, value in spec.items():
            days = _parse_days(key)
            intervals = _parse_intervals(key, value)
            for day in days:
                if day in weekly:
                    raise ValueError(f"{DAY_NAMES[day]} is given twice (again in {key!r})")
                weekly[day] = intervals
        return cls(tz, weekly, frozenset(_parse_holiday(h) for h in holidays))

    @classmethod
    def always(cls, tz: str) -> Schedule:
        """Open 24/7: business time is plain elapsed time."""
        return cls(tz, {day: ((MIDNIGHT, MIDNIGHT),) for day in range(7)})

    @classmethod
    def office(cls, tz: str, holidays: Iterable[date | str] = ()) -> Schedule:
        """The default office schedule, Monday to Friday 09:00-18:00."""
        return cls.from_spec(tz, OFFICE_HOURS, holidays)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def has_open_time(self) -> bool:
        return any(self.weekly.values())


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether `at` falls inside an open interval (closing time itself is closed)."""
    moment = _utc(at, "at")
    if not schedule.has_open_time:
        return False
    opens, _ = next(_open_intervals(schedule, moment))
    return opens == moment


def next_open(schedule: Schedule, at: datetime) -> datetime:
    """The first open instant at or after `at`, in UTC (the same instant when open)."""
    opens, _ = next(_open_intervals(schedule, _utc(at, "at")))
    return opens


def add_business_time(schedule: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The instant, in UTC, at which `duration` of open time has elapsed after `start`.

    Counting starts at the next opening when `start` is outside hours, so a zero
    duration gives that opening. A duration that ends exactly at a closing time
    gives the closing time, not the next opening.
    """
    moment = _utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, not {duration}")
    remaining = duration
    for opens, closes in _open_intervals(schedule, moment):
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("unreachable: open intervals never run out")


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Open time elapsed from `start` to `end`; zero when `end` is not after `start`."""
    begin, finish = _utc(start, "start"), _utc(end, "end")
    total = timedelta(0)
    if finish <= begin or not schedule.has_open_time:
        return total
    for opens, closes in _open_intervals(schedule, begin):
        if opens >= finish:
            break
        total += min(closes, finish) - opens
    return total


def typical_day(schedule: Schedule) -> timedelta:
    """The opening hours of the schedule's longest day: what "1 business day" means.

    Measured in wall-clock time, so a DST day does not change it.
    """
    if not schedule.has_open_time:
        raise ValueError("the schedule has no open time at all: every day is closed")
    return max(
        sum((_wall_length(start, end) for start, end in intervals), timedelta(0))
        for intervals in schedule.weekly.values()
    )


def _open_intervals(schedule: Schedule, after: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals in UTC, in order, clipped to begin no earlier than `after`.

    Walks day by day (never minute by minute), so long durations stay cheap. It is
    endless, so it refuses a schedule without open time instead of looping forever.
    """
    if not schedule.has_open_time:
        raise ValueError("the schedule has no open time at all: every day is closed")
    zone = schedule.zone
    # Start a day early: it costs one day's lookups and keeps the walk right
    # whatever a DST transition around midnight does to local dates.
    day = after.astimezone(zone).date() - _ONE_DAY
    while True:
        if day not in schedule.holidays:
            for start, end in schedule.weekly[day.weekday()]:
                opens = _instant(zone, day, start)
                closes = _instant(zone, day + _ONE_DAY if end == MIDNIGHT else day, end)
                # An interval lying wholly inside a skipped hour collapses: skip it.
                if closes > after and closes > opens:
                    yield max(opens, after), closes
        day += _ONE_DAY


def _instant(zone: ZoneInfo, day: date, wall: time) -> datetime:
    """The first instant, in UTC, at which the clock in `zone` reads `wall` on `day`."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: first of a repeated time
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Skipped by a jump forward: the two folds read the time with the offsets before
    # and after the jump, which bracket it; bisect on whole seconds, as zoneinfo
    # transitions are.
    other = local.replace(fold=1).astimezone(UTC)
    low = math.floor(min(instant, other).timestamp())
    high = math.ceil(max(instant, other).timestamp())
    offset_after = datetime.fromtimestamp(high, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, not {moment!r}")
    return moment.astimezone(UTC)


def _wall_length(start: time, end: time) -> timedelta:
    return (_ONE_DAY if end == MIDNIGHT else _since_midnight(end)) - _since_midnight(start)


def _since_midnight(wall: time) -> timedelta:
    return timedelta(
        hours=wall.hour, minutes=wall.minute, seconds=wall.second, microseconds=wall.microsecond
    )


def _fmt(wall: time, end: bool = False) -> str:
    return "24:00" if end and wall == MIDNIGHT else wall.strftime("%H:%M")


def _checked(label: str, intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    pairs = [tuple(interval) for interval in intervals]
    if not all(len(p) == 2 and all(isinstance(t, time) for t in p) for p in pairs):
        raise ValueError(f"{label}: intervals are (start, end) datetime.time pairs")
    result: list[Interval] = sorted((start, end) for start, end in pairs)
    for start, end in result:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{label}: use wall times without a time zone")
        if end != MIDNIGHT and end <= start:
            raise ValueError(
                f"{label}: {_fmt(start)}-{_fmt(end)} must end after it starts "
                "(intervals cannot cross midnight)"
            )
    for (start1, end1), (start2, end2) in zip(result, result[1:], strict=False):
        if end1 == MIDNIGHT or start2 < end1:
            raise ValueError(
                f"{label}: {_fmt(start1)}-{_fmt(end1, True)} overlaps "
                f"{_fmt(start2)}-{_fmt(end2, True)}"
            )
    return tuple(result)


def _parse_days(key: str) -> list[int]:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"{key!r} is not a day such as 'mon' or a range such as 'mon-fri'")
    days: list[int] = []
    for part in key.split(","):
        bounds = part.split("-")
        if len(bounds) > 2:
            raise ValueError(f"{key!r}: {part.strip()!r} is not a day range such as 'mon-fri'")
        first, last = _day(bounds[0], key), _day(bounds[-1], key)
        days.extend((first + offset) % 7 for offset in range((last - first) % 7 + 1))
    return days


def _day(name: str, key: str) -> int:
    word = name.strip().lower()
    for names in (DAY_NAMES, _FULL_DAY_NAMES):
        if word in names:
            return names.index(word)
    raise ValueError(f"unknown day {name.strip()!r} in {key!r}; use {', '.join(DAY_NAMES)}")


def _parse_intervals(key: str, value: str) -> tuple[Interval, ...]:
    if not isinstance(value, str):
        raise ValueError(f"{key!r}: hours must be a string such as '09:00-18:00', not {value!r}")
    if value.strip().lower() in ("", "closed"):
        return ()
    intervals = []
    for part in value.split(","):
        bounds = part.split("-")
        if len(bounds) != 2:
            raise ValueError(f"{key!r}: {part.strip()!r} is not an interval such as '09:00-18:00'")
        start = _parse_time(bounds[0], key, part, end=False)
        intervals.append((start, _parse_time(bounds[1], key, part, end=True)))
    return _checked(repr(key), intervals)


def _parse_time(text: str, key: str, part: str, end: bool) -> time:
    match = _TIME.fullmatch(text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2])
        if end and (hour, minute) == (24, 0):
            return MIDNIGHT
        if hour < 24 and minute < 60:
            return time(hour, minute)
    latest = "24:00" if end else "23:59"
    raise ValueError(
        f"{key!r}: {text.strip()!r} in {part.strip()!r} is not a time from 00:00 to {latest}"
    )


def _parse_holiday(value: date | str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"holiday {value!r} is not a date (YYYY-MM-DD)")
