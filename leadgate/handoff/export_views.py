"""GET /sales/export: the download on the sales inbox. Leads handed to sales
(qualified and accepted by default), in Salesforce or HubSpot import format,
as CSV or XLSX; a rep gets the leads handed to them, a manager everyone's."""

import csv
import tempfile
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .exports import ExportError, get_format, leads_for_export, parse_stages, rows, write_xlsx

EXPORT_ROLES = (Role.SALES, Role.MANAGER, Role.ADMIN)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object whose write() hands the line back (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def export_leads(request: AuthedRequest) -> HttpResponseBase:
    if not request.user.has_role(*EXPORT_ROLES):
        raise PermissionDenied
    output = request.GET.get("as", "csv").lower()
    try:
        fmt = get_format(request.GET.get("format", ""))
        leads = leads_for_export(parse_stages(request.GET.get("stage", "")), request.user)
        if output not in ("csv", "xlsx"):
            raise ExportError("as", f"unknown output {output!r}; csv or xlsx")
    except ExportError as error:
        return HttpResponseBadRequest(f"{error.field}: {error}", content_type="text/plain")
    name = f"leadgate-{fmt.kind}-{timezone.now():%Y%m%d-%H%M}.{output}"
    if output == "csv":
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in rows(leads, fmt))
        response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx(leads, fmt, spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=name, content_type=XLSX_TYPE)


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"  # Excel reads the file as UTF-8
    yield from lines
