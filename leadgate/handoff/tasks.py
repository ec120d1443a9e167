"""Handoff work in the background: the acceptance SLA check, every minute."""

from django_tasks import task

from leadgate.leads.periodic import every

from . import flow


@every(60)
@task()
def check_acceptance_sla() -> int:
    """Escalate pending handoffs sales did not answer in time."""
    return flow.check_acceptance_sla()
