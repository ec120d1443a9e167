"""Routing work in the background: the SLA breach check, every 10 seconds, so a
breach is acted on well within 30 s of its due time."""

from django_tasks import task

from leadgate.leads.periodic import every
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE

from . import sla


@every(10)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def check_breaches() -> int:
    """Breach, alert and escalate every running SLA clock that is due."""
    return sla.check_breaches()
