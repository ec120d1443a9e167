"""The reply mailbox's poll, every 60 s on the urgent queue: a reply stops a
nurture cadence and reaches a qualifier, a bounce suppresses the address
before the next email. A no-op without LEADGATE_IMAP_HOST (the webhook may
be the way mail comes in). Registered by MailConfig.ready(): the scheduler
imports each app's `tasks` module only."""

from django_tasks import task

from leadgate.leads.periodic import every
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE

from . import imap


@every(60)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def poll_reply_mailbox() -> int:
    """Receive the reply mailbox's unread messages; how many."""
    return imap.poll()
