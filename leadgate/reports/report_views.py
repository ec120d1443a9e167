"""A report as a page, a CSV file or JSON, from the registry by slug.

    /reports/                     the reports the viewer may read
    /reports/<slug>/              the page: filters, charts, tables
    /reports/<slug>/?format=csv   one table (`table=ID`, default the first)
    /reports/<slug>/?format=json  everything, as the API answers it
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leadgate.intake.imports import spreadsheet_safe
from leadgate.leads.http import AuthedRequest

from .catalog import REPORTS, readable_by
from .filters import FilterForm
from .registry import Report, Result, Table, json_value


def answer(report: Report, result: Result, filters: dict[str, Any]) -> dict[str, Any]:
    """The JSON of a report: the same for the page's export and the API."""
    return {"report": report.slug, "title": report.title, "filters": filters,
            "tables": [table.as_json() for table in result.tables],
            "charts": [{"id": chart.id, **chart.spec} for chart in result.charts],
            "notes": result.notes}


def csv_lines(table: Table) -> str:
    """The table as CSV: numbers as numbers, a rate as three columns (value,
    low, high), every text cell neutralised against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out)
    header: list[str] = []
    for column in table.columns:
        header.append(column.label)
        if column.kind == "rate":
            header += [f"{column.label} (95% low)", f"{column.label} (95% high)"]
    writer.writerow([spreadsheet_safe(text) for text in header])
    for row in [*table.rows, *([table.total] if table.total else [])]:
        cells: list[Any] = []
        for column in table.columns:
            value = json_value(row.get(column.key), column.kind)
            if column.kind == "rate":
                value = value or {}
                cells += [value.get("value"), value.get("low"), value.get("high")]
            elif column.kind == "text":
                cells.append(spreadsheet_safe("" if value is None else str(value)))
            else:
                cells.append("" if value is None else value)
        writer.writerow(cells)
    return "\ufeff" + out.getvalue()  # the BOM: Excel reads UTF-8


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    reports = readable_by(request.user)
    if not reports:
        raise PermissionDenied
    return render(request, "reports/index.html", {"nav": "reports", "reports": reports})


@login_required
@require_GET
def report(request: AuthedRequest, slug: str) -> HttpResponse:
    # Periods are the viewer's (the time zone the middleware activated):
    # "March" is March where the manager sits.
    found = REPORTS.get(slug)
    if found is None:
        raise Http404("no such report")
    if not found.allows(request.user):
        raise PermissionDenied
    form = FilterForm.from_query(request.GET)
    wanted = request.GET.get("format", "html")
    if not form.is_valid():
        if wanted in ("csv", "json"):
            return JsonResponse({"detail": "invalid filters", "errors": form.errors_by_field()},
                                status=400)
        return render(request, "reports/report.html",
                      {"nav": "reports", "report": found, "form": form, "result": None,
                       "reports": readable_by(request.user)}, status=400)
    try:
        options = found.options(request.GET)
    except ValidationError as error:
        errors = {name: " ".join(messages) for name, messages in error.message_dict.items()}
        if wanted in ("csv", "json"):
            return JsonResponse({"detail": "invalid parameters", "errors": errors}, status=400)
        for name, message in errors.items():
            form.add_error(None, f"{name}: {message}")
        return render(request, "reports/report.html",
                      {"nav": "reports", "report": found, "form": form, "result": None,
                       "reports": readable_by(request.user)}, status=400)
    filters = form.filters()
    result = found.compute(filters, request.user, **options)
    if wanted == "json":
        return JsonResponse(answer(found, result, filters.as_dict()))
    if wanted == "csv":
        table = result.table(request.GET.get("table"))
        if table is None:
            raise Http404("no such table in this report")
        response = HttpResponse(csv_lines(table), content_type="text/csv; charset=utf-8")
        name = f"{found.slug}-{table.id}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "reports/report.html", {
        "nav": "reports", "report": found, "form": form, "result": result,
        "filters": filters, "query": query.urlencode(), "reports": readable_by(request.user)})
