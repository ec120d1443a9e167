"""The targets editor (/reports/targets/): what each month of a year should
bring at each stage, for the company or one team, set by managers and
admins and read by the scorecard and the dashboard. Marketing may look.

    GET  ?year=2026&team=3   the grid (team empty: the company)
    POST the whole grid      saved at once: a number sets the month's target,
                             an empty cell removes it; nothing is saved if
                             any cell is wrong, and the page names the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Team

from .filters import MONTH_NAMES
from .models import Target
from .registry import READERS
from .scorecard import LABELS, METRICS, MONEY_METRICS, target_number

EDITORS = (Role.MANAGER, Role.ADMIN)
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Target.value: 14 digits, 2 after the point.
MOST = Decimal("999999999999.99")
GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class Cell:
    metric: str
    month: int
    text: str = ""
    error: str = ""
    title: str = ""  # "SALs (accepted), Mar 2026"

    @property
    def name(self) -> str:
        return f"{self.metric}-{self.month}"


class BadChoice(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def cell_name(metric: str, month: int, year: int) -> str:
    """How a cell is named to the person who typed in it: "SALs, Mar 2026"."""
    return f"{LABELS[metric]}, {MONTH_NAMES[month - 1]} {year}"


def parse_value(text: str, metric: str) -> Decimal | None:
    """The number typed in a cell (None: empty); ValueError says what is wrong."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if metric in MONEY_METRICS:
        for sign in ("$", "€", "£", settings.LEADGATE_CURRENCY):
            text = text.replace(sign, "")
    if not text:
        return None
    if GROUPED.match(text):
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a number")
    if value < 0:
        raise ValueError("cannot be negative")
    if value > MOST:
        raise ValueError("too large")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most two decimals")
    return value.quantize(Decimal("0.01"))


def shown(value: Decimal) -> str:
    """A stored value as it goes back in its cell: 120, 1500.5, 2000.25."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


def choose(params: QueryDict) -> tuple[int, Team | None]:
    """The year and team asked for (BadChoice names the field)."""
    raw = (params.get("year") or "").strip()
    if raw:
        try:
            year = int(raw)
        except ValueError:
            raise BadChoice("year", "year: a year such as 2026") from None
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise BadChoice("year", f"year: from {FIRST_YEAR} to {LAST_YEAR}")
    else:
        year = timezone.localdate().year
    raw = (params.get("team") or "").strip()
    team = None
    if raw:
        team = Team.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if team is None:
            raise BadChoice("team", "team: no such team")
    return year, team


def stored(year: int, team: Team | None) -> dict[tuple[str, int], Target]:
    rows = Target.objects.filter(month__gte=date(year, 1, 1), month__lt=date(year + 1, 1, 1))
    rows = rows.filter(team=team) if team is not None else rows.filter(team__isnull=True)
    return {(t.metric, t.month.month): t for t in rows.select_related("set_by")}


def grid(year: int, team: Team | None,
         posted: QueryDict | None = None) -> tuple[list[dict[str, Any]], list[Cell]]:
    """The rows of the grid (a month each, a cell per metric) and its cells
    in error; from what is stored, or from what was posted."""
    saved = stored(year, team)
    rows, wrong = [], []
    for month in range(1, 13):
        cells = []
        for metric in METRICS:
            cell = Cell(metric, month, title=cell_name(metric, month, year))
            if posted is None:
                target = saved.get((metric, month))
                cell.text = shown(target.value) if target is not None else ""
            else:
                cell.text = posted.get(cell.name, "")[:40]
                try:
                    parse_value(cell.text, metric)
                except ValueError as error:
                    cell.error = str(error)
                    wrong.append(cell)
            cells.append(cell)
        rows.append({"month": month, "label": f"{MONTH_NAMES[month - 1]} {year}",
                     "cells": cells})
    return rows, wrong


def save(year: int, team: Team | None, rows: list[dict[str, Any]],
         user: Any) -> tuple[int, int]:
    """Write the grid: (targets set or changed, targets removed). Unchanged
    cells keep who set them and when."""
    changed = removed = 0
    now = timezone.now()
    with transaction.atomic():
        saved = stored(year, team)
        for row in rows:
            for cell in row["cells"]:
                value = parse_value(cell.text, cell.metric)
                target = saved.get((cell.metric, cell.month))
                if value is None:
                    if target is not None:
                        target.delete()
                        removed += 1
                elif target is None:
                    Target.objects.create(month=date(year, cell.month, 1), team=team,
                                          metric=cell.metric, value=value, set_by=user,
                                          set_at=now)
                    changed += 1
                elif target.value != value:
                    target.value, target.set_by, target.set_at = value, user, now
                    target.save(update_fields=["value", "set_by", "set_at"])
                    changed += 1
    return changed, removed


def totals(year: int, team: Team | None) -> list[dict[str, Any]]:
    """The year's total of each metric's targets, and how it reads."""
    saved = stored(year, team)
    found = []
    for metric in METRICS:
        values = [t.value for (m, _month), t in saved.items() if m == metric]
        found.append({"value": target_number(sum(values, Decimal(0)), metric) if values else None,
                      "kind": "money" if metric in MONEY_METRICS else "count"})
    return found


def page_url(year: int, team: Team | None) -> str:
    url = f"{reverse('targets')}?year={year}"
    return url + (f"&team={team.pk}" if team is not None else "")


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user.has_role(*READERS):
        raise PermissionDenied
    may_edit = user.has_role(*EDITORS)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    try:
        year, team = choose(params)
    except BadChoice as bad:
        return render(request, "reports/targets.html", {
            "nav": "reports", "choice_error": str(bad), "choice_field": bad.field,
            "teams": Team.objects.order_by("name"), "may_edit": may_edit,
            "year": timezone.localdate().year, "team": None}, status=400)
    if request.method == "POST":
        rows, wrong = grid(year, team, request.POST)
        if not wrong:
            changed, removed = save(year, team, rows, user)
            scope = team.name if team is not None else "the company"
            messages.success(request, f"Targets for {year}, {scope}, saved: {changed} set "
                                      f"or changed, {removed} removed.")
            return redirect(page_url(year, team))
    else:
        rows, wrong = grid(year, team)
    return render(request, "reports/targets.html", context(
        year, team, rows, wrong, may_edit), status=400 if wrong else 200)


def context(year: int, team: Team | None, rows: list[dict[str, Any]], wrong: list[Cell],
            may_edit: bool) -> dict[str, Any]:
    saved = stored(year, team)
    latest = max(saved.values(), key=lambda t: (t.set_at, t.pk), default=None)
    return {
        "nav": "reports", "year": year, "team": team, "rows": rows, "may_edit": may_edit,
        "metrics": [{"key": m, "label": LABELS[m], "money": m in MONEY_METRICS}
                    for m in METRICS],
        "errors": [f"{cell_name(c.metric, c.month, year)}: {c.error}" for c in wrong],
        "totals": totals(year, team), "latest": latest, "count": len(saved),
        "teams": Team.objects.order_by("name"), "currency": settings.LEADGATE_CURRENCY,
        "previous": year - 1 if year > FIRST_YEAR else None,
        "next": year + 1 if year < LAST_YEAR else None,
    }
