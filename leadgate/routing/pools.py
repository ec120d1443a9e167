"""Where leads without an owner wait, and who sees them there.

A lead nobody could take waits in its team's pool (seen by the team's
qualifiers and by managers) or, when no rule, team or default team applies,
in the unrouted pool (seen by managers and admins). Either way it is on
somebody's desk, with a count, until it is given to someone (by hand, or by
the periodic check routing it again once someone is available).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Value

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, LeadQuerySet, User

# Counts stop here ("999+"): a count reads the pooled rows, and a desk must
# stay fast even when a misconfiguration pools every new lead.
COUNT_CAP = 999


def waiting() -> LeadQuerySet:
    """Leads on the desk without an owner, in a pool or unrouted."""
    return Lead.objects.on_desk().filter(owner__isnull=True)


def unrouted() -> LeadQuerySet:
    """Leads waiting in no team: no rule matched and there is no default team."""
    return waiting().filter(team__isnull=True)


def pooled(team_id: int | None = None) -> LeadQuerySet:
    """Leads waiting in a team's pool (every team's when `team_id` is None).

    The team is compared as `team_id + 0`, which no index serves: the
    planners then read the few waiting leads from index lead_owner_stage
    (owner IS NULL, stage) rather than every lead of the team on the desk from
    lead_team_stage (SQLite, without statistics, took that: 27 ms for a pool
    count at 400,000 leads, against 2 ms)."""
    leads = waiting().filter(team__isnull=False)
    if team_id is None:
        return leads
    return leads.alias(team_plain=F("team_id") + Value(0)).filter(team_plain=team_id)


def sees_every_pool(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


def pool_of(user: User) -> LeadQuerySet:
    """The pool this user's desk shows: every team's for managers and admins,
    their own team's for a qualifier (none without a team)."""
    if sees_every_pool(user):
        return pooled()
    return pooled(user.team_id) if user.team_id else Lead.objects.none()


@dataclass
class Count:
    value: int

    def __str__(self) -> str:
        return f"{COUNT_CAP}+" if self.value > COUNT_CAP else str(self.value)

    def __bool__(self) -> bool:
        return self.value > 0


def capped_count(leads: LeadQuerySet) -> Count:
    """How many, up to COUNT_CAP + 1 (a COUNT over a LIMITed subquery)."""
    return Count(leads.order_by()[: COUNT_CAP + 1].count())


def desk_counts(user: User) -> dict[str, Count | None]:
    """The counts the desk's tabs show: the pool the user sees, and the
    unrouted pool (None: not shown to this user)."""
    return {"pool": capped_count(pool_of(user)),
            "unrouted": capped_count(unrouted()) if sees_every_pool(user) else None}
