"""GET /reports and /reports/{slug}: every report as JSON, with the filters
of its page as query parameters (the same names, checked by the same form)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from leadgate.reports.catalog import REPORTS
from leadgate.reports.filters import BANDS, GRADES, GROUPINGS, PERIODS, FilterForm
from leadgate.reports.registry import Report
from leadgate.reports.report_views import answer

from .auth import acting_user, read
from .problems import problem
from .schemas import ErrorOut, ValidationErrorOut

router = Router(tags=["reports"])


class ReportFilters(Schema):
    period: Literal[tuple(PERIODS)] | None = None  # type: ignore[valid-type]
    start: date | None = Field(None, description="first day (with period=custom)")
    end: date | None = Field(None, description="last day (with period=custom)")
    by: Literal[tuple(GROUPINGS)] | None = None  # type: ignore[valid-type]
    basis: Literal["entered", "reached"] | None = None
    source: list[int] = Field(default_factory=list)
    campaign: list[int] = Field(default_factory=list)
    country: str | None = Field(None, max_length=200,
                                description="two-letter codes, comma-separated")
    industry: str | None = Field(None, max_length=100)
    band: Literal[tuple(BANDS)] | None = None  # type: ignore[valid-type]
    grade: Literal[tuple(GRADES)] | None = None  # type: ignore[valid-type]
    team: int | None = None
    qualifier: int | None = None
    channel: str | None = Field(None, max_length=10)
    cycle: Literal["first", "returning"] | None = None


class ReportOut(Schema):
    report: str
    title: str
    filters: dict[str, Any]
    tables: list[dict[str, Any]]
    charts: list[dict[str, Any]]
    notes: list[str]


class ReportListOut(Schema):
    slug: str
    title: str
    summary: str


def _readable(request: HttpRequest, report: Report) -> bool:
    user = acting_user(request)
    return user is None or report.allows(user)  # a service key reads every report


@router.get("/reports", auth=read, response={200: list[ReportListOut]},
            summary="The reports this key may read")
def list_reports(request: HttpRequest):
    return [{"slug": r.slug, "title": r.title, "summary": r.summary}
            for r in REPORTS.values() if _readable(request, r)]


@router.get("/reports/{slug}", auth=read,
            response={200: ReportOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
            summary="One report: its tables (rows of figures) and charts")
def get_report(request: HttpRequest, slug: str, filters: Query[ReportFilters]):
    report = REPORTS.get(slug)
    if report is None:
        known = ", ".join(REPORTS)
        return Status(404, problem(f"no report {slug!r}; reports are: {known}", "slug", 404))
    if not _readable(request, report):
        return Status(403, problem("this key's user may not read this report", None, 403))
    user = acting_user(request)
    zone = user.display_time_zone if user is not None else settings.TIME_ZONE
    with timezone.override(zone):
        form = FilterForm(request.GET)
        if not form.is_valid():
            field, message = next(iter(form.errors_by_field().items()))
            return Status(422, problem(message, field))
        try:
            options = report.options(request.GET)
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            return Status(422, problem(" ".join(messages), field))
        chosen = form.filters()
        result = report.compute(chosen, user, **options)  # type: ignore[arg-type]
        return Status(200, answer(report, result, chosen.as_dict()))
