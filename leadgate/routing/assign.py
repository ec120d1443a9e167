"""Who gets a lead: the account's owner, a routing rule, a team's fair rotation,
or a pool (the team's, or the unrouted pool when no rule, team or default team
applies); and reassignment by hand or by rule. Every change of owner is an
Assignment row and a QueueEvent for each person whose queue changed.

A lead routed anywhere has a next step: the assignment gives a lead without an
open task its first call (due when its SLA clock runs out, see sla.start_clock),
in the same transaction, and the task moves with the lead. A lead put in a
pool raises one NOBODY_AVAILABLE alert while it waits there (routing it again
changes nothing), resolved by the assignment that gives it an owner.

The rotation runs under row locks on the team's seats (select_for_update), so
workers routing in parallel take turns on the fair-share state instead of both
picking from the same stale virtual times.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from leadgate.leads.lifecycle import ON_DESK, IllegalMove, Role
from leadgate.leads.models import Lead, Team, User
from leadgate.lib import fair_share
from leadgate.workspace.live import publish
from leadgate.workspace.models import QueueEvent, Task, Touch

from .availability import ensure_seats, qualifiers, team_unavailability, unavailable_because
from .conditions import Facts, holds
from .models import Alert, Assignment, RoutingRule, Seat, SlaClock

Why = Assignment.Why
FIRST_CALL_TITLE = "First call"


def default_team() -> Team | None:
    """Where leads go when no rule matched and they have no team: the team named
    by settings.LEADGATE_DEFAULT_TEAM, else the team managers marked default
    (Team.is_default), else the only team there is. A setting naming no team
    falls through to the others rather than sending every lead nowhere."""
    name = getattr(settings, "LEADGATE_DEFAULT_TEAM", "")
    if name:
        named = Team.objects.filter(name=name).first()
        if named is not None:
            return named
    # One query for both: the flagged team sorts first.
    teams = list(Team.objects.order_by("-is_default", "pk")[:2])
    if teams and (teams[0].is_default or len(teams) == 1):
        return teams[0]
    return None


def route(lead: Lead, *, now: datetime | None = None, force: bool = False,
          alert: bool = True) -> Assignment | None:
    """Give a lead that needs an owner to the right person (or a pool).

    Order: the account's owner if an available qualifier; the first active
    rule (by position) whose conditions hold, to its named user if available,
    else to its team; no rule: the lead's team or the default team; within the
    team, the fair rotation over available seats; nobody available: the team's
    pool (no team: the unrouted pool) and an alert, unless the lead has an open
    one already or `alert` is off (the periodic check routes pooled leads again
    without alerting). Returns the Assignment recorded, or None when nothing
    changed: the lead is off the desk, already has an available owner and
    `force` is off, or already waits in the pool it would go to (so running it
    twice is harmless).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Locked first: two routings of one lead (a retry racing the first run)
        # queue up here, and the second sees the owner the first chose.
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        _refresh(lead, locked)
        if lead.stage not in ON_DESK:
            return None
        if not force and lead.owner is not None and unavailable_because(lead.owner, now) is None:
            return None
        account = lead.account
        owner = account.owner if account is not None else None
        if owner is not None and unavailable_because(owner, now) is None:
            return _record(lead, owner, owner.team or lead.team, Why.ACCOUNT_OWNER, now=now,
                           first_call=True)
        rule = _matching_rule(lead)
        team: Team | None
        if rule is not None:
            if rule.user is not None and unavailable_because(rule.user, now) is None:
                return _record(lead, rule.user, rule.user.team or rule.team, Why.RULE,
                               rule=rule, now=now, first_call=True)
            team = rule.team or (rule.user.team if rule.user is not None else None)
        else:
            team = lead.team or default_team()
        chosen = _rotate(team, now) if team is not None else None
        if chosen is not None:
            return _record(lead, chosen, team, Why.ROTATION, rule=rule, now=now,
                           first_call=True)
        return _to_pool(lead, team, rule, now, alert=alert)


def next_available(
    team: Team, *, exclude: Iterable[User | int | None] = (), now: datetime | None = None
) -> User | None:
    """The qualifier of the team who gets the next lead, by the fair rotation,
    leaving out `exclude` (users or ids); None when nobody is available.

    This is a turn of the rotation: the chosen seat is charged, so call it only
    when the lead will go to that person (SLA escalation does, right after)."""
    with transaction.atomic():
        return _rotate(team, now or timezone.now(), exclude)


def reassign(
    lead: Lead, to_user: User, *, by: User | None, why: str = Why.MANUAL, note: str = "",
    now: datetime | None = None,
) -> Assignment:
    """Give the lead to `to_user` (by hand, or by a rule or the SLA escalation
    when `by` is None). Refuses anyone who is not an active qualifier, and the
    current owner: raises IllegalMove naming the field "to_user"."""
    if not to_user.is_active or not to_user.has_role(Role.QUALIFIER):
        raise IllegalMove(f"{to_user.username} is not an active qualifier", field="to_user")
    if why not in Why.values:
        raise ValueError(f"unknown reason {why!r}; one of {', '.join(Why.values)}")
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        _refresh(lead, locked)
        if lead.owner_id == to_user.pk:
            raise IllegalMove(f"{to_user.username} already owns this lead", field="to_user")
        return _record(lead, to_user, to_user.team or lead.team, why, by=by, note=note,
                       now=now or timezone.now())


def _refresh(lead: Lead, locked: Lead) -> None:
    """Bring the caller's instance up to date with the locked row (its owner may
    have changed since the caller loaded it)."""
    lead.stage, lead.cycle = locked.stage, locked.cycle
    lead.owner_id, lead.team_id = locked.owner_id, locked.team_id
    lead.account_id = locked.account_id
    for name in ("owner", "team", "account"):
        field = Lead._meta.get_field(name)
        if field.is_cached(lead):  # type: ignore[union-attr]
            field.delete_cached_value(lead)  # type: ignore[union-attr]


def _matching_rule(lead: Lead) -> RoutingRule | None:
    facts = Facts(lead)
    rules = RoutingRule.objects.filter(active=True).select_related("team", "user__team")
    for rule in rules.order_by("position", "pk"):
        if holds(rule.conditions or [], facts):
            return rule
    return None


def _rotate(team: Team, now: datetime, exclude: Iterable[User | int | None] = ()) -> User | None:
    """One turn of the team's weighted fair rotation (lib.fair_share) under row
    locks on its seats: the chosen seat's virtual time and sequence are saved.

    Every qualifier of the team goes in, unavailable ones as not eligible: the
    scheduler needs them to know where the team's virtual time stands, which is
    how someone back from leave rejoins at the front without being flooded."""
    excluded = {item.pk if isinstance(item, User) else item for item in exclude}
    users = {user.pk: user for user in qualifiers(team)}
    if not users:
        return None
    ensure_seats(list(users.values()))
    # Locked in primary-key order, the same in every worker, so they cannot deadlock.
    seats = list(Seat.objects.select_for_update().filter(user_id__in=users).order_by("pk"))
    # Open leads are counted only when a seat has a cap: a count per new lead
    # over a large desk is the costliest query here.
    capped = [seat.user_id for seat in seats if seat.max_open is not None]
    counts = _open_counts(capped) if capped else {}
    reasons = team_unavailability(list(users.values()), seats, now)
    members = []
    for seat in seats:
        user = users[seat.user_id]
        available = user.pk not in excluded and reasons[user.pk] is None
        members.append(fair_share.Member(
            id=seat.pk, weight=seat.weight if seat.weight > 0 else 1.0, available=available,
            open_count=counts.get(user.pk, 0), cap=seat.max_open,
            virtual_start=seat.virtual_start, last_assigned=seat.last_assigned))
    chosen, state = fair_share.assign(members)
    if chosen is None:
        return None
    charged = next(member for member in state if member.id == chosen)
    seat = next(seat for seat in seats if seat.pk == chosen)
    seat.virtual_start, seat.last_assigned = charged.virtual_start, charged.last_assigned
    seat.save(update_fields=["virtual_start", "last_assigned"])
    return users[seat.user_id]


def _open_counts(user_ids: list[int]) -> dict[int, int]:
    rows = (Lead.objects.open().filter(owner_id__in=user_ids).values("owner_id")
            .annotate(n=Count("pk")))
    return {row["owner_id"]: row["n"] for row in rows}


def _in_pool(lead: Lead, team: Team | None) -> bool:
    """Whether the lead already waits in this pool: no owner, this team, and
    put there by its last assignment of the cycle (a lead whose owner was
    deleted, or a new one, is not in a pool yet)."""
    if lead.owner_id is not None or lead.team_id != (team.pk if team is not None else None):
        return False
    last = (Assignment.objects.filter(lead=lead, cycle=lead.cycle).order_by("-at", "-pk")
            .values_list("to_user_id", "team_id").first())
    return last is not None and last[0] is None and last[1] == lead.team_id


def _to_pool(lead: Lead, team: Team | None, rule: RoutingRule | None, now: datetime, *,
             alert: bool) -> Assignment | None:
    if _in_pool(lead, team):
        return None
    assignment = _record(lead, None, team, Why.POOL, rule=rule, now=now, first_call=True)
    where = (f"the pool of {team.name}" if team is not None
             else "the unrouted pool (no rule matched and there is no default team)")
    message = f"Nobody is available to take {lead}: it waits in {where}."
    # One open alert per lead: a lead moving from one pool to another updates it.
    waiting = Alert.objects.filter(lead=lead, kind=Alert.Kind.NOBODY_AVAILABLE,
                                   resolved_at__isnull=True)
    if not waiting.update(team=team, message=message) and alert:
        Alert.objects.create(kind=Alert.Kind.NOBODY_AVAILABLE, lead=lead, team=team,
                             created_at=now, message=message)
    return assignment


def _record(
    lead: Lead, to_user: User | None, team: Team | None, why: str, *,
    rule: RoutingRule | None = None, by: User | None = None, note: str = "",
    now: datetime, first_call: bool = False,
) -> Assignment:
    """Make the change and its history: the Assignment, the lead's owner and team,
    its open next steps and running SLA clock following the owner, the pool
    alert resolved once it has an owner, and the queue events; with
    `first_call` (routing), the first call of a lead that has no next step
    (a reassignment's caller sets the next step it means: a returned lead's,
    say). Runs inside the caller's transaction, with the lead locked."""
    from_id = lead.owner_id
    assignment = Assignment.objects.create(
        lead=lead, cycle=lead.cycle, from_user_id=from_id, to_user=to_user, team=team,
        why=why, rule=rule, note=note, by=by, at=now)
    to_id = to_user.pk if to_user is not None else None
    Lead.objects.filter(pk=lead.pk).update(owner_id=to_id, team=team)
    lead.owner, lead.team = to_user, team
    # The next step moves with the lead, or the old owner keeps a task for a
    # lead they no longer see and the new one has nothing due.
    Task.objects.open().filter(lead=lead, assignee_id=from_id).update(assignee_id=to_id)
    # A running clock is the new owner's to meet (its due time does not move).
    SlaClock.objects.filter(lead=lead, state=SlaClock.State.RUNNING).update(owner_id=to_id)
    if first_call and not Task.objects.open().filter(lead=lead).exists():
        _first_call(lead, to_id, now)
    if to_id is not None:
        Alert.objects.filter(lead=lead, kind=Alert.Kind.NOBODY_AVAILABLE,
                             resolved_at__isnull=True).update(resolved_at=now)
    if from_id != to_id:
        publish([from_id], QueueEvent.Kind.UNASSIGNED, lead.pk)
    publish([to_id], QueueEvent.Kind.ASSIGNED, lead.pk)
    return assignment


def _first_call(lead: Lead, assignee_id: int | None, now: datetime) -> Task:
    """The next step of a lead that has none: its first call, due when its SLA
    clock runs out (none yet: now; sla.start_clock sets it when the clock
    starts), or a follow-up due now for a lead already worked this cycle."""
    due = (SlaClock.objects.filter(lead=lead, state=SlaClock.State.RUNNING)
           .values_list("due_at", flat=True).first())
    if Touch.objects.filter(lead=lead, cycle=lead.cycle).exists():
        return Task.objects.create(lead=lead, assignee_id=assignee_id, kind=Task.Kind.FOLLOW_UP,
                                   title="Follow up", due_at=due or now, created_at=now)
    return Task.objects.create(lead=lead, assignee_id=assignee_id, kind=Task.Kind.FIRST_CALL,
                               title=FIRST_CALL_TITLE, due_at=due or now, created_at=now)
