"""The attempt policy: attempts counted per cycle, channels, span, and the
next attempt suggested at a good lead-local time on a weekday."""

from datetime import UTC, datetime, timedelta

import pytest

from leadgate.leads.models import Touch
from leadgate.workspace.attempts import attempts, can_close_unresponsive, suggest_next_attempt
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday


@pytest.fixture
def lead(db, alice):
    return make_lead(owner=alice, stage="working", time_zone="America/New_York")


def touch(lead, day, channel="call", direction="outbound", cycle=None):
    return Touch.objects.create(lead=lead, channel=channel, disposition="no_answer",
                                direction=direction, cycle=cycle or lead.cycle,
                                at=T0 + timedelta(days=day))


def plan_touches(lead, channels=("call", "email"), days=(0, 1, 3, 5, 8, 11)):
    for n, day in enumerate(days):
        touch(lead, day, channels[n % len(channels)])


def test_it_counts_outbound_touches_of_the_current_cycle_only(lead):
    touch(lead, 0)
    touch(lead, 1, direction="inbound")
    touch(lead, 2, cycle=lead.cycle + 1)
    assert attempts(lead) == 1


def test_it_allows_unresponsive_after_six_attempts_over_two_channels_and_ten_days(lead):
    plan_touches(lead)
    assert can_close_unresponsive(lead)


def test_it_refuses_unresponsive_with_five_attempts(lead):
    plan_touches(lead, days=(0, 1, 3, 8, 11))
    assert not can_close_unresponsive(lead)


def test_it_refuses_unresponsive_on_a_single_channel(lead):
    plan_touches(lead, channels=("call",))
    assert not can_close_unresponsive(lead)


def test_it_refuses_unresponsive_when_the_attempts_span_less_than_ten_days(lead):
    plan_touches(lead, days=(0, 1, 2, 3, 4, 5))
    assert not can_close_unresponsive(lead)


def test_it_follows_the_configured_minimum(lead, settings):
    settings.LEADGATE_MIN_ATTEMPTS = 3
    plan_touches(lead, days=(0, 5, 11))
    assert can_close_unresponsive(lead)


def local(when, zone="America/New_York"):
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(zone))


def test_it_suggests_the_first_attempt_at_the_next_good_local_time_today(lead):
    # Monday 09:00 UTC is 04:00 in New York: the first good time is 10:00 there.
    suggestion = local(suggest_next_attempt(lead, T0))
    assert (suggestion.date(), suggestion.hour, suggestion.minute) == (T0.date(), 10, 0)


def test_it_suggests_the_afternoon_slot_after_the_morning_one(lead):
    now = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 10:30 in New York
    assert local(suggest_next_attempt(lead, now)).hour == 16


def test_it_spaces_attempts_by_the_plan_from_the_first(lead):
    touch(lead, 0)  # Monday
    touch(lead, 1)  # Tuesday: two made, the third is planned on day 3
    suggestion = local(suggest_next_attempt(lead, T0 + timedelta(days=1, hours=1)))
    assert (suggestion.strftime("%a"), suggestion.hour) == ("Thu", 10)


def test_it_skips_the_weekend(lead):
    for day in (0, 1, 3):
        touch(lead, day)  # Mon, Tue, Thu: the fourth is planned on day 5, a Saturday
    suggestion = local(suggest_next_attempt(lead, T0 + timedelta(days=3, hours=1)))
    assert (suggestion.strftime("%a"), suggestion.date().day, suggestion.hour) == ("Mon", 9, 10)


def test_it_counts_the_touch_being_logged_when_asked(lead):
    suggestion = local(suggest_next_attempt(lead, T0 + timedelta(hours=6), logging_now=True))
    # Logged Monday: the next attempt of the plan is day 1, Tuesday at 10:00.
    assert (suggestion.strftime("%a"), suggestion.hour) == ("Tue", 10)


def test_it_keeps_suggestions_within_the_calling_hours(lead, settings):
    settings.LEADGATE_CALLING_HOURS = "12:00-15:00"
    suggestion = local(suggest_next_attempt(lead, T0))
    assert (suggestion.hour, suggestion.minute) == (12, 0)
