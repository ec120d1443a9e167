"""Who gets a lead: the account's owner, a routing rule, a team's fair rotation,
or a pool (the team's, or the unrouted pool when no rule, team or default team
applies); and reassignment by hand or by rule. Every change of owner is an
Assignment row and a `lead.assigned` event (leads.events), which the desks of
the new and the old owner follow.

A lead routed anywhere has a next step: the assignment gives a lead without an
open task its first call (due when its SLA clock runs out, see sla.start_clock),
in the same transaction, and the task moves with the lead. A lead put in a
pool raises one NOBODY_AVAILABLE alert while it waits there (routing it again
changes nothing), resolved by the assignment that gives it an owner.

Leads are routed a batch at a time (`route_many`; `route` is a batch of one):
the worker takes new leads 25 at once, and routing them one by one cost about
45 statements a lead, most of them reading the same rules, teams and seats
again. A batch reads those once (`Plan`) and writes its changes a statement per
kind of row, so its cost hardly grows with its size.

The rotation runs under row locks on the team's seats (select_for_update), so
workers routing in parallel take turns on the fair-share state instead of both
picking from the same stale virtual times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from leadgate.leads import events
from leadgate.leads.lifecycle import ON_DESK, IllegalMove, Role
from leadgate.leads.models import Lead, Task, Team, Touch, User
from leadgate.lib import fair_share

from .availability import (
    CAPPED,
    ensure_seats,
    open_count,
    qualifiers,
    seat_of,
    team_unavailability,
    unavailable_because,
)
from .conditions import Facts, holds
from .models import Alert, Assignment, RoutingRule, Seat, SlaClock

Why = Assignment.Why
FIRST_CALL_TITLE = "First call"


def default_team() -> Team | None:
    """Where leads go when no rule matched and they have no team: the team named
    by settings.LEADGATE_DEFAULT_TEAM, else the team managers marked default
    (Team.is_default), else the only team there is. A setting naming no team
    falls through to the others rather than sending every lead nowhere."""
    name = settings.LEADGATE_DEFAULT_TEAM
    if name:
        named = Team.objects.filter(name=name).first()
        if named is not None:
            return named
    # One query for both: the flagged team sorts first.
    teams = list(Team.objects.order_by("-is_default", "pk")[:2])
    if teams and (teams[0].is_default or len(teams) == 1):
        return teams[0]
    return None


class Rotation:
    """One team's weighted fair rotation (lib.fair_share) for the length of a
    transaction: its seats locked and read once, each turn charged in memory,
    the charged seats saved by `save()`.

    Every qualifier of the team goes in, unavailable ones as not eligible: the
    scheduler needs them to know where the team's virtual time stands, which is
    how someone back from leave rejoins at the front without being flooded."""

    def __init__(self, team: Team, now: datetime) -> None:
        self.users = {user.pk: user for user in qualifiers(team)}
        self.seats: dict[int, Seat] = {}
        self.members: list[fair_share.Member] = []
        self.charged: set[int] = set()
        if not self.users:
            return
        ensure_seats(list(self.users.values()))
        # Locked in primary-key order, the same in every worker, so they cannot deadlock.
        seats = list(Seat.objects.select_for_update().filter(user_id__in=self.users)
                     .order_by("pk"))
        self.seats = {seat.pk: seat for seat in seats}
        # Open leads are counted only when a seat has a cap: a count over a
        # large desk is the costliest query here.
        capped = [seat.user_id for seat in seats if seat.max_open is not None]
        counts = _open_counts(capped) if capped else {}
        reasons = team_unavailability(list(self.users.values()), seats, now)
        self.members = [fair_share.Member(
            id=seat.pk, weight=seat.weight if seat.weight > 0 else 1.0,
            available=reasons[seat.user_id] is None, open_count=counts.get(seat.user_id, 0),
            cap=seat.max_open, virtual_start=seat.virtual_start,
            last_assigned=seat.last_assigned) for seat in seats]

    def turn(self, exclude: Iterable[User | int | None] = ()) -> User | None:
        """The qualifier who gets the next lead, leaving out `exclude`; None when
        nobody is available. The chosen seat is charged: call it only when the
        lead goes to that person."""
        excluded = {item.pk if isinstance(item, User) else item for item in exclude}
        offered = [replace(member, available=False)
                   if self.seats[int(member.id)].user_id in excluded else member
                   for member in self.members]
        chosen, state = fair_share.assign(offered)
        if chosen is None:
            return None
        seat = self.seats[int(chosen)]
        charged = next(member for member in state if member.id == chosen)
        seat.virtual_start, seat.last_assigned = charged.virtual_start, charged.last_assigned
        # charge() counted the new lead against the cap; the seat's own
        # availability stands for the next turn (an exclusion was for this one).
        self.members = [replace(charged, available=member.available) if member.id == chosen
                        else member for member in self.members]
        self.charged.add(seat.pk)
        return self.users[seat.user_id]

    def save(self) -> None:
        for pk in sorted(self.charged):
            self.seats[pk].save(update_fields=["virtual_start", "last_assigned"])
        self.charged.clear()


class Plan:
    """What routing a batch reads once: the active rules, the default team,
    each team's rotation, and whether a person can take a lead (with the leads
    the batch gave them counted against their cap). Made inside the batch's
    transaction: the rotations hold their seats' locks until it ends."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._rules: list[RoutingRule] | None = None
        self._default: list[Team | None] = []
        self._rotations: dict[int, Rotation] = {}
        self._people: dict[int, tuple[str | None, int | None, int]] = {}
        self._given: defaultdict[int, int] = defaultdict(int)

    def rules(self) -> list[RoutingRule]:
        if self._rules is None:
            self._rules = list(RoutingRule.objects.filter(active=True)
                               .select_related("team", "user__team").order_by("position", "pk"))
        return self._rules

    def matching_rule(self, lead: Lead) -> RoutingRule | None:
        facts = Facts(lead)
        return next((rule for rule in self.rules() if holds(rule.conditions or [], facts)), None)

    def default_team(self) -> Team | None:
        if not self._default:
            self._default.append(default_team())
        return self._default[0]

    def unavailable(self, user: User) -> str | None:
        """unavailable_because(user), read once per person for the batch."""
        if user.pk not in self._people:
            reason = unavailable_because(user, self.now, check_cap=False)
            cap = seat_of(user).max_open if reason is None else None
            count = open_count(user) if cap is not None else 0
            self._people[user.pk] = (reason, cap, count)
        reason, cap, count = self._people[user.pk]
        if reason is None and cap is not None and count + self._given[user.pk] >= cap:
            return CAPPED
        return reason

    def gave(self, user: User | None) -> None:
        if user is not None:
            self._given[user.pk] += 1

    def turn(self, team: Team, exclude: Iterable[User | int | None] = ()) -> User | None:
        if team.pk not in self._rotations:
            self._rotations[team.pk] = Rotation(team, self.now)
        return self._rotations[team.pk].turn(exclude)

    def save(self) -> None:
        for rotation in self._rotations.values():
            rotation.save()


@dataclass
class Move:
    """A change of owner and team to record (to_user None: a pool)."""

    lead: Lead
    to_user: User | None
    team: Team | None
    why: str
    rule: RoutingRule | None = None
    by: User | None = None
    note: str = ""


def route(lead: Lead, *, now: datetime | None = None, force: bool = False,
          alert: bool = True) -> Assignment | None:
    """Give a lead that needs an owner to the right person (or a pool): a batch
    of one (see route_many)."""
    return route_many([lead], now=now, force=force, alert=alert)[0]


def route_many(leads: Sequence[Lead], *, now: datetime | None = None, force: bool = False,
               alert: bool = True) -> list[Assignment | None]:
    """Give each lead that needs an owner to the right person (or a pool), in
    one transaction.

    Order: the account's owner if an available qualifier; the first active
    rule (by position) whose conditions hold, to its named user if available,
    else to its team; no rule: the lead's team or the default team; within the
    team, the fair rotation over available seats; nobody available: the team's
    pool (no team: the unrouted pool) and an alert, unless the lead has an open
    one already or `alert` is off (the periodic check routes pooled leads again
    without alerting). Returns, per lead, the Assignment recorded, or None when
    nothing changed: the lead is gone or off the desk, already has an available
    owner and `force` is off, or already waits in the pool it would go to (so
    running it twice is harmless). The callers' instances get the new owner
    and team.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Locked first: two routings of one lead (a retry racing the first run)
        # queue up here, and the second sees the owner the first chose.
        # of=self: PostgreSQL cannot lock the nullable side of an outer join.
        locked = {row.pk: row for row in Lead.objects.select_for_update(of=("self",))
                  .select_related("owner__team", "team", "account__owner__team")
                  .filter(pk__in=[lead.pk for lead in leads]).order_by("pk")}
        plan = Plan(now)
        moves: list[Move] = []
        for lead in leads:
            row = locked.pop(lead.pk, None)  # popped: a lead listed twice is routed once
            if row is None:
                continue
            _refresh(lead, row)
            move = _decide(lead, plan, force)
            if move is not None:
                plan.gave(move.to_user)
                moves.append(move)
        moves = _leave_pooled(moves)
        assignments = _record(moves, now, first_call=True)
        _alert_pooled([move for move in moves if move.to_user is None], now, alert=alert)
        plan.save()
    made = {assignment.lead_id: assignment for assignment in assignments}
    return [made.pop(lead.pk, None) for lead in leads]


def _decide(lead: Lead, plan: Plan, force: bool) -> Move | None:
    if lead.stage not in ON_DESK:
        return None
    if not force and lead.owner is not None and plan.unavailable(lead.owner) is None:
        return None
    account = lead.account
    owner = account.owner if account is not None else None
    if owner is not None and plan.unavailable(owner) is None:
        return Move(lead, owner, owner.team or lead.team, Why.ACCOUNT_OWNER)
    rule = plan.matching_rule(lead)
    team: Team | None
    if rule is not None:
        if rule.user is not None and plan.unavailable(rule.user) is None:
            return Move(lead, rule.user, rule.user.team or rule.team, Why.RULE, rule)
        team = rule.team or (rule.user.team if rule.user is not None else None)
    else:
        team = lead.team or plan.default_team()
    chosen = plan.turn(team) if team is not None else None
    if chosen is not None:
        return Move(lead, chosen, team, Why.ROTATION, rule)
    return Move(lead, None, team, Why.POOL, rule)


def next_available(
    team: Team, *, exclude: Iterable[User | int | None] = (), now: datetime | None = None
) -> User | None:
    """The qualifier of the team who gets the next lead, by the fair rotation,
    leaving out `exclude` (users or ids); None when nobody is available.

    This is a turn of the rotation: the chosen seat is charged, so call it only
    when the lead will go to that person (SLA escalation does, right after)."""
    with transaction.atomic():
        rotation = Rotation(team, now or timezone.now())
        chosen = rotation.turn(exclude)
        rotation.save()
        return chosen


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
        move = Move(lead, to_user, to_user.team or lead.team, why, by=by, note=note)
        return _record([move], now or timezone.now())[0]


def _refresh(lead: Lead, locked: Lead) -> None:
    """Bring the caller's instance up to date with the locked row (its owner may
    have changed since the caller loaded it), with the related rows the locked
    query loaded (none are kept from the caller's copy)."""
    lead.stage, lead.cycle = locked.stage, locked.cycle
    lead.owner_id, lead.team_id = locked.owner_id, locked.team_id
    lead.account_id = locked.account_id
    for name in ("owner", "team", "account"):
        field = Lead._meta.get_field(name)
        if field.is_cached(locked):  # type: ignore[union-attr]
            field.set_cached_value(lead, field.get_cached_value(locked))  # type: ignore[union-attr]
        elif field.is_cached(lead):  # type: ignore[union-attr]
            field.delete_cached_value(lead)  # type: ignore[union-attr]


def _open_counts(user_ids: list[int]) -> dict[int, int]:
    rows = (Lead.objects.open().filter(owner_id__in=user_ids).values("owner_id")
            .annotate(n=Count("pk")))
    return {row["owner_id"]: row["n"] for row in rows}


def _leave_pooled(moves: list[Move]) -> list[Move]:
    """The moves less those to a pool the lead already waits in: no owner, the
    same team, and put there by its last assignment of the cycle (a lead whose
    owner was deleted, or a new one, is not in a pool yet)."""
    maybe = {move.lead.pk: move for move in moves if move.to_user is None
             and move.lead.owner_id is None
             and move.lead.team_id == (move.team.pk if move.team is not None else None)}
    if not maybe:
        return moves
    cycles = {pk: move.lead.cycle for pk, move in maybe.items()}
    last: dict[int, tuple[int | None, int | None]] = {}
    for lead_id, cycle, to_id, team_id in (
            Assignment.objects.filter(lead_id__in=maybe).order_by("lead_id", "-at", "-pk")
            .values_list("lead_id", "cycle", "to_user_id", "team_id")):
        if cycle == cycles[lead_id] and lead_id not in last:
            last[lead_id] = (to_id, team_id)
    waiting = {pk for pk, move in maybe.items()
               if pk in last and last[pk][0] is None and last[pk][1] == move.lead.team_id}
    return [move for move in moves if move.lead.pk not in waiting]


def _alert_pooled(moves: list[Move], now: datetime, *, alert: bool) -> None:
    """One open NOBODY_AVAILABLE alert per pooled lead: a lead moving from one
    pool to another updates its alert."""
    if not moves:
        return
    open_alerts = set(Alert.objects.filter(
        lead_id__in=[move.lead.pk for move in moves], kind=Alert.Kind.NOBODY_AVAILABLE,
        resolved_at__isnull=True).values_list("lead_id", flat=True))
    new = []
    for move in moves:
        team = move.team
        where = (f"the pool of {team.name}" if team is not None
                 else "the unrouted pool (no rule matched and there is no default team)")
        message = f"Nobody is available to take {move.lead}: it waits in {where}."
        if move.lead.pk in open_alerts:
            Alert.objects.filter(lead_id=move.lead.pk, kind=Alert.Kind.NOBODY_AVAILABLE,
                                 resolved_at__isnull=True).update(team=team, message=message)
        elif alert:
            new.append(Alert(kind=Alert.Kind.NOBODY_AVAILABLE, lead=move.lead, team=team,
                             created_at=now, message=message))
    Alert.objects.bulk_create(new)


def _grouped(moves: Iterable[Move], key) -> dict:
    groups: defaultdict = defaultdict(list)
    for move in moves:
        groups[key(move)].append(move.lead.pk)
    return groups


def _record(moves: list[Move], now: datetime, *, first_call: bool = False) -> list[Assignment]:
    """Make the changes and their history: an Assignment each, the leads'
    owners and teams, their open next steps and running SLA clocks following
    the owner, pool alerts resolved once a lead has an owner, and a
    `lead.assigned` event each; with `first_call` (routing), the first call of each lead that has
    no next step (a reassignment's caller sets the next step it means: a
    returned lead's, say). Runs inside the caller's transaction, with the
    leads locked; a statement per kind of row, whatever the number of moves."""
    if not moves:
        return []
    assignments = Assignment.objects.bulk_create([Assignment(
        lead=move.lead, cycle=move.lead.cycle, from_user_id=move.lead.owner_id,
        to_user=move.to_user, team=move.team, why=move.why, rule=move.rule, note=move.note,
        by=move.by, at=now) for move in moves])
    from_ids = {move.lead.pk: move.lead.owner_id for move in moves}

    def to_id(move: Move) -> int | None:
        return move.to_user.pk if move.to_user is not None else None

    for (owner_id, team_id), ids in _grouped(
            moves, lambda move: (to_id(move), move.team.pk if move.team else None)).items():
        Lead.objects.filter(pk__in=ids).update(owner_id=owner_id, team_id=team_id)
    # The next step moves with the lead, or the old owner keeps a task for a
    # lead they no longer see and the new one has nothing due.
    for (old, new), ids in _grouped(moves, lambda move: (move.lead.owner_id, to_id(move))).items():
        Task.objects.open().filter(lead_id__in=ids, assignee_id=old).update(assignee_id=new)
    # A running clock is the new owner's to meet (its due time does not move).
    for new, ids in _grouped(moves, to_id).items():
        SlaClock.objects.filter(lead_id__in=ids, state=SlaClock.State.RUNNING).update(
            owner_id=new)
    for move in moves:
        move.lead.owner, move.lead.team = move.to_user, move.team
    if first_call:
        _first_calls(moves, now)
    owned = [move.lead.pk for move in moves if move.to_user is not None]
    if owned:
        Alert.objects.filter(lead_id__in=owned, kind=Alert.Kind.NOBODY_AVAILABLE,
                             resolved_at__isnull=True).update(resolved_at=now)
    events.record_many(events.new(
        "lead.assigned", move.lead, actor=move.by, owner=to_id(move),
        previous_owner=from_ids[move.lead.pk], at=now,
        data={"assignment": assignment.pk, "team": move.team.pk if move.team else None,
              "rule": move.rule.pk if move.rule else None, "why": move.why})
        for move, assignment in zip(moves, assignments, strict=True))
    return assignments


def _first_calls(moves: list[Move], now: datetime) -> list[Task]:
    """The next step of each lead that has none: its first call, due when its
    SLA clock runs out (none yet: now; sla.start_clock sets it when the clock
    starts), or a follow-up due now for a lead already worked this cycle."""
    ids = [move.lead.pk for move in moves]
    busy = set(Task.objects.open().filter(lead_id__in=ids).values_list("lead_id", flat=True))
    bare = [move.lead for move in moves if move.lead.pk not in busy]
    if not bare:
        return []
    ids = [lead.pk for lead in bare]
    due = dict(SlaClock.objects.filter(lead_id__in=ids, state=SlaClock.State.RUNNING)
               .values_list("lead_id", "due_at"))
    cycles = {lead.pk: lead.cycle for lead in bare}
    worked = {lead_id for lead_id, cycle in Touch.objects.filter(lead_id__in=ids)
              .values_list("lead_id", "cycle").distinct() if cycles[lead_id] == cycle}
    return Task.objects.bulk_create([
        Task(lead=lead, assignee_id=lead.owner_id, kind=Task.Kind.FOLLOW_UP, title="Follow up",
             due_at=due.get(lead.pk) or now, created_at=now) if lead.pk in worked else
        Task(lead=lead, assignee_id=lead.owner_id, kind=Task.Kind.FIRST_CALL,
             title=FIRST_CALL_TITLE, due_at=due.get(lead.pk) or now, created_at=now)
        for lead in bare])
