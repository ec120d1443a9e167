"""Business hours as the routing pages' weekly grid and back (routing/hours_grid.py):
every spec Schedule reads loads into the grid, and the grid writes specs back."""

from datetime import time

import pytest

from leadgate.lib.business_hours import OFFICE_HOURS, Schedule
from leadgate.routing.hours_grid import CLOSED_WEEK, spec_to_week, week_to_spec

NINE_TO_SIX = ((time(9), time(18)),)
LUNCH_BREAK = ((time(9), time(12, 30)), (time(13, 30), time(18)))


def test_it_reads_office_hours_as_five_open_days():
    assert spec_to_week(OFFICE_HOURS) == (NINE_TO_SIX,) * 5 + ((), ())


def test_it_reads_a_lunch_break_and_a_single_day():
    week = spec_to_week({"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"})
    assert week == (LUNCH_BREAK,) * 5 + (((time(10), time(14)),), ())


def test_it_reads_a_range_wrapping_over_the_weekend_and_day_lists():
    week = spec_to_week({"sun-tue": "08:00-16:00", "thu,fri": "10:00-12:00", "wed": "closed"})
    early, late = ((time(8), time(16)),), ((time(10), time(12)),)
    assert week == (early, early, (), late, late, (), early)


def test_it_reads_full_day_names_spans_out_of_order_and_three_spans():
    week = spec_to_week({"Monday": "14:00-16:00,08:00-10:00,11:00-12:00"})
    assert week[0] == ((time(8), time(10)), (time(11), time(12)), (time(14), time(16)))


def test_it_reads_midnight_closing_as_the_end_of_the_day():
    assert spec_to_week({"fri": "18:00-24:00"})[4] == ((time(18), time(0)),)


def test_it_refuses_a_spec_schedule_refuses():
    with pytest.raises(ValueError, match="funday"):
        spec_to_week({"funday": "09:00-17:00"})


def test_it_writes_consecutive_days_with_the_same_spans_as_one_range():
    week = (LUNCH_BREAK,) * 5 + (((time(10), time(14)),), ())
    assert week_to_spec(week) == {"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"}


def test_it_writes_apart_days_apart_and_leaves_closed_days_out():
    week = (NINE_TO_SIX, (), NINE_TO_SIX, (), (), (), ((time(0), time(0)),))
    assert week_to_spec(week) == {"mon": "09:00-18:00", "wed": "09:00-18:00",
                                  "sun": "00:00-24:00"}


def test_it_writes_a_closed_week_as_no_hours():
    assert week_to_spec(CLOSED_WEEK) == {}


def test_it_refuses_a_week_that_is_not_seven_days():
    with pytest.raises(ValueError, match="7 days"):
        week_to_spec((NINE_TO_SIX,) * 5)


@pytest.mark.parametrize("spec", [
    OFFICE_HOURS,
    {"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"},
    {"mon": "08:00-12:00", "tue-thu": "08:00-17:00", "fri": "08:00-15:00"},
    {"mon-sun": "00:00-24:00"},
    {"fri": "18:00-24:00", "sat": "00:00-02:00,20:00-24:00"},
])
def test_it_writes_back_a_usual_spec_as_it_was(spec):
    assert week_to_spec(spec_to_week(spec)) == spec


@pytest.mark.parametrize("spec", [
    {"sun-thu": "08:00-16:00"},
    {"thu,fri": "10:00-12:00", "wed": "closed", "saturday": "9:00-13:00"},
    {"mon": "14:00-16:00,08:00-10:00", "tue": ""},
])
def test_it_writes_back_any_spec_as_the_same_schedule(spec):
    written = week_to_spec(spec_to_week(spec))
    assert Schedule.from_spec("UTC", written) == Schedule.from_spec("UTC", spec)
    assert week_to_spec(spec_to_week(written)) == written


@pytest.mark.parametrize("week", [
    CLOSED_WEEK,
    (NINE_TO_SIX,) * 7,
    (LUNCH_BREAK, NINE_TO_SIX, LUNCH_BREAK, (), NINE_TO_SIX, ((time(22), time(0)),), ()),
])
def test_it_reads_back_the_week_it_wrote(week):
    assert spec_to_week(week_to_spec(week)) == week
