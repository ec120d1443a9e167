"""The attempt policy: how often and when a lead is tried before it may be
closed as unresponsive (then it goes to nurture, never to the bin).

Settings: LEADGATE_ATTEMPT_PLAN (day offsets from the first attempt of the
cycle), LEADGATE_MIN_ATTEMPTS, LEADGATE_MIN_ATTEMPT_CHANNELS,
LEADGATE_MIN_ATTEMPT_DAYS and LEADGATE_CALLING_HOURS (lead-local); their
defaults are in leadgate/settings.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone

from leadgate.leads.models import Lead, Touch
from leadgate.lib.timezones import is_time_zone

from .queue import calling_hours

# Good times to reach someone at work, lead-local: mid-morning and late afternoon.
GOOD_TIMES = (time(10, 0), time(16, 0))
WEEKEND = (5, 6)


def plan() -> list[int]:
    return sorted(set(settings.LEADGATE_ATTEMPT_PLAN))


def min_attempts() -> int:
    return settings.LEADGATE_MIN_ATTEMPTS


def min_channels() -> int:
    return settings.LEADGATE_MIN_ATTEMPT_CHANNELS


def min_days() -> float:
    return settings.LEADGATE_MIN_ATTEMPT_DAYS


def lead_zone(lead: Lead) -> ZoneInfo:
    """The lead's time zone; the site's when the lead has none (or a bad one)."""
    name = lead.time_zone if is_time_zone(lead.time_zone) else settings.TIME_ZONE
    return ZoneInfo(name)


def local_at(lead: Lead, day: date, at: time) -> datetime:
    """`day` at `at`, lead-local, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=lead_zone(lead))


@dataclass(frozen=True)
class Attempts:
    """The outbound attempts of the lead's current cycle."""

    count: int
    channels: int
    first_at: datetime | None
    last_at: datetime | None

    @property
    def span_days(self) -> float:
        if self.first_at is None or self.last_at is None:
            return 0.0
        return (self.last_at - self.first_at).total_seconds() / 86400


def _outbound(lead: Lead):
    return Touch.objects.filter(lead=lead, cycle=lead.cycle, direction=Touch.Direction.OUTBOUND)


def attempt_summary(lead: Lead) -> Attempts:
    """One query: count, distinct channels, first and last attempt."""
    row = _outbound(lead).aggregate(
        count=Count("pk"), channels=Count("channel", distinct=True),
        first_at=Min("at"), last_at=Max("at"),
    )
    return Attempts(row["count"], row["channels"], row["first_at"], row["last_at"])


def attempts(lead: Lead) -> int:
    """Outbound touches in the lead's current cycle."""
    return _outbound(lead).count()


def unresponsive_gap(lead: Lead) -> str:
    """Why the lead may not be closed as unresponsive yet ("" when it may)."""
    done = attempt_summary(lead)
    gaps = []
    if done.count < min_attempts():
        gaps.append(f"{min_attempts()} attempts (so far {done.count})")
    if done.channels < min_channels():
        gaps.append(f"{min_channels()} channels (so far {done.channels})")
    # "About" two weeks: a plan run through in local time may end a few hours short.
    if done.span_days < min_days() - 0.5:
        gaps.append(f"attempts over {min_days():g} days (so far {done.span_days:.0f})")
    return ("needs " + ", ".join(gaps)) if gaps else ""


def can_close_unresponsive(lead: Lead) -> bool:
    """At least LEADGATE_MIN_ATTEMPTS attempts, over at least two channels,
    spanning about LEADGATE_MIN_ATTEMPT_DAYS days."""
    return not unresponsive_gap(lead)


def _good_slots(day: date) -> list[time]:
    start, end = calling_hours()
    slots = [at for at in GOOD_TIMES if start <= at < end]
    return slots or [start]


def next_good_time(lead: Lead, day: date, after: datetime) -> datetime:
    """The first good lead-local time on `day` or a later weekday, after `after`."""
    for offset in range(0, 14):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in WEEKEND:
            continue
        for at in _good_slots(candidate):
            when = local_at(lead, candidate, at)
            if when > after:
                return when
    raise AssertionError("unreachable: two weeks always hold a weekday slot")


def suggest_next_attempt(
    lead: Lead, now: datetime | None = None, *, logging_now: bool = False
) -> datetime:
    """When to try the lead next: the next slot of the attempt plan (days after
    the cycle's first attempt), at 10:00 or 16:00 lead-local on a weekday, in
    the calling hours, and after `now`. `logging_now`: a touch is being logged
    now, so count it as made (the touch form proposes the step after it)."""
    now = now or timezone.now()
    done = attempt_summary(lead)
    count, first_at = done.count, done.first_at
    if logging_now:
        count += 1
        first_at = first_at or now
    days = plan()
    zone = lead_zone(lead)
    today = now.astimezone(zone).date()
    if first_at is None or count == 0:
        day = today
    else:
        offset = days[count] if count < len(days) else days[-1] + (count - len(days) + 1) * 3
        day = max(first_at.astimezone(zone).date() + timedelta(days=offset), today)
        if logging_now or done.last_at is not None:
            # Never twice on one day: the next attempt is on a later day.
            last = now if logging_now else done.last_at
            assert last is not None
            day = max(day, last.astimezone(zone).date() + timedelta(days=1))
    return next_good_time(lead, day, now).astimezone(ZoneInfo("UTC"))
