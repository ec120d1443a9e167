"""`advance()`: a stage move together with the records it implies.

Views, the API and commands call this rather than `Lead.move_to()` so that a
move to `qualified` always opens a handoff and a move to `opportunity`, `won`
or `lost` after sales accepted always records an outcome.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from leadgate.handoff.models import Handoff, Outcome

from .lifecycle import ON_DESK, IllegalMove, Role, Stage, check_move
from .models import Lead, StageChange, User

OUTCOME_STAGES = {Stage.OPPORTUNITY, Stage.WON, Stage.LOST}


@dataclass(frozen=True)
class Move:
    """What a move recorded: the stage change, and the handoff or outcome it
    implied (so a caller finishing either need not look it up again)."""

    change: StageChange
    handoff: Handoff | None = None
    outcome: Outcome | None = None


@transaction.atomic
def advance(
    lead: Lead,
    target: str,
    *,
    by: User | None,
    reason: str = "",
    to_user: User | None = None,
    dossier: dict | None = None,
    amount: Decimal | None = None,
) -> Move:
    handoff = outcome = None
    if target == Stage.QUALIFIED:
        if to_user is None:
            raise IllegalMove("choose the sales rep to hand the lead to", field="to_user")
        if not to_user.is_active or not to_user.has_role(Role.SALES):
            raise IllegalMove(f"{to_user.username} is not an active sales rep", field="to_user")
        # Check the move first; the handoff is created before the move, which
        # requires it, and the transaction rolls both back on any later failure.
        check_move(lead.stage, target, None if by is None else by.roles, reason)
        handoff = Handoff.objects.create(
            lead=lead, cycle=lead.cycle, from_user=by, to_user=to_user, dossier=dossier or {}
        )
    if amount is not None and amount < 0:
        raise IllegalMove("amount cannot be negative", field="amount")
    change = lead.move_to(target, by=by, reason=reason)
    if target not in ON_DESK:
        # Off the qualifiers' desk (handed off, nurtured, closed): no response
        # is due any more. Imported here: routing builds on this module.
        from leadgate.routing.sla import cancel_clocks

        cancel_clocks(lead)
    if target in OUTCOME_STAGES:
        outcome = Outcome.objects.create(
            lead=lead, cycle=lead.cycle, kind=target, amount=amount, reason=change.reason,
            by=by, at=change.at,
        )
    from leadgate.api.webhooks import stage_moved  # lazy: api builds on leads

    stage_moved(lead, change, amount=amount)  # lead.mql, handoff.accepted, lead.won...
    return Move(change, handoff, outcome)
