"""The scorecard's address: the report page as every report has it
(report_views), and with ?print=1 a page for paper: no navigation or
filters, the table and the charts on one A4 landscape sheet (print.css),
which the browser prints or saves as PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest

from . import report_views
from .catalog import REPORTS
from .filters import FilterForm

SLUG = "scorecard"


def wants_print(request: AuthedRequest) -> bool:
    return (request.GET.get("print", "") not in ("", "0")
            and request.GET.get("format", "html") == "html")


@login_required
@require_GET
def scorecard(request: AuthedRequest) -> HttpResponse:
    if not wants_print(request):
        return report_views.report(request, SLUG)
    return printable(request)


def printable(request: AuthedRequest) -> HttpResponse:
    report = REPORTS[SLUG]
    if not report.allows(request.user):
        raise PermissionDenied
    query = request.GET.copy()
    query.pop("print", None)
    form = FilterForm(query)
    context = {"report": report, "form": form, "back": query.urlencode(), "result": None}
    if not form.is_valid():
        return render(request, "reports/scorecard_print.html", context, status=400)
    filters = form.filters()
    result = report.compute(filters, request.user)
    context.update(filters=filters, result=result, stages=result.table("scorecard"),
                   money=result.table("money"))
    return render(request, "reports/scorecard_print.html", context)
