"""Background work of the core: failing the tasks of workers that died, handing
the event stream to its consumers."""

from django_tasks import task

from .events import consume_all
from .periodic import every
from .queue import URGENT_PRIORITY, URGENT_QUEUE
from .worker import reap_lost_tasks as reap


@every(30)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def reap_lost_tasks() -> int:
    """Fail the tasks still marked running by a worker that stopped."""
    return reap()


@every(2)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def dispatch_events() -> int:
    """Hand every consumer of the event stream what is new (leads.events);
    returns how many events were read."""
    return consume_all()
