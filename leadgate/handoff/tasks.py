"""Handoff work in the background: the acceptance SLA check, every minute."""

from django_tasks import task

from leadgate.leads.periodic import every
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE

from . import flow


@every(60)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def check_acceptance_sla() -> int:
    """Escalate pending handoffs sales did not answer in time."""
    return flow.check_acceptance_sla()
