"""Business-hours arithmetic: expected instants worked out by hand, in UTC.

Offsets used below: Paris is UTC+1 in winter (CET) and UTC+2 in summer (CEST);
New York is UTC-5 (EST) and UTC-4 (EDT). In 2025, Paris springs forward on
Sunday 30 March and falls back on Sunday 26 October, both at 01:00 UTC; New York
springs forward on Sunday 9 March (07:00 UTC) and falls back on Sunday 2 November
(06:00 UTC).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadgate.lib.business_hours import (
    Schedule,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
    typical_day,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
LUNCH = {"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(PARIS))


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


# --- the spec ---------------------------------------------------------------


def test_it_parses_a_spec_with_a_lunch_break_and_a_saturday():
    schedule = Schedule.from_spec(PARIS, LUNCH)
    monday_to_friday = ((time(9), time(12, 30)), (time(13, 30), time(18)))
    assert [schedule.weekly[day] for day in range(5)] == [monday_to_friday] * 5
    assert schedule.weekly[5] == ((time(10), time(14)),)
    assert schedule.weekly[6] == ()


def test_it_wraps_a_day_range_over_the_weekend():
    schedule = Schedule.from_spec("Asia/Jerusalem", {"sun-thu": "08:00-17:00"})
    assert [day for day in range(7) if schedule.weekly[day]] == [0, 1, 2, 3, 6]


def test_it_accepts_full_day_names_comma_lists_and_closed():
    schedule = Schedule.from_spec(PARIS, {"Monday,wed": "09:00-10:00", "tue": "closed"})
    assert [day for day in range(7) if schedule.weekly[day]] == [0, 2]


def test_it_reads_24_00_as_closing_at_midnight():
    schedule = Schedule.from_spec(PARIS, {"mon": "20:00-24:00"})
    assert typical_day(schedule) == hours(4)


def test_it_names_an_unknown_day():
    with pytest.raises(ValueError, match="'fry'"):
        Schedule.from_spec(PARIS, {"mon-fry": "09:00-18:00"})


def test_it_names_a_bad_time():
    with pytest.raises(ValueError, match="'25:00' in '09:00-25:00'"):
        Schedule.from_spec(PARIS, {"mon": "09:00-25:00"})


def test_it_names_a_malformed_interval():
    with pytest.raises(ValueError, match="'09:00 to 18:00'"):
        Schedule.from_spec(PARIS, {"mon": "09:00 to 18:00"})


def test_it_rejects_an_interval_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="'mon': 18:00-09:00 must end after it starts"):
        Schedule.from_spec(PARIS, {"mon": "18:00-09:00"})


def test_it_rejects_an_empty_interval():
    with pytest.raises(ValueError, match="09:00-09:00"):
        Schedule.from_spec(PARIS, {"mon": "09:00-09:00"})


def test_it_rejects_24_00_as_a_start():
    with pytest.raises(ValueError, match="'24:00'"):
        Schedule.from_spec(PARIS, {"mon": "24:00-02:00"})


def test_it_rejects_overlapping_intervals():
    with pytest.raises(ValueError, match="09:00-12:00 overlaps 11:00-13:00"):
        Schedule.from_spec(PARIS, {"mon": "09:00-12:00,11:00-13:00"})


def test_it_rejects_a_day_given_twice():
    with pytest.raises(ValueError, match="mon is given twice"):
        Schedule.from_spec(PARIS, {"mon-fri": "09:00-18:00", "mon": "10:00-11:00"})


def test_it_rejects_an_unknown_time_zone():
    with pytest.raises(ValueError, match="Europe/Pariss"):
        Schedule.from_spec("Europe/Pariss", LUNCH)


def test_it_reads_holidays_given_as_iso_strings():
    schedule = Schedule.office(PARIS, holidays=["2025-12-25", date(2025, 1, 1)])
    assert schedule.holidays == {date(2025, 12, 25), date(2025, 1, 1)}


def test_it_names_a_bad_holiday():
    with pytest.raises(ValueError, match="'2025-13-01'"):
        Schedule.office(PARIS, holidays=["2025-13-01"])


def test_it_rejects_a_crossing_interval_built_directly():
    with pytest.raises(ValueError, match="cannot cross midnight"):
        Schedule(PARIS, {4: [(time(22), time(2))]})


def test_it_rejects_a_weekday_out_of_range():
    with pytest.raises(ValueError, match="weekday"):
        Schedule(PARIS, {7: [(time(9), time(18))]})


def test_it_makes_schedules_comparable_and_hashable():
    assert Schedule.office(PARIS) == Schedule.from_spec(PARIS, {"mon-fri": "09:00-18:00"})
    assert len({Schedule.office(PARIS), Schedule.office(PARIS)}) == 1


# --- is_open / next_open ---------------------------------------------------


def test_it_is_open_during_hours_in_the_schedule_zone():
    # Tuesday 7 January 2025, 10:00 in Paris is 09:00 UTC.
    assert is_open(Schedule.from_spec(PARIS, LUNCH), utc(2025, 1, 7, 9, 0))


def test_it_is_closed_at_closing_time():
    assert not is_open(Schedule.from_spec(PARIS, LUNCH), paris(2025, 1, 7, 18, 0))


def test_it_is_closed_over_lunch():
    assert not is_open(Schedule.from_spec(PARIS, LUNCH), paris(2025, 1, 7, 12, 45))


def test_it_is_closed_on_sunday():
    assert not is_open(Schedule.from_spec(PARIS, LUNCH), paris(2025, 1, 12, 11, 0))


def test_it_is_closed_on_a_holiday():
    schedule = Schedule.office(PARIS, holidays=["2025-01-07"])
    assert not is_open(schedule, paris(2025, 1, 7, 10, 0))


def test_it_returns_the_same_instant_when_already_open():
    at = paris(2025, 1, 7, 10, 15)
    assert next_open(Schedule.office(PARIS), at) == utc(2025, 1, 7, 9, 15)


def test_it_finds_the_afternoon_opening_from_lunch():
    opens = next_open(Schedule.from_spec(PARIS, LUNCH), paris(2025, 1, 7, 12, 45))
    assert opens == utc(2025, 1, 7, 12, 30)  # 13:30 in Paris


def test_it_finds_monday_morning_from_friday_evening():
    # Friday 10 January 2025, 19:00 in Paris -> Monday 13 January 09:00 (08:00 UTC).
    assert next_open(Schedule.office(PARIS), paris(2025, 1, 10, 19, 0)) == utc(2025, 1, 13, 8)


def test_it_skips_a_holiday_when_finding_the_next_opening():
    schedule = Schedule.office(PARIS, holidays=["2025-01-13"])
    assert next_open(schedule, paris(2025, 1, 10, 19, 0)) == utc(2025, 1, 14, 8)


def test_it_rejects_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        is_open(Schedule.office(PARIS), datetime(2025, 1, 7, 10))


# --- add_business_time -------------------------------------------------------


def test_it_adds_time_within_one_interval():
    due = add_business_time(Schedule.office(PARIS), paris(2025, 1, 7, 10, 0), hours(2))
    assert due == utc(2025, 1, 7, 11, 0)
    assert due.tzinfo is UTC


def test_it_skips_the_lunch_break():
    # Tuesday 11:30 + 2h: 1h until 12:30, then 1h from 13:30 -> 14:30 Paris.
    due = add_business_time(Schedule.from_spec(PARIS, LUNCH), paris(2025, 1, 7, 11, 30), hours(2))
    assert due == utc(2025, 1, 7, 13, 30)


def test_it_stops_at_closing_time_when_the_duration_ends_there():
    due = add_business_time(Schedule.office(PARIS), paris(2025, 1, 7, 9, 0), hours(9))
    assert due == utc(2025, 1, 7, 17, 0)  # 18:00 Paris, not Wednesday 09:00


def test_it_carries_over_the_weekend():
    # Friday 10 January 17:00 + 2h: 1h on Friday, 1h on Monday -> Monday 10:00 Paris.
    due = add_business_time(Schedule.office(PARIS), paris(2025, 1, 10, 17, 0), hours(2))
    assert due == utc(2025, 1, 13, 9, 0)


def test_it_starts_counting_at_the_next_opening():
    # Saturday 11 January, 15:00 -> counting starts Monday 09:00 -> 10:30 Paris.
    due = add_business_time(Schedule.office(PARIS), paris(2025, 1, 11, 15, 0), hours(1.5))
    assert due == utc(2025, 1, 13, 9, 30)


def test_it_gives_the_next_opening_for_a_zero_duration():
    due = add_business_time(Schedule.office(PARIS), paris(2025, 1, 11, 15, 0), timedelta(0))
    assert due == utc(2025, 1, 13, 8, 0)


def test_it_skips_holidays():
    # Monday 13 January is a holiday: Friday 17:00 + 2h -> Tuesday 10:00 Paris.
    schedule = Schedule.office(PARIS, holidays=[date(2025, 1, 13)])
    assert add_business_time(schedule, paris(2025, 1, 10, 17, 0), hours(2)) == utc(2025, 1, 14, 9)


def test_it_accepts_a_start_in_another_zone():
    # 04:00 in New York on Tuesday 7 January is 09:00 UTC, 10:00 in Paris.
    start = datetime(2025, 1, 7, 4, 0, tzinfo=ZoneInfo(NEW_YORK))
    assert add_business_time(Schedule.office(PARIS), start, hours(1)) == utc(2025, 1, 7, 10)


def test_it_adds_thirty_business_days():
    # From Monday 6 January 09:00 Paris, 30 weekdays end on Friday 14 February, 18:00.
    schedule = Schedule.office(PARIS)
    due = add_business_time(schedule, paris(2025, 1, 6, 9, 0), 30 * typical_day(schedule))
    assert due == utc(2025, 2, 14, 17, 0)


def test_it_adds_a_long_duration_with_holidays():
    # 250 weekdays from Monday 6 January 2025 09:00 are 50 full weeks, ending Friday
    # 19 December; 1 May and 14 July fall on weekdays before that and push it to
    # Tuesday 23 December, 18:00 CET (25 December comes after).
    schedule = Schedule.office(PARIS, holidays=["2025-05-01", "2025-12-25", "2025-07-14"])
    due = add_business_time(schedule, paris(2025, 1, 6, 9, 0), 250 * hours(9))
    assert due == utc(2025, 12, 23, 17, 0)


def test_it_keeps_open_until_midnight_on_a_24_00_interval():
    # Monday 20:00-24:00 then Tuesday 00:00-02:00: Monday 23:00 + 2h -> Tuesday 01:00 Paris.
    schedule = Schedule.from_spec(PARIS, {"mon": "20:00-24:00", "tue": "00:00-02:00"})
    assert add_business_time(schedule, paris(2025, 1, 6, 23), hours(2)) == utc(2025, 1, 7, 0)


def test_it_rejects_a_negative_duration():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(Schedule.office(PARIS), paris(2025, 1, 7, 10), -hours(1))


# --- DST ---------------------------------------------------------------------


def test_it_crosses_the_paris_spring_forward_weekend():
    # Friday 28 March 17:00 CET (16:00 UTC) + 2h -> Monday 31 March 10:00 CEST (08:00 UTC).
    due = add_business_time(Schedule.office(PARIS), utc(2025, 3, 28, 16), hours(2))
    assert due == utc(2025, 3, 31, 8)


def test_it_crosses_the_paris_fall_back_weekend():
    # Friday 24 October 17:00 CEST (15:00 UTC) + 2h -> Monday 27 October 10:00 CET (09:00 UTC).
    due = add_business_time(Schedule.office(PARIS), utc(2025, 10, 24, 15), hours(2))
    assert due == utc(2025, 10, 27, 9)


def test_it_crosses_the_new_york_spring_forward_weekend():
    # Friday 7 March 17:00 EST (22:00 UTC) + 2h -> Monday 10 March 10:00 EDT (14:00 UTC).
    due = add_business_time(Schedule.office(NEW_YORK), utc(2025, 3, 7, 22), hours(2))
    assert due == utc(2025, 3, 10, 14)


def test_it_crosses_the_new_york_fall_back_weekend():
    # Friday 31 October 17:00 EDT (21:00 UTC) + 2h -> Monday 3 November 10:00 EST (15:00 UTC).
    due = add_business_time(Schedule.office(NEW_YORK), utc(2025, 10, 31, 21), hours(2))
    assert due == utc(2025, 11, 3, 15)


def test_it_counts_a_paris_spring_forward_night_as_one_hour_shorter():
    # Sunday 30 March, 00:00-06:00 on the clock is 23:00 UTC to 04:00 UTC: 5 hours.
    schedule = Schedule.from_spec(PARIS, {"sun": "00:00-06:00"})
    assert business_time_between(schedule, utc(2025, 3, 29), utc(2025, 3, 31)) == hours(5)


def test_it_counts_a_paris_fall_back_night_as_one_hour_longer():
    # Sunday 26 October, 00:00-06:00 on the clock is 22:00 UTC to 05:00 UTC: 7 hours.
    schedule = Schedule.from_spec(PARIS, {"sun": "00:00-06:00"})
    assert business_time_between(schedule, utc(2025, 10, 25), utc(2025, 10, 27)) == hours(7)


def test_it_counts_a_new_york_spring_forward_night_as_one_hour_shorter():
    # Sunday 9 March, 00:00-06:00 on the clock is 05:00 UTC to 10:00 UTC: 5 hours.
    schedule = Schedule.from_spec(NEW_YORK, {"sun": "00:00-06:00"})
    assert business_time_between(schedule, utc(2025, 3, 8), utc(2025, 3, 10)) == hours(5)


def test_it_counts_a_new_york_fall_back_night_as_one_hour_longer():
    # Sunday 2 November, 00:00-06:00 on the clock is 04:00 UTC to 11:00 UTC: 7 hours.
    schedule = Schedule.from_spec(NEW_YORK, {"sun": "00:00-06:00"})
    assert business_time_between(schedule, utc(2025, 11, 1), utc(2025, 11, 3)) == hours(7)


def test_it_ends_a_night_shift_at_the_right_instant_across_spring_forward():
    # Paris, 4h from Sunday 30 March 00:00 CET (29 March 23:00 UTC): the clock skips
    # 02:00-03:00, so 4 hours later it reads 05:00 CEST, i.e. 03:00 UTC.
    schedule = Schedule.from_spec(PARIS, {"sun": "00:00-06:00"})
    assert add_business_time(schedule, utc(2025, 3, 29, 12), hours(4)) == utc(2025, 3, 30, 3)


def test_it_opens_at_the_jump_when_the_opening_time_is_skipped():
    # Opening at 02:30 on Sunday 30 March in Paris: the clock jumps from 02:00 CET
    # to 03:00 CEST at 01:00 UTC, so that is when it opens; 05:00 CEST is 03:00 UTC.
    schedule = Schedule.from_spec(PARIS, {"sun": "02:30-05:00"})
    assert next_open(schedule, utc(2025, 3, 29, 12)) == utc(2025, 3, 30, 1)
    assert business_time_between(schedule, utc(2025, 3, 29), utc(2025, 3, 31)) == hours(2)


def test_it_opens_at_the_first_occurrence_of_a_repeated_time():
    # Opening at 02:30 on Sunday 26 October in Paris: the first 02:30 is CEST
    # (00:30 UTC); 05:00 CET is 04:00 UTC, so it is open 3.5 hours.
    schedule = Schedule.from_spec(PARIS, {"sun": "02:30-05:00"})
    assert next_open(schedule, utc(2025, 10, 25, 12)) == utc(2025, 10, 26, 0, 30)
    assert business_time_between(schedule, utc(2025, 10, 25), utc(2025, 10, 27)) == hours(3.5)


def test_it_skips_an_interval_that_lies_inside_the_skipped_hour():
    # 02:10-02:50 does not exist on Sunday 30 March in Paris; the next one is 6 April,
    # 02:10 CEST = 00:10 UTC.
    schedule = Schedule.from_spec(PARIS, {"sun": "02:10-02:50"})
    assert next_open(schedule, utc(2025, 3, 29, 12)) == utc(2025, 4, 6, 0, 10)


# --- business_time_between -------------------------------------------------


def test_it_measures_open_time_across_a_night_and_lunch():
    # Tuesday 7 January 11:00 -> Wednesday 10:00 Paris: 1.5h + 4.5h + 1h.
    schedule = Schedule.from_spec(PARIS, LUNCH)
    elapsed = business_time_between(schedule, paris(2025, 1, 7, 11), paris(2025, 1, 8, 10))
    assert elapsed == hours(7)


def test_it_counts_saturday_hours_when_the_schedule_has_them():
    # Friday 17:00 -> Monday 09:30 Paris: 1h Friday, 4h Saturday, 0.5h Monday.
    schedule = Schedule.from_spec(PARIS, LUNCH)
    elapsed = business_time_between(schedule, paris(2025, 1, 10, 17), paris(2025, 1, 13, 9, 30))
    assert elapsed == hours(5.5)


def test_it_measures_zero_when_end_is_not_after_start():
    schedule = Schedule.office(PARIS)
    assert business_time_between(schedule, paris(2025, 1, 7, 12), paris(2025, 1, 7, 10)) == (
        timedelta(0)
    )


def test_it_measures_elapsed_time_on_an_always_open_schedule():
    # Saturday 29 March 00:00 CET -> Monday 31 March 00:00 CEST is 47 real hours.
    schedule = Schedule.always(PARIS)
    assert business_time_between(schedule, utc(2025, 3, 28, 23), utc(2025, 3, 30, 22)) == (
        hours(47)
    )


def test_it_is_the_inverse_of_add_business_time():
    schedule = Schedule.from_spec(PARIS, LUNCH, holidays=["2025-01-15"])
    start = paris(2025, 1, 9, 11, 17)
    due = add_business_time(schedule, start, hours(23.25))
    assert business_time_between(schedule, start, due) == hours(23.25)


# --- typical_day and closed schedules ---------------------------------------


def test_it_takes_the_longest_day_as_the_typical_day():
    assert typical_day(Schedule.from_spec(PARIS, LUNCH)) == hours(8)


def test_it_has_a_nine_hour_office_day():
    assert typical_day(Schedule.office(PARIS)) == hours(9)


def test_it_has_a_24_hour_day_when_always_open():
    assert typical_day(Schedule.always(NEW_YORK)) == hours(24)


def test_it_refuses_to_add_time_on_a_schedule_that_never_opens():
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(Schedule.from_spec(PARIS, {}), paris(2025, 1, 7), hours(1))


def test_it_refuses_to_find_an_opening_on_a_schedule_that_never_opens():
    with pytest.raises(ValueError, match="no open time"):
        next_open(Schedule.from_spec(PARIS, {"mon-sun": "closed"}), paris(2025, 1, 7))


def test_it_says_a_schedule_that_never_opens_is_closed():
    schedule = Schedule.from_spec(PARIS, {})
    assert not is_open(schedule, paris(2025, 1, 7, 10))
    assert business_time_between(schedule, paris(2025, 1, 6), paris(2025, 2, 6)) == timedelta(0)
