"""Leads handed to sales, exported for a CRM's import: Salesforce (Lead
import) and HubSpot (contacts import), as CSV or XLSX.

Formats are small classes in a registry, by `kind`, like the import presets.
Every cell goes through `intake.imports.spreadsheet_safe`, the helper the
row-error files use, so a value such as `=HYPERLINK(...)` (or one starting
with +, -, @, a tab or a carriage return) opens as text, never as a formula.
Used by `leadgate export` and the download on the sales inbox.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import Prefetch, QuerySet

from leadgate.intake.imports import spreadsheet_safe
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Handoff, Lead, User

DEFAULT_STAGES = (Stage.QUALIFIED.value, Stage.ACCEPTED.value)
OUTPUTS = ("csv", "xlsx")
# Below Excel's 32,767 characters per cell and Salesforce's long text fields.
CELL_LIMIT = 32_000
NOT_PROVIDED = "[not provided]"  # Salesforce requires LastName and Company
# Characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ExportError(ValueError):
    """An export that cannot be made: unknown format, output or stage."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def cell(value: object) -> str:
    """One cell: text, within the limit, never a formula."""
    text = "" if value is None else str(value)
    text = _ILLEGAL.sub("", text)[:CELL_LIMIT]
    return spreadsheet_safe(text)


def _handoff(lead: Lead) -> Handoff | None:
    handoffs = list(lead.handoffs.all())  # prefetched, newest first
    return handoffs[0] if handoffs else None


def _description(lead: Lead, handoff: Handoff | None) -> str:
    parts = [f"Leadgate lead {lead.pk}"]
    if handoff is not None:
        dossier = handoff.dossier if isinstance(handoff.dossier, dict) else {}
        if dossier.get("summary"):
            parts.append(str(dossier["summary"]))
        if handoff.note:
            parts.append(f"Note from the qualifier: {handoff.note}")
    return "\n".join(parts)


def _source(lead: Lead) -> str:
    return lead.source.name if lead.source_id and lead.source else ""


class ExportFormat:
    """A CRM's import layout: its column headers and each lead's values."""

    kind = ""
    label = ""
    columns: tuple[str, ...] = ()

    def values(self, lead: Lead) -> dict[str, Any]:
        raise NotImplementedError

    def row(self, lead: Lead) -> list[str]:
        values = self.values(lead)
        return [cell(values.get(column, "")) for column in self.columns]


class Salesforce(ExportFormat):
    """Salesforce Data Import Wizard / Data Loader, Lead object (API names)."""

    kind = "salesforce"
    label = "Salesforce leads"
    columns = ("FirstName", "LastName", "Email", "Phone", "Company", "Title", "Website",
               "Country", "Industry", "NumberOfEmployees", "LeadSource", "Status", "Rating",
               "Description")
    STATUS = {Stage.QUALIFIED: "Open - Not Contacted", Stage.ACCEPTED: "Working - Contacted",
              Stage.OPPORTUNITY: "Working - Contacted", Stage.WON: "Closed - Converted",
              Stage.LOST: "Closed - Not Converted"}

    def values(self, lead: Lead) -> dict[str, Any]:
        account = lead.account if lead.account_id else None
        handoff = _handoff(lead)
        return {
            "FirstName": lead.first_name, "LastName": lead.last_name or NOT_PROVIDED,
            "Email": lead.email, "Phone": lead.phone,
            "Company": (account.name if account else lead.company_name) or NOT_PROVIDED,
            "Title": lead.title, "Website": lead.website or (account.website if account else ""),
            "Country": lead.country or (account.country if account else ""),
            "Industry": account.industry if account else "",
            "NumberOfEmployees": account.employees if account and account.employees else "",
            "LeadSource": _source(lead), "Status": self.STATUS.get(Stage(lead.stage), ""),
            "Rating": "Hot" if lead.stage == Stage.ACCEPTED else "Warm",
            "Description": _description(lead, handoff),
        }


class HubSpot(ExportFormat):
    """HubSpot contacts import (default property labels)."""

    kind = "hubspot"
    label = "HubSpot contacts"
    columns = ("First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
               "Website URL", "Country/Region", "Industry", "Number of Employees",
               "Lifecycle Stage", "Lead Status", "Contact owner", "Original Source Drill-Down 1",
               "Message", "Leadgate ID")
    LIFECYCLE = {Stage.QUALIFIED: "salesqualifiedlead", Stage.ACCEPTED: "salesqualifiedlead",
                 Stage.OPPORTUNITY: "opportunity", Stage.WON: "customer", Stage.LOST: "other"}
    LEAD_STATUS = {Stage.QUALIFIED: "OPEN", Stage.ACCEPTED: "IN_PROGRESS",
                   Stage.OPPORTUNITY: "OPEN_DEAL", Stage.LOST: "UNQUALIFIED"}

    def values(self, lead: Lead) -> dict[str, Any]:
        account = lead.account if lead.account_id else None
        handoff = _handoff(lead)
        return {
            "First Name": lead.first_name, "Last Name": lead.last_name, "Email": lead.email,
            "Phone Number": lead.phone,
            "Company Name": account.name if account else lead.company_name,
            "Job Title": lead.title,
            "Website URL": lead.website or (account.website if account else ""),
            "Country/Region": lead.country or (account.country if account else ""),
            "Industry": account.industry if account else "",
            "Number of Employees": account.employees if account and account.employees else "",
            "Lifecycle Stage": self.LIFECYCLE.get(Stage(lead.stage), ""),
            "Lead Status": self.LEAD_STATUS.get(Stage(lead.stage), ""),
            "Contact owner": handoff.to_user.email if handoff else "",
            "Original Source Drill-Down 1": _source(lead),
            "Message": _description(lead, handoff), "Leadgate ID": lead.pk,
        }


REGISTRY: dict[str, type[ExportFormat]] = {fmt.kind: fmt for fmt in (Salesforce, HubSpot)}


def get_format(kind: str) -> ExportFormat:
    try:
        return REGISTRY[(kind or "").lower()]()
    except KeyError:
        raise ExportError("format", f"unknown format {kind!r}; the formats are "
                          f"{', '.join(REGISTRY)}") from None


def parse_stages(text: str | Iterable[str] | None) -> list[str]:
    """"qualified,accepted" -> the stages; default: qualified and accepted."""
    items = text.split(",") if isinstance(text, str) else list(text or [])
    stages = [item.strip().lower() for item in items if item.strip()]
    if not stages:
        return list(DEFAULT_STAGES)
    unknown = [stage for stage in stages if stage not in Stage.values]
    if unknown:
        raise ExportError("stage", f"unknown stage {', '.join(unknown)}; stages are "
                          f"{', '.join(Stage.values)}")
    return stages


def leads_for_export(stages: Iterable[str], user: User | None = None) -> QuerySet[Lead]:
    """Leads in these stages (that `user` may see, when given), oldest first."""
    leads = Lead.objects.all() if user is None else Lead.objects.visible_to(user)
    return (
        leads.filter(stage__in=list(stages))
        .select_related("account", "source")
        .prefetch_related(Prefetch(
            "handoffs", queryset=Handoff.objects.select_related("to_user").order_by(
                "-created_at", "-pk")))
        .order_by("stage_changed_at", "pk")
    )


def rows(leads: QuerySet[Lead], fmt: ExportFormat) -> Iterator[list[str]]:
    """The header, then one row per lead, read in chunks."""
    yield [cell(column) for column in fmt.columns]
    for lead in leads.iterator(chunk_size=500):
        yield fmt.row(lead)


def write_csv(leads: QuerySet[Lead], fmt: ExportFormat, handle: IO[str]) -> int:
    """Write the CSV (open `handle` with newline=""); return the number of leads."""
    writer = csv.writer(handle)
    count = -1
    for row in rows(leads, fmt):
        writer.writerow(row)
        count += 1
    return count


def write_xlsx(leads: QuerySet[Lead], fmt: ExportFormat, target: str | IO[bytes]) -> int:
    """Write an XLSX workbook (streamed: write-only); return the number of leads."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=fmt.label[:31] or "Leads")
    count = -1
    for row in rows(leads, fmt):
        sheet.append(row)  # text cells: neutralised values never start with "="
        count += 1
    book.save(target)
    return count


def export(leads: QuerySet[Lead], fmt: ExportFormat, output: str, target: Any) -> int:
    if output == "csv":
        return write_csv(leads, fmt, target)
    if output == "xlsx":
        return write_xlsx(leads, fmt, target)
    raise ExportError("as", f"unknown output {output!r}; write one of {', '.join(OUTPUTS)}")
