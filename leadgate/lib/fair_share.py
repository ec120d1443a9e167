"""Fair weighted assignment of leads to team members (pure, no database).

Start-time fair queuing, the "pass" of a stride scheduler: each member carries a
virtual time, every assignment advances it by 1/weight, and the next lead goes
to the eligible member whose virtual time is smallest. Over any stretch where
the same members stay eligible, each gets leads in proportion to its weight,
within one lead.

The state is plain data the caller persists (one `Member` per team member) and
hands back on the next call; nothing here keeps state between calls. The usual
step is `assign(members)`, which is `pick`, `global_virtual` and `charge` in a row.

Why the global virtual time is not simply the minimum over eligible members: a
member back from leave (or back under its cap) kept the virtual time it had when
it left, far behind everyone else; that minimum would be its own stale value, and
charging from it would hand it every lead until it caught up. Instead, the
global virtual time is the minimum over eligible members, each floored at the
virtual start of the latest assignment. Every member that stayed eligible is at
or past that floor (that assignment went to the smallest), so for them the floor
changes nothing; a member who was away counts as standing at the floor, rejoins
there and gets its fair share from then on, with no catch-up. The floor is read
back from the most recently assigned member (its virtual time minus 1/weight),
so no extra state is needed; changing that member's weight before the next
assignment shifts the floor slightly, which only matters for returning members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

MemberId = int | str


@dataclass(frozen=True)
class Member:
    """One team member's routing state.

    `last_assigned` is the sequence number of the member's latest assignment
    (None when it never had one); sequence numbers grow with each assignment
    across the team, and serve the "least recently assigned" tie break.
    """

    id: MemberId
    weight: float = 1.0
    available: bool = True
    open_count: int = 0
    cap: int | None = None
    virtual_start: float = 0.0
    last_assigned: int | None = None

    def __post_init__(self) -> None:
        # `not > 0` also rejects NaN; an infinite weight would never advance.
        if not (self.weight > 0 and math.isfinite(self.weight)):
            raise ValueError(f"member {self.id!r}: weight must be a positive number")
        if self.cap is not None and self.cap < 0:
            raise ValueError(f"member {self.id!r}: cap must be None or at least 0")
        if self.open_count < 0:
            raise ValueError(f"member {self.id!r}: open_count must not be negative")
        if not math.isfinite(self.virtual_start):
            raise ValueError(f"member {self.id!r}: virtual_start must be a finite number")

    @property
    def eligible(self) -> bool:
        """Available and under its cap: may receive the next lead."""
        return self.available and (self.cap is None or self.open_count < self.cap)


def pick(members: Sequence[Member]) -> MemberId | None:
    """The id of the member who gets the next lead, or None when nobody is eligible.

    Smallest virtual time first (floored at the global virtual time, so members
    back from leave tie with the front instead of jumping ahead of it), then the
    least recently assigned (never assigned first), then the smallest id.
    """
    _check_unique(members)
    eligible = [member for member in members if member.eligible]
    if not eligible:
        return None
    now = global_virtual(members)
    chosen = min(
        eligible,
        key=lambda m: (max(m.virtual_start, now), _recency(m.last_assigned), _id_key(m.id)),
    )
    return chosen.id


def global_virtual(members: Sequence[Member]) -> float:
    """The team's current virtual time: where a member rejoining now starts.

    The minimum virtual time over eligible members, each floored at the virtual
    start of the latest assignment (see the module docstring for why). With
    nobody eligible, the floor itself, or 0.0 before any assignment.
    """
    floor = _floor(members)
    times = [member.virtual_start for member in members if member.eligible]
    if not times:
        return 0.0 if floor is None else floor
    lowest = min(times)
    return lowest if floor is None else max(lowest, floor)


def charge(member: Member, global_virtual: float, seq: int) -> Member:
    """The member's state after it got a lead as assignment number `seq`.

    Its virtual time advances by 1/weight from its own or the global virtual time,
    whichever is later, so time spent away is not owed back. `global_virtual`
    must be computed from the team's state before this assignment.
    """
    return replace(
        member,
        virtual_start=max(member.virtual_start, global_virtual) + 1 / member.weight,
        open_count=member.open_count + 1,
        last_assigned=seq,
    )


def assign(members: Sequence[Member]) -> tuple[MemberId | None, list[Member]]:
    """Pick the next member and charge it: (chosen id or None, the team's new state).

    The sequence number is one more than the highest `last_assigned` in the team,
    so callers need no counter of their own.
    """
    chosen = pick(members)
    if chosen is None:
        return None, list(members)
    now = global_virtual(members)
    seq = max((m.last_assigned for m in members if m.last_assigned is not None), default=0) + 1
    return chosen, [charge(m, now, seq) if m.id == chosen else m for m in members]


def _floor(members: Sequence[Member]) -> float | None:
    """The virtual start of the latest assignment, or None before any."""
    assigned = [member for member in members if member.last_assigned is not None]
    if not assigned:
        return None
    latest = max(assigned, key=lambda member: _recency(member.last_assigned))
    return latest.virtual_start - 1 / latest.weight


def _recency(seq: int | None) -> tuple[int, int]:
    # Never assigned sorts before any sequence number.
    return (0, 0) if seq is None else (1, seq)


def _id_key(member_id: MemberId) -> tuple[int, int, str]:
    # Ids are usually all ints or all strs; this keeps a mixed team sortable too.
    return (0, member_id, "") if isinstance(member_id, int) else (1, 0, member_id)


def _check_unique(members: Sequence[Member]) -> None:
    ids = [member.id for member in members]
    if len(set(ids)) != len(ids):
        raise ValueError("member ids must be unique")
