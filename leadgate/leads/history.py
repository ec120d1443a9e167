"""Leads inserted with a past they already had: the bulk way to set Lead.stage.

The demo seeder inserts a year of leads whose moves all happened before now,
in `bulk_create` batches of thousands. Through `transitions.advance()` each
move would lock the row, check roles, open handoffs, stop clocks and emit
webhooks for history that is not happening now, at a cost the seeder cannot
pay. So a bulk writer walks its leads by the lifecycle itself and builds the
rows here: the lead at the stage it reached, and one StageChange per move.
Everything else moves a lead with `advance()` (or `Lead.start_new_cycle()`).
"""

from datetime import datetime

from leadgate.lib.instances import Instances

from .models import Lead, StageChange


def lead_with_past(instances: Instances, *, stage: str, cycle: int,
                   stage_changed_at: datetime, **fields) -> Lead:
    """A Lead row (not saved) already at `stage` of `cycle` since `stage_changed_at`."""
    return instances.new(Lead, stage=stage, cycle=cycle, stage_changed_at=stage_changed_at,
                         **fields)


def past_move(instances: Instances, *, lead_id: int, cycle: int, from_stage: str,
              to_stage: str, at: datetime, by_id: int | None, reason: str) -> StageChange:
    """A StageChange row (not saved) of a move that happened at `at`."""
    return instances.new(StageChange, lead_id=lead_id, cycle=cycle, from_stage=from_stage,
                         to_stage=to_stage, at=at, by_id=by_id, reason=reason)
