"""One way to draw a time on every page: `{{ at|moment }}` for when
something happened ("Dec 15, 2025 12:34", in the viewer's zone), `{{ due|due }}`
for when something is due ("3 mo overdue", "in 2 h") and `{{ at|ago }}`
("3 h ago"), the last two with the full date on hover. Each is a <time>
element with its ISO value, which scripts (the SLA countdown) read.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from leadgate.lib import moments

register = template.Library()

DATETIME = "M j, Y H:i"  # "Dec 15, 2025 12:34"
DATE = "M j, Y"
WEEKDAY_DATETIME = "D, M j, Y H:i"


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def moment(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(),
                           date_format(value, DATE))
    local = _local(value)
    return format_html('<time datetime="{}">{}</time>', value.isoformat(),
                       date_format(local, DATETIME))


@register.filter
def due(value: datetime | None, countdown: bool = False) -> str:
    """`{{ task.due_at|due }}`; `|due:True` lets the SLA countdown redraw it."""
    if value is None:
        return ""
    now = timezone.now()
    return format_html('<time datetime="{}" title="{}" class="{}"{}>{}</time>',
                       value.isoformat(), date_format(_local(value), WEEKDAY_DATETIME),
                       "overdue" if value < now else "", " data-countdown" if countdown else "",
                       moments.until(value, now))


@register.filter
def ago(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(),
                       date_format(_local(value), WEEKDAY_DATETIME),
                       moments.since(value, timezone.now()))
