"""lib/moments: how long, in a few characters, rounded down."""

from datetime import UTC, datetime, timedelta

import pytest

from leadgate.lib.moments import since, span, until

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "now"), (59, "now"), (60, "1 min"), (3599, "59 min"), (3600, "1 h"),
    (47 * 3600, "47 h"), (48 * 3600, "2 d"), (59 * 86400, "59 d"), (60 * 86400, "2 mo"),
    (400 * 86400, "13 mo"), (2 * 365 * 86400, "2 y"), (-7200, "2 h"),
])
def test_it_reads_a_span_in_whole_units_rounded_down(seconds, text):
    assert span(seconds) == text


@pytest.mark.parametrize(("offset", "text"), [
    (timedelta(hours=2), "in 2 h"), (timedelta(seconds=20), "due now"),
    (-timedelta(days=95), "3 mo overdue"),
])
def test_it_reads_a_due_time_as_the_person_waiting_on_it(offset, text):
    assert until(NOW + offset, NOW) == text


def test_it_reads_a_past_moment_as_ago():
    assert (since(NOW - timedelta(hours=3), NOW), since(NOW, NOW)) == ("3 h ago", "just now")
