"""The outbox's background work: each queued email sent within seconds by
the task queued with it (one per email, or one for emails queued together),
and a sweep every 10 s for the rest (a lost task, a retry, a lease that ran
out). Both on the urgent queue: email has people waiting on it."""

from django_tasks import task

from leadgate.leads.periodic import every
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE

from . import sender


@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def send_email(email_id: int) -> str:
    """Send one queued email if it is still due; its status ("not due" when
    another sender had it)."""
    return sender.send_one(email_id) or "not due"


@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def send_emails(email_ids: list[int]) -> list[str]:
    """Send emails queued together (queue_emails), one after another, those
    still due; their statuses. A mail server that cannot be reached stops
    it: the rest stay due, for the sweep."""
    return [status or "not due" for status in sender.send_many(email_ids)]


@every(10)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def send_due_emails() -> int:
    """Send the emails that are due; how many were attempted."""
    return sender.send_due()
