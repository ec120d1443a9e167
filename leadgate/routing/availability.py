"""Whether a qualifier may take a new lead right now, and the schedules that say so.

Available means: an active user with the qualifier role, with a seat in the
rotation that is not paused, not out of office today (the date in the user's
own time zone), inside working hours, and under the seat's cap of open leads.

Seats are created lazily: a qualifier without one gets a default seat (weight
1, no cap, the team's hours) the first time routing looks at them, so adding a
qualifier to a team is enough to put them in the rotation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Team, User
from leadgate.lib.business_hours import OFFICE_HOURS, Schedule, is_open

from .models import Absence, Seat

CAPPED = "at the cap of open leads"


def team_schedule(team: Team | None) -> Schedule:
    """The team's business hours and holidays (office hours when unset). Without
    a team, office hours in the site's time zone: SLA clocks still need a calendar."""
    if team is None:
        return Schedule.office(settings.TIME_ZONE)
    return Schedule.from_spec(team.time_zone, team.hours or OFFICE_HOURS, team.holidays or ())


def working_schedule(user: User, seat: Seat) -> Schedule:
    """When the qualifier works: the seat's own hours in the user's time zone,
    else the team's hours in the team's time zone. Team holidays apply to both."""
    team = user.team
    holidays = (team.holidays or ()) if team is not None else ()
    if seat.hours:
        return Schedule.from_spec(user.display_time_zone, seat.hours, holidays)
    return team_schedule(team)


def qualifiers(team: Team) -> QuerySet[User]:
    """The team's active qualifiers: everyone who takes part in its rotation."""
    return (User.objects.filter(team=team, is_active=True, groups__name=Role.QUALIFIER)
            .select_related("team").distinct().order_by("pk"))


def ensure_seats(users: list[User]) -> None:
    """Give every one of these users a default seat if they have none.

    ignore_conflicts: two workers routing at once may both see a seat missing;
    the unique user column lets one insert win and the other do nothing."""
    have = set(Seat.objects.filter(user__in=users).values_list("user_id", flat=True))
    missing = [Seat(user=user) for user in users if user.pk not in have]
    if missing:
        Seat.objects.bulk_create(missing, ignore_conflicts=True)


def seat_of(user: User) -> Seat:
    seat = Seat.objects.filter(user=user).first()
    if seat is None:
        ensure_seats([user])
        seat = Seat.objects.get(user=user)
    return seat


def open_count(user: User) -> int:
    """The open leads the user owns: what the seat's cap limits."""
    return Lead.objects.open().filter(owner=user).count()


def unavailable_because(
    user: User, at: datetime | None = None, *, seat: Seat | None = None, check_cap: bool = True
) -> str | None:
    """Why the user cannot take a new lead at `at`, or None when they can.

    `check_cap=False` leaves the cap to the caller (the rotation hands open
    counts and caps to lib.fair_share, which treats a capped member as not
    eligible without forgetting its place)."""
    at = at or timezone.now()
    if not user.is_active:
        return "inactive"
    if not user.has_role(Role.QUALIFIER):
        return "not a qualifier"
    seat = seat or seat_of(user)
    today = _local_date(user, at)
    away = Absence.objects.filter(user=user, starts_on__lte=today, ends_on__gte=today).exists()
    reason = _reason(user, seat, at, away, working_schedule(user, seat))
    if reason is None and check_cap and seat.max_open is not None and (
            open_count(user) >= seat.max_open):
        return CAPPED
    return reason


def team_unavailability(users: list[User], seats: list[Seat],
                        at: datetime) -> dict[int, str | None]:
    """unavailable_because() (without the cap) for a team's qualifiers at once,
    in two queries whatever its size: the rotation asks on every new lead.
    `users` are active qualifiers with their team loaded (see qualifiers())."""
    by_user = {seat.user_id: seat for seat in seats}
    days = [at - timedelta(days=1), at + timedelta(days=1)]  # every local "today"
    away: dict[int, list[tuple[date, date]]] = {}
    for user_id, starts, ends in Absence.objects.filter(
            user_id__in=[user.pk for user in users], starts_on__lte=days[1].date(),
            ends_on__gte=days[0].date()).values_list("user_id", "starts_on", "ends_on"):
        away.setdefault(user_id, []).append((starts, ends))
    team_schedules: dict[int | None, Schedule] = {}
    reasons: dict[int, str | None] = {}
    for user in users:
        seat = by_user[user.pk]
        today = _local_date(user, at)
        absent = any(starts <= today <= ends for starts, ends in away.get(user.pk, ()))
        if seat.hours:
            schedule = working_schedule(user, seat)
        else:  # parsed once per team, not once per qualifier
            if user.team_id not in team_schedules:
                team_schedules[user.team_id] = team_schedule(user.team)
            schedule = team_schedules[user.team_id]
        reasons[user.pk] = _reason(user, seat, at, absent, schedule)
    return reasons


def _local_date(user: User, at: datetime) -> date:
    return at.astimezone(ZoneInfo(user.display_time_zone)).date()


def _reason(user: User, seat: Seat, at: datetime, absent: bool,
            schedule: Schedule) -> str | None:
    if seat.paused:
        return "paused"
    if absent:
        return "out of office"
    if not schedule.has_open_time or not is_open(schedule, at):
        return "outside working hours"
    return None


def is_available(user: User, at: datetime | None = None) -> bool:
    """Whether the user may take a new lead at `at` (default: now)."""
    return unavailable_because(user, at) is None
