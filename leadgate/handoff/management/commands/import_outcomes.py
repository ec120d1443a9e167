"""`leadgate import-outcomes FILE`: what sales made of our leads, from a CRM export."""

from django.core.management.base import BaseCommand, CommandError

from leadgate.handoff.outcomes import OutcomeImportError, import_outcomes
from leadgate.intake.importers.presets import MappingError, parse_map_options
from leadgate.leads.models import User


class Command(BaseCommand):
    help = (
        "Record opportunities, wins and losses from a CRM export of opportunities (CSV "
        "or XLSX). Rows find their lead by lead id, opportunity id or email; columns are "
        "guessed from the headers (--map overrides). Rows already recorded are skipped; "
        "refused rows go to a row-error CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would happen; write nothing")
        parser.add_argument("--errors", default="", metavar="PATH",
                            help="row-error CSV (default: LEADGATE_DATA_DIR/imports/...)")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help='"Column Name=field" (repeatable); fields: lead_id, email, '
                                 "external_id, stage, amount, currency, close_date, reason")
        parser.add_argument("--user", default="", help="username recorded as the one who "
                                                       "recorded the outcomes (default: system)")
        parser.add_argument("--encoding", default="", help="the CSV's encoding (detected)")
        parser.add_argument("--delimiter", default="", help="the CSV's delimiter (detected)")
        parser.add_argument("--sheet", default="", help="the XLSX sheet (the first)")

    def handle(self, *args, file, dry_run, errors, map, user, encoding, delimiter, sheet,
               **options):
        by = None
        if user:
            by = User.objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"--user: no user {user!r}")
        try:
            mapping = parse_map_options(map)
            result = import_outcomes(file, by=by, dry_run=dry_run, errors_path=errors,
                                     mapping=mapping, encoding=encoding, delimiter=delimiter,
                                     sheet=sheet)
        except (MappingError, OutcomeImportError) as error:
            raise CommandError(str(error)) from error
        for row in result.results:
            where = f"row {row.row}: "
            if row.status == "error":
                self.stdout.write(f"{where}error: {row.field}: {row.detail}")
            elif row.status == "skipped":
                self.stdout.write(f"{where}skipped: {row.detail} (lead {row.lead_id})")
            else:
                self.stdout.write(f"{where}{row.kind} recorded (lead {row.lead_id})")
        prefix = "dry run: " if dry_run else ""
        self.stdout.write(f"{prefix}{result.rows} rows: {result.recorded} recorded, "
                          f"{result.skipped} skipped, {result.rejected} refused")
        if result.errors_path:
            self.stdout.write(f"row errors: {result.errors_path}")
