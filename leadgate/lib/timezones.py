"""Time zone names, checked against the IANA database Python finds."""

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def is_time_zone(name: str) -> bool:
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@cache
def zone(name: str) -> ZoneInfo:
    """ZoneInfo(name), kept: ZoneInfo holds only the last few zones strongly,
    and a queue of leads in two dozen zones would read their files again on
    every call."""
    return ZoneInfo(name)
