"""The reports' background work: rows for leads the event stream did not name."""

from __future__ import annotations

from django_tasks import task

from leadgate.leads.periodic import every

from . import facts

# Leads per sweep: a few seconds of work at most, the rest at the next turn.
SWEEP = 2_000


@every(300)
@task()
def fill_missing_facts() -> int:
    """Rows for leads that have none for their current cycle (made before the
    reports table, by a merge, or by a bulk path that writes no event)."""
    return facts.refresh(facts.missing_leads(SWEEP))
