"""Background work of the core: failing the tasks of workers that died, handing
the event stream to its consumers, pruning finished task results."""

from django_tasks import task

from .events import consume_all
from .periodic import every
from .queue import URGENT_PRIORITY, URGENT_QUEUE, prune_finished_results
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


@every(600)
@task()
def prune_task_results() -> int:
    """Delete the results of tasks finished more than
    LEADGATE_TASK_RESULTS_KEEP_DAYS ago (database queue); returns how many."""
    return prune_finished_results()
