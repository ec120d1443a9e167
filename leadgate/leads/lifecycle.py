"""The lead lifecycle: stages, the moves between them, and who may make each.

Follows the B2B demand waterfall (inquiry, MQL, teleprospecting, SAL, SQL, won)
named for the people who use it. Every move goes through `transitions.advance()`,
which checks this table, records a StageChange and refuses anything else.
"""

from dataclasses import dataclass

from django.db import models


class Stage(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    MQL = "mql", "MQL"
    WORKING = "working", "Working"
    QUALIFIED = "qualified", "Qualified (handed off)"
    ACCEPTED = "accepted", "Accepted by sales"
    OPPORTUNITY = "opportunity", "Opportunity"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    NURTURE = "nurture", "Nurture"
    DISQUALIFIED = "disqualified", "Disqualified"
    REJECTED = "rejected", "Rejected by sales"


class Role(models.TextChoices):
    """Roles are Django groups of these names."""

    MARKETING = "marketing", "Marketing"
    QUALIFIER = "qualifier", "Qualifier"
    SALES = "sales", "Sales rep"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


# The main line of the waterfall, in order; reports count a lead as having
# reached every main stage up to the furthest it got.
FUNNEL = [
    Stage.INQUIRY,
    Stage.MQL,
    Stage.WORKING,
    Stage.QUALIFIED,
    Stage.ACCEPTED,
    Stage.OPPORTUNITY,
    Stage.WON,
]

# A cycle ends in one of these; a returning person starts a new cycle.
CLOSED = frozenset({Stage.WON, Stage.LOST, Stage.DISQUALIFIED})

# Stages in which the lead sits on a qualifier's desk (their open leads).
ON_DESK = frozenset({Stage.INQUIRY, Stage.MQL, Stage.WORKING, Stage.REJECTED})

Q, S = Role.QUALIFIER, Role.SALES
MARKETING = Role.MARKETING


@dataclass(frozen=True)
class Move:
    target: Stage
    roles: frozenset[str]
    reason_required: bool = False


def _moves(*moves: Move) -> dict[Stage, Move]:
    return {move.target: move for move in moves}


# From stage -> the moves allowed out of it. Managers and admins may make any
# listed move; the roles here are who else may.
TRANSITIONS: dict[Stage, dict[Stage, Move]] = {
    Stage.INQUIRY: _moves(
        Move(Stage.MQL, frozenset({MARKETING, Q})),
        Move(Stage.WORKING, frozenset({Q})),
        Move(Stage.NURTURE, frozenset({MARKETING, Q}), reason_required=True),
        Move(Stage.DISQUALIFIED, frozenset({MARKETING, Q}), reason_required=True),
    ),
    Stage.MQL: _moves(
        Move(Stage.WORKING, frozenset({Q})),
        Move(Stage.NURTURE, frozenset({MARKETING, Q}), reason_required=True),
        Move(Stage.DISQUALIFIED, frozenset({Q}), reason_required=True),
    ),
    Stage.WORKING: _moves(
        Move(Stage.QUALIFIED, frozenset({Q})),
        Move(Stage.NURTURE, frozenset({Q}), reason_required=True),
        Move(Stage.DISQUALIFIED, frozenset({Q}), reason_required=True),
    ),
    Stage.QUALIFIED: _moves(
        Move(Stage.ACCEPTED, frozenset({S})),
        Move(Stage.REJECTED, frozenset({S}), reason_required=True),
    ),
    Stage.ACCEPTED: _moves(
        Move(Stage.OPPORTUNITY, frozenset({S})),
        Move(Stage.NURTURE, frozenset({S}), reason_required=True),
        Move(Stage.LOST, frozenset({S}), reason_required=True),
    ),
    Stage.OPPORTUNITY: _moves(
        Move(Stage.WON, frozenset({S})),
        Move(Stage.LOST, frozenset({S}), reason_required=True),
    ),
    # Rejected leads are recycled: back to a qualifier, into nurture, or out.
    Stage.REJECTED: _moves(
        Move(Stage.WORKING, frozenset({Q})),
        Move(Stage.NURTURE, frozenset({Q}), reason_required=True),
        Move(Stage.DISQUALIFIED, frozenset({Q}), reason_required=True),
    ),
    Stage.NURTURE: _moves(
        Move(Stage.MQL, frozenset({MARKETING, Q})),
        Move(Stage.WORKING, frozenset({Q})),
        Move(Stage.DISQUALIFIED, frozenset({MARKETING, Q}), reason_required=True),
    ),
    Stage.WON: {},
    Stage.LOST: {},
    Stage.DISQUALIFIED: {},
}

class IllegalMove(Exception):
    """A stage move the lifecycle or the actor's role does not allow."""

    def __init__(self, message: str, field: str = "stage"):
        super().__init__(message)
        self.field = field


def allowed_targets(stage: str) -> list[Stage]:
    return list(TRANSITIONS[Stage(stage)])


def check_move(stage: str, target: str, roles: set[str] | None, reason: str) -> Move:
    """Return the Move from `stage` to `target`, or raise IllegalMove saying why.

    `roles` is None for the system itself (tasks, imports, demo data), which
    may make any legal move.
    """
    try:
        current, wanted = Stage(stage), Stage(target)
    except ValueError:
        valid = ", ".join(Stage.values)
        raise IllegalMove(f"unknown stage {target!r}; stages are: {valid}") from None
    if current in CLOSED:
        raise IllegalMove(
            f"cannot move from {current.value!r}: the cycle is closed; "
            "a returning person starts a new cycle"
        )
    move = TRANSITIONS[current].get(wanted)
    if move is None:
        legal = ", ".join(t.value for t in TRANSITIONS[current]) or "none"
        raise IllegalMove(
            f"cannot move from {current.value!r} to {wanted.value!r}; "
            f"allowed from {current.value!r}: {legal}"
        )
    if roles is not None and not roles & (move.roles | {Role.MANAGER, Role.ADMIN}):
        who = ", ".join(sorted(str(role) for role in move.roles))
        raise IllegalMove(
            f"moving to {wanted.value!r} is for: {who}, manager or admin", field="role"
        )
    if move.reason_required and not reason.strip():
        raise IllegalMove(f"moving to {wanted.value!r} needs a reason", field="reason")
    return move
