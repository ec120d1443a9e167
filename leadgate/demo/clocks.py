"""Time of day in the demo: when inquiries arrive, when qualifiers answer
them, when their SLA clocks run out, and what a quick answer is worth.

- Arrivals follow the working week of the teams' time zones (most inquiries
  come in on weekday office hours, few at night or at weekends): a monotonic
  warp of evenly spread instants, so leads keep arriving in key order.
- `OpenHours` is a schedule's open intervals over the demo's period as epoch
  seconds, so adding business time is a bisection. The SLA due time is the
  team's schedule, as `routing.sla.due_time` counts it; a qualifier answers
  in the same hours less a lunch break.
- A qualifier's first answer takes a pause of their working time around
  their own median (`words.RESPONSE_MINUTES`), longer for imported lists,
  shorter for hot requests, plus the queue that built up overnight or over
  lunch when the lead came in while nobody was at the desk.
- `speed_factor`: leads answered within minutes qualify far more often than
  leads answered hours later (as published lead-response studies found); the
  walk multiplies its odds of qualifying by it.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadgate.lib.business_hours import MIDNIGHT, Schedule

from .words import DAY, HOUR, MINUTE

LUNCH = (time(12, 0), time(13, 0))
_ONE_DAY = timedelta(days=1)


class OpenHours:
    """The open intervals of `schedule` between two instants (epoch seconds),
    less `lunch` (local wall times) when given."""

    def __init__(self, schedule: Schedule, first: float, last: float,
                 lunch: tuple[time, time] | None = None):
        zone = schedule.zone
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.before: list[int] = []  # open seconds before each interval
        self.through: list[int] = []  # ... and up to its end
        day = datetime.fromtimestamp(first, zone).date() - _ONE_DAY
        end = datetime.fromtimestamp(last, zone).date() + _ONE_DAY
        total = 0
        while day <= end:
            if day not in schedule.holidays:
                for start, stop in schedule.weekly[day.weekday()]:
                    pieces = [(start, stop)]
                    if lunch is not None and start < lunch[1] and (
                            stop == MIDNIGHT or stop > lunch[0]):
                        pieces = [(start, max(start, lunch[0])), (min(lunch[1], stop)
                                  if stop != MIDNIGHT else lunch[1], stop)]
                    for a, b in pieces:
                        opens = int(datetime.combine(day, a, tzinfo=zone).timestamp())
                        closes = int(datetime.combine(day + _ONE_DAY if b == MIDNIGHT else day,
                                                      b, tzinfo=zone).timestamp())
                        if closes > opens:
                            self.opens.append(opens)
                            self.closes.append(closes)
                            self.before.append(total)
                            total += closes - opens
                            self.through.append(total)
            day += _ONE_DAY

    def is_open(self, at: float) -> bool:
        i = bisect_right(self.closes, at)
        return i < len(self.opens) and self.opens[i] <= at

    def add(self, start: float, seconds: float) -> int:
        """The instant `seconds` of open time after `start` (counted from the
        next opening when closed); a duration ending at a closing time gives
        the closing time, as `business_hours.add_business_time`."""
        i = bisect_right(self.closes, start)
        if i >= len(self.opens):
            return int(start + seconds)  # past the span: plain time will do
        elapsed = self.before[i] + max(0, int(start) - self.opens[i])
        target = elapsed + int(seconds)
        j = bisect_left(self.through, target)
        if j >= len(self.opens):
            return int(start + seconds)
        return self.opens[j] + target - self.before[j]


# Inquiries per hour by local time, a team's share of the traffic: office
# hours on weekdays, evenings, nights; days and nights at weekends.
def _local_weight(local: datetime) -> float:
    hour, weekend = local.hour, local.weekday() >= 5
    if weekend:
        return 0.6 if 9 <= hour < 20 else 0.2
    if 9 <= hour < 17:
        return 3.2
    if 7 <= hour < 9 or 17 <= hour < 21:
        return 1.3
    return 0.3


def arrival_curve(start: float, span: float, zones: list[str]) -> list[float]:
    """Cumulative arrival weight per hour from `start` over `span` seconds,
    the zones' working weeks added up."""
    infos = [ZoneInfo(zone) for zone in zones]
    cumulative = [0.0]
    for hour in range(math.ceil(span / HOUR)):
        middle = start + hour * HOUR + HOUR / 2
        cumulative.append(cumulative[-1] + sum(
            _local_weight(datetime.fromtimestamp(middle, info)) for info in infos))
    return cumulative


def arrival(curve: list[float], start: float, share: float) -> float:
    """The instant by which `share` (0..1) of the inquiries have arrived."""
    target = share * curve[-1]
    hour = min(bisect_right(curve, target) - 1, len(curve) - 2)
    width = curve[hour + 1] - curve[hour]
    return start + (hour + (target - curve[hour]) / width) * HOUR


def speed_factor(seconds: float) -> float:
    """How much more (or less) likely than average a lead first answered
    after `seconds` is to be qualified: about 1.65 within five minutes, 0.8
    after an hour, 0.6 after a day."""
    minutes = max(seconds, 1) / MINUTE
    if minutes <= 5:
        return 1.65
    if minutes <= 60:
        return 1.65 - 0.85 * math.log(minutes / 5) / math.log(12)
    return max(0.6, 0.8 - 0.2 * math.log(minutes / 60) / math.log(DAY / HOUR))


def ts(seconds: float) -> datetime:
    """The instant of epoch `seconds` (whole), as the rows store it."""
    return datetime.fromtimestamp(int(seconds), tz=UTC)
