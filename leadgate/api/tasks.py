"""API work in the background: the outbound webhook sender, every 5 seconds."""

from django_tasks import task

from leadgate.leads.periodic import every
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE

from . import webhooks


@every(5)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def send_webhooks() -> int:
    """Attempt the webhook deliveries that are due (new ones and retries)."""
    return webhooks.send_due()
