"""Nurture's background work: the sweep that takes due steps and starts the
next cycles (every 15 s, on the urgent queue: a step in a send window of a
few hours must not wait behind a backlog of imports' after-intake work; it
works at most about a second a run, and when steps are still due then, it
runs again at the scheduler's next turn), and the no-lead-left-behind check."""

from django_tasks import task

from leadgate.leads.periodic import every, run_again
from leadgate.leads.queue import URGENT_PRIORITY, URGENT_QUEUE

from . import checks, engine


@every(15)
@task(queue_name=URGENT_QUEUE, priority=URGENT_PRIORITY)
def run_due_steps() -> dict[str, int]:
    """Take the nurture steps that are due; counts by outcome."""
    done = engine.run_due()
    if done["more due"]:
        run_again(run_due_steps)
    return dict(done)


@every(300)
@task()
def ensure_enrolled() -> dict[str, int]:
    """Every nurtured lead enrolled with a next step, or resting (see nurture.checks)."""
    totals = checks.ensure_enrolled()
    totals["alerts_resolved"] = checks.resolve_alerts()
    return totals
