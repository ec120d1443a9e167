"""`leadgate import FILE`: leads (or accounts) from a CSV or XLSX file."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from leadgate.intake.importers.presets import REGISTRY, MappingError, parse_map_options
from leadgate.intake.imports import (
    ImportFailed,
    ImportOptions,
    ImportSetupError,
    figures,
    run_import,
)
from leadgate.leads.models import User
from leadgate.sqlite.base import as_background


class Command(BaseCommand):
    help = (
        "Import leads (or, with --as accounts, companies) from a CSV file in any "
        "detectable encoding and delimiter, or an XLSX workbook. Columns are guessed from "
        "the headers; --preset and --map override. Re-importing a file adds nothing; "
        "rejected rows are listed with the reason in a row-error CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (or .txt/.tsv) or .xlsx file")
        parser.add_argument("--preset", choices=sorted(REGISTRY), default="",
                            help="the columns of a known CRM export")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                            help='"Column Name=field" (repeatable); "Column=-" keeps the '
                                 "column in the payload only")
        parser.add_argument("--source", default="", help="source name (created if new)")
        parser.add_argument("--campaign", default="", help="campaign name (created if new)")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would happen; write nothing (and hold no "
                                 "write lock: safe beside a running service)")
        parser.add_argument("--errors", default="", metavar="PATH",
                            help="row-error CSV (default: LEADGATE_DATA_DIR/imports/...)")
        parser.add_argument("--as", dest="target", choices=["leads", "accounts"],
                            default="leads", help="what the rows are (leads)")
        parser.add_argument("--encoding", default="",
                            help="the CSV's encoding, such as utf-8, cp1252, latin-1 or cp1250 "
                                 "(detected; Western cp1252 when it is ambiguous)")
        parser.add_argument("--delimiter", default="", help="the CSV's delimiter (detected)")
        parser.add_argument("--sheet", default="", help="the XLSX sheet (the first)")
        parser.add_argument("--user", default="", help="username recorded as the importer")
        parser.add_argument("--chunk-size", type=int, default=2000,
                            help="rows parsed at a time, and the most per transaction (2000; "
                                 "each transaction also stops at about 0.25 s)")
        parser.add_argument("--row-by-row", action="store_true",
                            help="receive() one row at a time (slower; for comparison)")
        parser.add_argument("--workers", type=int, default=None,
                            help="processes that parse rows while this one writes (default: "
                                 "1 for files over 1 MB on a machine with 2+ CPUs, else 0)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, file, preset, map, source, campaign, dry_run, errors, target,
               encoding, delimiter, sheet, user, chunk_size, row_by_row, workers, quiet,
               **options):
        by = None
        if user:
            by = User.objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"--user: no user {user!r}")
        try:
            mapping = parse_map_options(map)
        except MappingError as error:
            raise CommandError(str(error)) from error
        if workers is None:
            big = os.path.isfile(file) and os.path.getsize(file) > 2**20
            workers = 1 if big and (os.cpu_count() or 1) > 1 else 0
        progress = not quiet and options.get("verbosity", 1) > 0 and sys.stderr.isatty()
        settings = ImportOptions(
            target=target, preset=preset, mapping=mapping, source=source, campaign=campaign,
            dry_run=dry_run, errors_path=errors, encoding=encoding, delimiter=delimiter,
            sheet=sheet, by=by, progress=progress, chunk_size=max(chunk_size, 1),
            row_by_row=row_by_row, workers=workers,
        )
        try:
            # A long writer beside the service: on SQLite its batches let waiting
            # writes go first (an API request waited behind batch after batch).
            with as_background():
                run = run_import(file, settings)
        except ImportFailed as error:
            # Part-way: what was taken before stays taken (a second import skips it).
            self.report(error.run, target)
            raise CommandError(str(error)) from error
        except ImportSetupError as error:
            raise CommandError(str(error)) from error
        self.report(run, target)

    def report(self, run, target: str) -> None:
        seconds = run.mapping.get("seconds") or 0.0
        rate = run.rows / seconds if seconds else 0.0
        what = "Dry run (nothing written) of" if run.dry_run else "Imported"
        style = self.style.SUCCESS
        if run.state == run.State.FAILED:
            what, style = f"Stopped part-way: {what.lower()}", self.style.WARNING
        self.stdout.write(style(
            f"{what} {run.file_name}: {run.rows:,} rows in {seconds:.1f}s ({rate:,.0f} rows/s)"
        ))
        would = "would be " if run.dry_run else ""
        if target == "accounts":
            lines = [(f"{would}created", run.created), (f"{would}updated", run.merged),
                     ("unchanged", run.skipped), (f"{would}rejected", run.rejected)]
        else:
            figures_ = figures(run)
            lines = [(f"{would}created (new leads)", run.created),
                     (f"{would}merged (known person)", figures_["merged_existing"]),
                     (f"{would}merged (same person in file)", figures_["merged_within"]),
                     ("skipped (already imported)", run.skipped),
                     (f"{would}rejected", run.rejected),
                     (f"accounts {would}created", figures_["accounts_created"]),
                     ("accounts matched", figures_["accounts_matched"])]
        for label, count in lines:
            self.stdout.write(f"  {label:<36} {count:>10,}")
        if run.mapping.get("encoding"):  # so a file read in the wrong one is seen at once
            self.stdout.write(f"  read as {run.mapping['encoding']} "
                              "(another: --encoding NAME)")
        for field, count in sorted(run.mapping.get("warnings", {}).items()):
            self.stdout.write(f"  warning: {field} not recognised in {count:,} rows (kept)")
        for reason, count in sorted(run.mapping.get("reasons", {}).items(),
                                    key=lambda item: -item[1])[:10]:
            self.stdout.write(f"  rejected {count:,}: {reason}")
        if run.errors_file:
            self.stdout.write(f"  row errors: {run.errors_file}")
        self.stdout.write(f"  import run: {run.pk}")
