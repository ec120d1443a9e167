"""`advance()`: the one way a lead moves within its cycle, with the records
the move implies.

Views, the API, the admin, tasks and commands all call it, so that every move
is checked against the lifecycle, recorded (who, when, why), a move to
`qualified` always opens a handoff, sales' answer closes it, and a move to
`opportunity`, `won` or `lost` always records an outcome. A returning person's
new cycle is `Lead.start_new_cycle()`; both write through `models.write_stage()`.

The gate to sales: `qualified` is reached only by the handoff
(`handoff.flow.send()`), which passes the sales-ready verdict it rests on and
the dossier; the plain stage buttons, the API's stage move and the admin pass
no verdict and are refused, naming `verdict`.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from . import events
from .lifecycle import IllegalMove, Role, Stage, check_move
from .models import Handoff, Lead, Outcome, StageChange, User, write_stage

OUTCOME_STAGES = {Stage.OPPORTUNITY, Stage.WON, Stage.LOST}


@dataclass(frozen=True)
class Move:
    """What a move recorded: the stage change, and the handoff or outcome it
    implied (so a caller finishing either need not look it up again)."""

    change: StageChange
    handoff: Handoff | None = None
    outcome: Outcome | None = None


class Verdict(Protocol):
    """The sales-ready verdict a handoff rests on (a workspace Qualification;
    described here because leads sits below workspace)."""

    @property
    def lead_id(self) -> int: ...
    @property
    def cycle(self) -> int: ...
    @property
    def verdict(self) -> str: ...
    @property
    def at(self) -> datetime: ...


SALES_READY = "sales_ready"  # workspace.models.Qualification.Verdict.SALES_READY
HANDOFF_ONLY = (
    "a lead becomes qualified only by its handoff to sales: log a touch with the "
    "sales-ready verdict in this cycle, then use Hand off to sales on the lead page "
    "(POST /api/v1/leads/{id}/handoff)"
)


def check_gate(lead: Lead, verdict: Verdict | None, dossier: dict | None) -> None:
    """Raise IllegalMove (field `verdict`, or `dossier`) unless `verdict` is a
    sales-ready verdict of the lead's current cycle given since sales last
    rejected it, and the dossier is not empty. `lead` is the locked row."""
    if verdict is None:
        raise IllegalMove(f"no sales-ready verdict: {HANDOFF_ONLY}", field="verdict")
    if (verdict.lead_id != lead.pk or verdict.cycle != lead.cycle
            or verdict.verdict != SALES_READY):
        raise IllegalMove("the verdict is not a sales-ready verdict of this lead's current "
                          f"cycle: {HANDOFF_ONLY}", field="verdict")
    rejected_at = (Handoff.objects.filter(lead=lead, cycle=lead.cycle,
                                          status=Handoff.Status.REJECTED)
                   .aggregate(at=Max("decided_at"))["at"])
    if rejected_at is not None and verdict.at <= rejected_at:
        raise IllegalMove("sales rejected this lead after its sales-ready verdict: log a "
                          "touch with the sales-ready verdict again before a new handoff",
                          field="verdict")
    # Given, not necessarily full: the handoff composes it, or the qualifier
    # edited it (an API caller may send an empty one on purpose).
    if not isinstance(dossier, dict):
        raise IllegalMove("a handoff needs a dossier for the rep", field="dossier")


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
    verdict: Verdict | None = None,
) -> Move:
    """Move `lead` to `target` as `by` (None: the system), recording who, when
    and why, and what the move implies: the handoff, sales' decision on it,
    the outcome, and their events (leads.events: the response clock stops and the
    webhooks go out when their consumers read them). A move to
    `qualified` needs `verdict`, `dossier` and `to_user` (see check_gate).

    The row is locked first so two people moving the same lead at once cannot
    both succeed from the same stage; `lead` is updated in place."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    check_move(locked.stage, target, None if by is None else by.roles, reason)
    if amount is not None and amount < 0:
        raise IllegalMove("amount cannot be negative", field="amount")
    handoff = outcome = None
    if target == Stage.QUALIFIED:
        # The gate holds for the system too: without a verdict nothing is qualified.
        check_gate(locked, verdict, dossier)
        if to_user is None:
            raise IllegalMove("choose the sales rep to hand the lead to", field="to_user")
        if not to_user.is_active or not to_user.has_role(Role.SALES):
            raise IllegalMove(f"{to_user.username} is not an active sales rep", field="to_user")
        handoff = Handoff.objects.create(
            lead=locked, cycle=locked.cycle, from_user=by, to_user=to_user, dossier=dossier
        )
    at = timezone.now()
    change = write_stage(locked, target, cycle=locked.cycle, by=by, reason=reason, at=at)
    lead.stage, lead.cycle, lead.stage_changed_at = target, locked.cycle, at
    if target in (Stage.ACCEPTED, Stage.REJECTED):
        # Sales' decision closes the pending handoff in the same transaction.
        locked.handoffs.filter(status=Handoff.Status.PENDING).update(
            status=target, decided_at=at, decision_reason=change.reason
        )
    if target in OUTCOME_STAGES:
        outcome = Outcome.objects.create(
            lead=lead, cycle=lead.cycle, kind=target, amount=amount, reason=change.reason,
            by=by, at=change.at,
        )
    move = Move(change, handoff, outcome)
    record_move(lead, move, amount=amount)
    return move


def record_move(lead: Lead, move: Move, *, amount: Decimal | None = None) -> None:
    """The events of a move: `stage.moved`, and the handoff's or the outcome's.
    Their consumers act on it after commit: routing stops the response clock
    of a lead that left the desk, webhooks tell the subscribers."""
    change = move.change
    common: dict[str, Any] = {"actor": change.by_id, "cycle": change.cycle, "at": change.at}
    handoff_id = move.handoff.pk if move.handoff else None
    if change.to_stage in (Stage.ACCEPTED, Stage.REJECTED):
        handoff_id = (Handoff.objects.filter(lead=lead, cycle=change.cycle, status=change.to_stage)
                      .order_by("-decided_at", "-pk").values_list("pk", flat=True).first())
    rows = [events.new("stage.moved", lead, **common, data={
        "change": change.pk, "from": change.from_stage, "to": change.to_stage,
        "reason": change.reason, "handoff": handoff_id,
        "outcome": move.outcome.pk if move.outcome else None,
        "amount": None if amount is None else str(amount)})]
    if move.handoff is not None:
        rows.append(events.new("handoff.sent", lead, **common, data={
            "handoff": handoff_id, "to": move.handoff.to_user_id}))
    elif handoff_id is not None:
        rows.append(events.new(f"handoff.{change.to_stage}", lead, **common, data={
            "handoff": handoff_id, "reason": change.reason}))
    if move.outcome is not None:
        rows.append(events.new("outcome.recorded", lead, **common, data={
            "outcome": move.outcome.pk, "kind": move.outcome.kind,
            "amount": None if amount is None else str(amount)}))
    events.record_many(rows)
