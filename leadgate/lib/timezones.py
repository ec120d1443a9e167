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
