"""Routing pages about people: qualifiers' seats and absences, teams' business
hours and a qualifier's own pause toggle. (Reassigning a lead by hand is a
form of the lead page and the desk: workspace.views.lead_reassign, with
routing's rules, forms.reassign_refusal and assign.reassign.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from leadgate.leads.http import AuthedRequest, is_htmx
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead, Team, User

from .assign import default_team
from .availability import ensure_seats, seat_of, unavailable_because
from .forms import (
    AbsenceForm,
    SeatForm,
    TeamHoursForm,
    active_qualifiers,
    instance_rows,
)
from .models import Absence, Seat
from .views import require_manager, routing_page

# Absences that ended this long ago drop off the seats page (they stay in the admin).
ABSENCES_SHOWN_AFTER = timedelta(days=7)


@dataclass
class SeatRow:
    user: User
    seat: Seat
    form: SeatForm
    absence_form: AbsenceForm
    absences: list[Absence]
    open_count: int  # every lead not closed: what the seat's cap limits
    desk_count: int  # of those, the ones on the desk ("All my leads")
    unavailable: str | None


def seat_rows(bound_seat: SeatForm | None = None,
              bound_absence: tuple[int, AbsenceForm] | None = None) -> list[SeatRow]:
    """One row per active qualifier, each with a seat (created when missing)."""
    users = list(active_qualifiers())
    ensure_seats(users)
    seats = {seat.user_id: seat for seat in Seat.objects.filter(user__in=users)}
    # Two counts, labelled on the page: the open leads (the cap counts these:
    # nurture, handed off and with sales too) and those on the desk, which the
    # qualifier's "All my leads" lists.
    counts = dict(Lead.objects.open().filter(owner__in=users).values("owner_id")
                  .annotate(n=Count("pk")).values_list("owner_id", "n"))
    on_desk = dict(Lead.objects.on_desk().filter(owner__in=users).values("owner_id")
                   .annotate(n=Count("pk")).values_list("owner_id", "n"))
    since = timezone.localdate() - ABSENCES_SHOWN_AFTER
    absences: dict[int, list[Absence]] = {}
    for absence in Absence.objects.filter(user__in=users, ends_on__gte=since).order_by(
            "starts_on", "pk"):
        absences.setdefault(absence.user_id, []).append(absence)
    now = timezone.now()
    rows = []
    for user in users:
        seat = seats[user.pk]
        seat.user = user  # with its team, loaded once: the form reads the team's hours
        form = (bound_seat if bound_seat is not None and bound_seat.instance.user_id == user.pk
                else SeatForm(instance=seat, auto_id=f"seat{user.pk}_%s"))
        absence_form = (bound_absence[1] if bound_absence and bound_absence[0] == user.pk
                        else AbsenceForm(auto_id=f"absence{user.pk}_%s"))
        count = counts.get(user.pk, 0)
        why = unavailable_because(user, now, seat=seat, check_cap=False)
        if why is None and seat.max_open is not None and count >= seat.max_open:
            why = "at the cap of open leads"
        rows.append(SeatRow(user, seat, form, absence_form, absences.get(user.pk, []),
                            count, on_desk.get(user.pk, 0), why))
    return rows


def seats_page(request: AuthedRequest, status: int = 200, **bound: Any) -> HttpResponse:
    return routing_page(request, "routing/seats.html", "seats",
                        {"rows": seat_rows(**bound)}, status=status)


@login_required
@require_GET
def seat_list(request: AuthedRequest) -> HttpResponse:
    require_manager(request)
    return seats_page(request)


def qualifier_or_404(pk: int) -> User:
    return get_object_or_404(active_qualifiers(), pk=pk)


@login_required
@require_POST
def seat_edit(request: AuthedRequest, user_pk: int) -> HttpResponse:
    require_manager(request)
    user = qualifier_or_404(user_pk)
    form = SeatForm(request.POST, instance=seat_of(user), auto_id=f"seat{user.pk}_%s")
    if not form.is_valid():
        return seats_page(request, status=400, bound_seat=form)
    form.save()
    messages.success(request, f"Saved the seat of {user.get_full_name() or user.username}.")
    return redirect(reverse("routing-seats") + f"#seat-{user.pk}")


@login_required
@require_POST
def absence_add(request: AuthedRequest, user_pk: int) -> HttpResponse:
    require_manager(request)
    user = qualifier_or_404(user_pk)
    form = AbsenceForm(request.POST, instance=Absence(user=user),
                       auto_id=f"absence{user.pk}_%s")
    if not form.is_valid():
        return seats_page(request, status=400, bound_absence=(user.pk, form))
    absence = form.save()
    messages.success(request, f"{user.get_full_name() or user.username} is away "
                              f"{absence.starts_on} to {absence.ends_on}.")
    return redirect(reverse("routing-seats") + f"#seat-{user.pk}")


@login_required
@require_POST
def absence_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    absence = get_object_or_404(Absence, pk=pk)
    absence.delete()
    messages.success(request, f"Removed the absence {absence.starts_on} to {absence.ends_on}.")
    return redirect(reverse("routing-seats") + f"#seat-{absence.user_id}")


# Teams -----------------------------------------------------------------------------


def team_rows(bound: TeamHoursForm | None = None) -> list[tuple[Team, TeamHoursForm]]:
    return instance_rows(Team.objects.order_by("name"), TeamHoursForm, "team", bound)


def teams_page(request: AuthedRequest, bound: TeamHoursForm | None = None,
               status: int = 200) -> HttpResponse:
    # The setting wins over the flag (routing.assign.default_team): say so.
    named = settings.LEADGATE_DEFAULT_TEAM
    return routing_page(request, "routing/teams.html", "teams", {
        "rows": team_rows(bound), "default_team": default_team(),
        "default_setting": named,
        "setting_matches": bool(named) and Team.objects.filter(name=named).exists(),
    }, status=status)


@login_required
@require_GET
def team_list(request: AuthedRequest) -> HttpResponse:
    require_manager(request)
    return teams_page(request)


@login_required
@require_POST
def team_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    require_manager(request)
    team = get_object_or_404(Team, pk=pk)
    form = TeamHoursForm(request.POST, instance=team, auto_id=f"team{team.pk}_%s")
    if form.is_valid():
        try:
            with transaction.atomic():
                team.is_default = form.cleaned_data["make_default"]
                if team.is_default:
                    # At most one default (a constraint): the one set last wins.
                    Team.objects.filter(is_default=True).exclude(pk=team.pk).update(
                        is_default=False)
                form.save()
        except IntegrityError:  # another manager made another team default meanwhile
            form.add_error("make_default", "another team became the default meanwhile; "
                                           "reload and try again")
    if form.errors:
        # team_rows() names each team from a fresh query, not the changed instance.
        return teams_page(request, form, status=400)
    default = " It is the default team." if team.is_default else ""
    messages.success(request, f"Saved the business hours of {team.name}.{default}")
    return redirect(reverse("routing-teams") + f"#team-{team.pk}")


# A qualifier's own pause toggle -----------------------------------------------------


def parse_paused(value: str | None, current: bool) -> bool:
    if value in ("1", "true", "on"):
        return True
    if value in ("0", "false", "off"):
        return False
    return not current


@login_required
@require_POST
def my_pause(request: AuthedRequest) -> HttpResponse:
    """Pause or resume taking new leads (paused=1|0; without it, toggle). Leads
    already owned stay; nothing is published: only new routing changes."""
    user = request.user
    if not user.has_role(Role.QUALIFIER):
        raise PermissionDenied
    seat = seat_of(user)
    seat.paused = parse_paused(request.POST.get("paused"), seat.paused)
    seat.save(update_fields=["paused"])
    if is_htmx(request):
        return render(request, "routing/_pause.html",
                      {"seat": seat, "next": request.POST.get("next", "")})
    messages.success(request, "Paused: you take no new leads until you resume."
                     if seat.paused else "Resumed: you take new leads again.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("desk")
    return redirect(target)
