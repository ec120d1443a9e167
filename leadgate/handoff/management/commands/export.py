"""`leadgate export`: leads handed to sales, for a CRM's import (CSV or XLSX)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leadgate.handoff.exports import (
    OUTPUTS,
    REGISTRY,
    ExportError,
    export,
    get_format,
    leads_for_export,
    parse_stages,
)


class Command(BaseCommand):
    help = (
        "Export qualified and accepted leads in a CRM's import format (Salesforce leads "
        "or HubSpot contacts), as CSV or XLSX. Every cell is neutralised against "
        "spreadsheet formulas."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="kind", choices=sorted(REGISTRY), required=True,
                            help="the CRM's import layout")
        parser.add_argument("--as", dest="output", choices=OUTPUTS, default="",
                            help="csv or xlsx (default: from the --out suffix, else csv)")
        parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
        parser.add_argument("--stage", default="", metavar="STAGES",
                            help="comma-separated stages (default: qualified,accepted)")

    def handle(self, *args, kind, output, out, stage, **options):
        path = Path(out)
        output = output or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        try:
            fmt = get_format(kind)
            leads = leads_for_export(parse_stages(stage))
            if not path.parent.is_dir():
                raise CommandError(f"--out: no such directory: {path.parent}")
            if output == "csv":
                with open(path, "w", encoding="utf-8-sig", newline="") as handle:
                    count = export(leads, fmt, output, handle)
            else:
                count = export(leads, fmt, output, str(path))
        except ExportError as error:
            raise CommandError(f"--{error.field}: {error}") from error
        self.stdout.write(f"{count} lead{'' if count == 1 else 's'} written to {path} "
                          f"({fmt.label}, {output})")
