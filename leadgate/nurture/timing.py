"""When a nurture step happens, in the lead's calendar: its delay counted in
business days (weekdays, the public holidays of the lead's country left out
by setting), then the first moment inside the step's send window in the
lead's local time (the lead's time zone from enrichment, else its team's,
else the site's). Wall times become instants through lib.business_hours,
which handles the DST change on the day it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays as public_holidays_lib
from django.conf import settings

from leadgate.lib.business_hours import MIDNIGHT, Schedule, is_open, next_open
from leadgate.lib.timezones import is_time_zone, zone

WEEKEND = (5, 6)


@dataclass(frozen=True)
class Calendar:
    """A lead's calendar: time zone, country, and which days are quiet."""

    tz: str
    country: str = ""
    quiet_weekends: bool = True
    quiet_holidays: bool = True

    def holidays(self, year: int) -> frozenset[date]:
        if not self.quiet_holidays:
            return frozenset()
        return public_holidays(self.country, year)

    def is_business_day(self, day: date) -> bool:
        if self.quiet_weekends and day.weekday() in WEEKEND:
            return False
        return day not in self.holidays(day.year)


@lru_cache(maxsize=512)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of a country (ISO 3166-1 alpha-2) in a year; none
    for a country python-holidays does not know, or none given."""
    if not country:
        return frozenset()
    try:
        return frozenset(public_holidays_lib.country_holidays(country.upper(), years=year))
    except NotImplementedError:
        return frozenset()


def calendar_for(lead: Any) -> Calendar:
    """The calendar of `lead` (its account and team used when loaded)."""
    candidates = (lead.time_zone, getattr(lead.team, "time_zone", "") if lead.team_id else "")
    tz = next((name for name in candidates if name and is_time_zone(name)), settings.TIME_ZONE)
    country = lead.country or (lead.account.country if lead.account_id else "")
    return Calendar(tz=tz, country=country or "",
                    quiet_weekends=settings.LEADGATE_NURTURE_QUIET_WEEKENDS,
                    quiet_holidays=settings.LEADGATE_NURTURE_QUIET_HOLIDAYS)


def add_business_days(calendar: Calendar, day: date, count: int) -> date:
    """The `count`-th business day after `day` (count 0: `day` itself)."""
    for _ in range(count):
        day += timedelta(days=1)
        # A year has at most a few dozen closed days: the loop ends.
        while not calendar.is_business_day(day):
            day += timedelta(days=1)
    return day


def window(step: Any, calendar: Calendar, around: datetime) -> Schedule:
    """The step's send window as a schedule in the lead's zone: its weekdays
    (all when none chosen) less quiet weekends, its hours (the whole day when
    none), the public holidays of this year and the next closed."""
    days = set(step.window_days or range(7))
    if calendar.quiet_weekends:
        days -= set(WEEKEND)
    hours = ((step.window_start, step.window_end) if step.window_start is not None
             and step.window_end is not None else (MIDNIGHT, MIDNIGHT))
    year = around.astimezone(zone(calendar.tz)).year
    closed = calendar.holidays(year) | calendar.holidays(year + 1)
    return Schedule(calendar.tz, {day: (hours,) for day in days}, closed)


def in_window(step: Any, calendar: Calendar, at: datetime) -> bool:
    schedule = window(step, calendar, at)
    return not schedule.has_open_time or is_open(schedule, at)


def next_in_window(step: Any, calendar: Calendar, at: datetime) -> datetime:
    """The first instant at or after `at` inside the step's window (`at`
    itself when the window has no open time at all: never rather than lost)."""
    schedule = window(step, calendar, at)
    return next_open(schedule, at) if schedule.has_open_time else at


def due_after(step: Any, calendar: Calendar, previous: datetime) -> datetime:
    """When `step` is due if the step before it (or the enrollment) happened at
    `previous`: `delay_days` business days later at the same local time, then
    the first moment inside the step's window."""
    if not step.delay_days:
        return next_in_window(step, calendar, previous)
    tz = zone(calendar.tz)
    local = previous.astimezone(tz)
    day = add_business_days(calendar, local.date(), step.delay_days)
    return next_in_window(step, calendar, datetime.combine(day, local.time(), tzinfo=tz))
