"""Imports: a CSV or XLSX file of leads (or of accounts) into Leadgate.

Used alike by `leadgate import FILE` and the web upload's background job. The file is read as a
stream (`importers.readers`), each column is mapped to a field (`--map` over a
preset over a guess from the header, `importers.presets`), each row is parsed
like any other submission (`fields.parse`) and taken by `pipeline.receive()`
semantics with a fingerprint of its content, so importing a file twice adds
nothing. Rows are written in chunks, one transaction each, through the bulk
path (`importers.bulk`), which behaves as receive() row by row.

Rejected rows go to a row-error CSV (row number, field, reason, the row as it
was). An `ImportRun` records what was asked and what happened.

Each write transaction takes as many rows as fit in about a quarter of a
second (`lib.write_budget`, measured as it goes): on SQLite the web app, the
worker and the scheduler wait for the one writer, so an import must never make
them wait long, however big the file.

An import started in the web app is a background job (`import_jobs`) that
runs this same code on the ImportRun the web app created, queued. Either way
the run's `progress` (rows read) is written about once a second, one UPDATE of
its row between chunks; a file that stops being readable part-way (a
`ReadError`, such as a limit passed) leaves the run failed with that message,
and the rows taken before it stay taken (a second import skips them).

A dry run (a preview) runs the same code with its writes kept in memory
(`importers.preview`), in no transaction: it only reads, so it holds no lock
anyone waits for, and reports what the import would do. It writes no lead,
inquiry, account, source or campaign: only the ImportRun marked `dry_run`
(short writes of its one row: at its start, of its progress, at its end) and
the error file.
"""

from __future__ import annotations

import csv
import logging
import math
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from leadgate.leads.models import User
from leadgate.leads.worker import first_line
from leadgate.lib.write_budget import WriteBudget

from .fields import IntakeError
from .headers import unit_multiplier
from .importers.accounts import account_values, take_account
from .importers.bulk import ImportState, Item, receive_many
from .importers.presets import (
    MappingError,
    build_mapping,
    check_recognisable,
    parse_map_options,
)
from .importers.preview import Preview
from .importers.readers import BadRow, ReadError, Table, has_bad_bytes, open_table
from .importers.rows import (
    Parsed,
    Prepared,
    Rejected,
    RowContext,
    bad_bytes_error,
    batches,
    prepare_batch,
    row_values,
    split_row,
)
from .models import Campaign, ImportRun, Source
from .pipeline import AlreadyReceived, receive

__all__ = ["ImportFailed", "ImportOptions", "ImportSetupError", "MappingError", "ReadError",
           "figures", "run_import", "open_import", "parse_map_options", "imports_dir",
           "row_values"]

logger = logging.getLogger("leadgate.imports")

CHUNK_SIZE = 2000
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
# A sign starts a formula only when an operator or a reference follows it:
# a signed number or an international phone number (digits and spaces after
# the "+") is read as a value, so it is left as it is.
SIGNS = ("+", "-")
PLAIN_NUMBER_OR_PHONE = re.compile(r"^(\+\d[\d ]*\d|[+-]\d+([.,]\d+)?)$")
# The rows read so far are written to the run at most this often (seconds).
PROGRESS_SECONDS = 1.0


class ImportSetupError(ValueError):
    """The import cannot start: unreadable file, bad mapping, no usable columns."""


class ImportFailed(ImportSetupError):
    """The file stopped being readable part-way (a ReadError: a limit passed,
    say); `run` is saved failed, with the counts of the rows taken before."""

    def __init__(self, message: str, run: ImportRun):
        super().__init__(message)
        self.run = run


@dataclass
class ImportOptions:
    target: str = "leads"  # or "accounts"
    preset: str = ""
    mapping: dict[str, str] = field(default_factory=dict)  # explicit: column -> field
    source: str = ""
    campaign: str = ""
    dry_run: bool = False
    errors_path: str = ""
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    by: User | None = None
    progress: bool = False
    chunk_size: int = CHUNK_SIZE
    row_by_row: bool = False  # receive() per row instead of the bulk path (to measure)
    workers: int = 0  # processes that parse rows while this one writes (0: none)


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    merged: int = 0  # leads: joined an existing lead; accounts: updated
    within: int = 0  # leads: of `merged`, those joining a lead an earlier row created
    skipped: int = 0  # leads: already imported; accounts: nothing new
    rejected: int = 0
    accounts_created: int = 0  # leads: the accounts made for new leads
    accounts_matched: int = 0  # leads: accounts already there that new leads joined
    warnings: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)


# What an ImportRun keeps in `mapping` beside its columns (the model's own
# fields hold rows, created, merged, skipped and rejected).
FIGURES = ("merged_within", "accounts_created", "accounts_matched")


def figures(run: ImportRun) -> dict[str, object]:
    """Everything an import (or its preview) reported, by name: what a preview
    and the import of the same file must agree on."""
    extra = {name: run.mapping.get(name, 0) for name in FIGURES}
    return {"rows": run.rows, "created": run.created, "merged": run.merged,
            "merged_existing": run.merged - int(extra["merged_within"] or 0),
            **extra, "skipped": run.skipped, "rejected": run.rejected,
            "reasons": run.mapping.get("reasons", {}),
            "warnings": run.mapping.get("warnings", {})}


def imports_dir() -> Path:
    """Where imports keep uploads and row-error files (under LEADGATE_DATA_DIR)."""
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(name).stem).strip("-.")[:60] or "import"


def spreadsheet_safe(value: str) -> str:
    """Printable, valid UTF-8, and never a formula when a spreadsheet opens it."""
    if has_bad_bytes(value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if value.startswith(SIGNS) and PLAIN_NUMBER_OR_PHONE.match(value):
        return value  # "+4915011303882", "-12.5": what a CRM must receive intact
    return "'" + value if value.startswith(DANGEROUS_START) else value


class ErrorFile:
    """The row-error CSV, opened at the first rejected row."""

    def __init__(self, path: Path, headers: list[str]):
        self.path, self.headers = path, headers
        self.handle: IO[str] | None = None
        self.writer: csv._writer | None = None  # type: ignore[name-defined]

    def add(self, number: int, field_name: str, reason: str, values: list[str]) -> None:
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self.writer = csv.writer(self.handle)
            self.writer.writerow(["row", "field", "reason", *self.headers])
        self.writer.writerow([number, field_name, spreadsheet_safe(reason),
                              *(spreadsheet_safe(value) for value in values)])

    def close(self) -> None:
        if self.handle:
            self.handle.close()

    @property
    def written(self) -> bool:
        return self.writer is not None


@dataclass
class Plan:
    """An opened file and how its columns map."""

    table: Table
    mapping: dict[str, str | None]
    target: str


def open_import(path: Path, options: ImportOptions) -> Plan:
    """Open the file and work out the mapping; ImportSetupError when it cannot work."""
    try:
        table = open_table(path, encoding=options.encoding, delimiter=options.delimiter,
                           sheet=options.sheet)
    except ReadError as error:
        raise ImportSetupError(str(error)) from error
    try:
        mapping = build_mapping(table.headers, options.target, options.preset, options.mapping)
        check_recognisable(mapping, options.target)
    except MappingError as error:
        table.close()
        raise ImportSetupError(str(error)) from error
    return Plan(table, mapping, options.target)


@contextmanager
def progress_bar(enabled: bool, description: str) -> Iterator[Callable[[int], object]]:
    if not enabled:
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(desc=description, unit=" rows", file=sys.stderr, unit_scale=True) as bar:
        yield bar.update


class Progress:
    """The importer's `advance(rows)`: moves the progress bar, and writes the
    rows read so far to the run at most every PROGRESS_SECONDS (a single
    UPDATE: the importer calls it between its transactions)."""

    def __init__(self, run: ImportRun, table: Table, bar: Callable[[int], object],
                 clock: Callable[[], float] = time.monotonic):
        self.run, self.table, self.bar, self.clock = run, table, bar, clock
        self.rows, self.written_at = 0, -math.inf

    def __call__(self, rows: int) -> None:
        self.rows += rows
        self.bar(rows)
        now = self.clock()
        if now - self.written_at >= PROGRESS_SECONDS:
            self.written_at = now
            self.run.note_progress(self.rows, self.fraction())

    def fraction(self) -> float | None:
        """How far into the file the reader is, when it can tell (0: it cannot)."""
        return self.table.fraction() or None


def source_and_campaign(options: ImportOptions, create: bool
                        ) -> tuple[Source | None, Campaign | None]:
    source = campaign = None
    if options.source:
        source = Source.objects.filter(name=options.source).first()
        if source is None and create:
            source = Source.objects.create(name=options.source, kind=Source.Kind.OTHER)
    if options.campaign:
        campaign = Campaign.objects.filter(name=options.campaign).first()
        if campaign is None and create:
            owner = source or Source.objects.get_or_create(
                name="Import", defaults={"kind": Source.Kind.OTHER}
            )[0]
            campaign = Campaign.objects.create(name=options.campaign, source=owner)
    return source, campaign


def run_import(path: Path | str, options: ImportOptions, *, file_name: str = "",
               run: ImportRun | None = None) -> ImportRun:
    """Import a file; returns its ImportRun, saved done with the counts.

    `run`: an ImportRun created beforehand (a web import's job, queued) to
    record this import on, instead of a new one.

    ImportSetupError when it cannot start (a `run` given is saved failed with
    the reason); ImportFailed when the file stops being readable part-way (a
    ReadError), with the run saved failed, the counts of what was taken kept.
    Any other error (or an interrupt) saves the run failed ("the import
    stopped: ...") and is raised again."""
    path = Path(path)
    try:
        plan = open_import(path, options)
    except ImportSetupError as error:
        if run is not None:
            run.fail(str(error))
        raise
    source, campaign = source_and_campaign(options, create=False)
    asked = {"file_name": (file_name or (run.file_name if run else "") or path.name)[:255],
             "preset": options.preset, "dry_run": options.dry_run, "by": options.by,
             "mapping": {"as": options.target, "columns": plan.mapping,
                         "encoding": plan.table.encoding, "delimiter": plan.table.delimiter},
             "source": source, "campaign": campaign, "state": ImportRun.State.RUNNING,
             "started_at": timezone.now(), "progress": 0}
    if run is None:
        run = ImportRun.objects.create(**asked)
    else:
        for name, value in asked.items():
            setattr(run, name, value)
        run.save()
    errors_path = Path(options.errors_path) if options.errors_path else (
        imports_dir() / f"{run.pk}-{safe_stem(run.file_name)}.errors.csv"
    )
    errors = ErrorFile(errors_path, plan.table.headers)
    counts = Counts()
    clock = time.perf_counter()
    stopped: BaseException | None = None
    try:
        with progress_bar(options.progress, run.file_name) as bar:
            # A preview creates no source or campaign: the fingerprints take
            # their names, so its figures are the import's all the same.
            source, campaign = source_and_campaign(options, create=not options.dry_run)
            importer = import_accounts if options.target == "accounts" else import_leads
            importer(plan, options, source, campaign, errors, counts,
                     Progress(run, plan.table, bar))
    except BaseException as error:  # noqa: BLE001 - recorded on the run, then raised again
        stopped = error
    finally:
        plan.table.close()
        errors.close()
    readable = isinstance(stopped, (ReadError, ImportSetupError))
    failure = "" if stopped is None else str(stopped) if readable else (
        "the import stopped: it was interrupted (its process was told to stop)"
        if isinstance(stopped, (KeyboardInterrupt, SystemExit)) else
        f"the import stopped: {first_line(stopped)}")
    try:
        finish(run, options, counts, errors, time.perf_counter() - clock, source, campaign,
               failure)
    except DatabaseError:
        if stopped is None:
            raise
        logger.exception("import run %s: its failure could not be recorded", run.pk)
    if readable:
        raise ImportFailed(failure, run) from stopped
    if stopped is not None:
        raise stopped
    return run


def finish(run: ImportRun, options: ImportOptions, counts: Counts, errors: ErrorFile,
           seconds: float, source: Source | None, campaign: Campaign | None,
           failure: str) -> None:
    """Save the run's counts and end: done, or failed with `failure`."""
    run.rows, run.created, run.merged = counts.rows, counts.created, counts.merged
    run.skipped, run.rejected, run.progress = counts.skipped, counts.rejected, counts.rows
    run.errors_file = str(errors.path) if errors.written else ""
    run.finished_at = timezone.now()
    run.state = ImportRun.State.FAILED if failure else ImportRun.State.DONE
    run.failure = failure[:1000]
    run.mapping = {**run.mapping, "seconds": round(seconds, 3),
                   "warnings": dict(counts.warnings), "reasons": dict(counts.reasons)}
    if options.target == "leads":
        run.mapping.update(merged_within=counts.within, accounts_created=counts.accounts_created,
                           accounts_matched=counts.accounts_matched)
    if not options.dry_run:
        run.source, run.campaign = source, campaign
    run.save()


# -- leads ---------------------------------------------------------------------------

def prepared_rows(plan: Plan, context: RowContext, options: ImportOptions
                  ) -> Iterator[list[Prepared]]:
    """Parsed batches in file order; parsing runs in worker processes when
    `options.workers` says so (the main process meanwhile writes)."""
    chunks = batches(plan.table.rows, options.chunk_size)
    if options.workers <= 0:
        for batch in chunks:
            yield prepare_batch(context, batch)
        return
    import multiprocessing

    # fork: the workers inherit the configured settings; they touch no database.
    # At most a few batches are in flight, so memory stays flat however big the file.
    with multiprocessing.get_context("fork").Pool(options.workers) as pool:
        waiting: deque = deque()
        try:
            for batch in chunks:
                waiting.append(pool.apply_async(prepare_batch, (context, batch)))
                if len(waiting) > 2 * options.workers:
                    yield waiting.popleft().get()
        except ReadError:  # the batches read before it are taken first
            while waiting:
                yield waiting.popleft().get()
            raise
        while waiting:
            yield waiting.popleft().get()


def import_leads(plan: Plan, options: ImportOptions, source: Source | None,
                 campaign: Campaign | None, errors: ErrorFile, counts: Counts,
                 advance: Callable[[int], object]) -> None:
    context = RowContext(plan.table.headers, plan.mapping, plan.table.encoding,
                         source.name if source else options.source,
                         campaign.name if campaign else options.campaign)

    def reject(number: int, field_name: str, reason: str, values: list[str]) -> None:
        counts.rejected += 1
        counts.reasons[reason_kind(field_name, reason)] += 1
        errors.add(number, field_name, reason, values)

    taker = LeadTaker(options, source, campaign, ImportState.start(preview=options.dry_run),
                      counts, reject)
    try:
        for batch in prepared_rows(plan, context, options):
            counts.rows += len(batch)
            pending: Pending = []
            for prepared in batch:
                if isinstance(prepared, Rejected):
                    reject(prepared.number, prepared.field, prepared.reason, prepared.values)
                    continue
                pending.append(prepared)
                for name in prepared.item.data.warnings:
                    counts.warnings[name] += 1
            if pending:
                taker.take(pending)
            advance(len(batch))
        taker.state.commit()
    except BaseException:
        if taker.state.preview is not None:
            taker.state.commit()  # in memory: the accounts of the rows counted so far
        raise
    finally:  # stopped part-way too: the accounts of the rows taken
        counts.accounts_created = len(taker.state.accounts.created)
        counts.accounts_matched = len(taker.state.accounts.matched)


def reason_kind(field_name: str, reason: str) -> str:
    """A short key to count rejections by: the field and the reason without values."""
    general = re.sub(r"[0-9]+|'[^']*'|\"[^\"]*\"", "…", reason)[:80]
    return f"{field_name or 'row'}: {general}"


Pending = list[Parsed]


@dataclass
class LeadTaker:
    """Takes parsed rows: through the bulk path, in transactions sized to
    about a tenth of a second each (lib.write_budget); or row by row through
    receive() (asked for, or the replay of a bulk transaction that failed),
    likewise."""

    options: ImportOptions
    source: Source | None
    campaign: Campaign | None
    state: ImportState
    counts: Counts
    reject: Callable[[int, str, str, list[str]], None]
    # The bulk path takes some 4,000 rows a second, receive() some 300: the
    # first transactions are small and the budget grows them to fit.
    bulk: WriteBudget = field(default_factory=lambda: WriteBudget(first=250, most=CHUNK_SIZE))
    one_by_one: WriteBudget = field(default_factory=lambda: WriteBudget(first=20,
                                                                        most=CHUNK_SIZE))

    def take(self, pending: Pending) -> None:
        if self.state.preview is not None:
            # Reads only, in autocommit: no transaction, no lock anyone waits for.
            self.take_in_bulk([row.item for row in pending])
            return
        if self.options.row_by_row:
            self.take_one_by_one(pending)
            return
        for part in self.bulk.parts(pending):
            items = [row.item for row in part]
            try:
                with self.bulk.transaction(len(items), transaction.atomic):
                    self.take_in_bulk(items)
            except DatabaseError:
                self.state.rollback()  # accounts made in the rolled-back part are gone
                for item in items:
                    item.outcome, item.within = "", False
                self.take_one_by_one(part)
            else:
                self.state.commit()
                self.count(items)

    def take_in_bulk(self, items: list[Item]) -> None:
        receive_many(items, source=self.source, campaign=self.campaign, by=self.options.by,
                     state=self.state)
        if self.state.preview is not None:
            self.count(items)

    def count(self, items: list[Item]) -> None:
        counts = self.counts
        for item in items:
            setattr(counts, item.outcome, getattr(counts, item.outcome) + 1)
            counts.within += item.within

    def take_one_by_one(self, pending: Sequence[Parsed]) -> None:
        """Through receive() (also the replay of a part that failed); each row in
        a savepoint, a few of them per transaction."""
        state, counts = self.state, self.counts
        for part in self.one_by_one.parts(pending):
            with self.one_by_one.transaction(len(part), transaction.atomic):
                for row in part:
                    item = row.item
                    try:
                        with transaction.atomic():
                            result = receive(item.payload, channel="import", source=self.source,
                                             campaign=self.campaign, by=self.options.by,
                                             fingerprint=item.fingerprint, data=item.data)
                    except AlreadyReceived:
                        counts.skipped += 1
                    except IntakeError as error:
                        self.reject(row.number, error.field, error.message, row.values)
                    except DatabaseError as error:
                        self.reject(row.number, "", f"could not be stored: {error}", row.values)
                    else:
                        lead = result.lead
                        if result.created:
                            counts.created += 1
                            state.pending_leads.add(lead.pk)
                            if lead.account_id:
                                state.accounts.joined(lead.account_id, replay=True)
                        else:
                            counts.merged += 1
                            counts.within += (lead.pk in state.leads
                                              or lead.pk in state.pending_leads)
            state.commit()


# -- accounts ------------------------------------------------------------------------

def import_accounts(plan: Plan, options: ImportOptions, source: Source | None,
                    campaign: Campaign | None, errors: ErrorFile, counts: Counts,
                    advance: Callable[[int], object]) -> None:
    headers, mapping = plan.table.headers, plan.mapping
    # "Revenue ($M)": the column's bare figures are millions.
    revenue_unit = next((unit_multiplier(header) for header, name in mapping.items()
                         if name == "revenue"), 1)
    preview = Preview() if options.dry_run else None
    # Each row finds its account by name (fuzzily): a few milliseconds.
    budget = WriteBudget(first=50, most=options.chunk_size)

    def take(number: int, raw: list[str] | BadRow) -> None:
        counts.rows += 1
        values = row_values(headers, [] if isinstance(raw, BadRow) else raw)
        try:
            if isinstance(raw, BadRow):
                raise IntakeError("", raw.reason)
            error = bad_bytes_error(headers, values, plan.table.encoding)
            if error:
                raise error
            mapped, _ = split_row(headers, values, mapping, set())
            clean = account_values(mapped, counts.warnings, revenue_unit)
            if preview is not None:  # reads only: no transaction (nor savepoint)
                outcome = take_account(clean, preview)
            else:
                with transaction.atomic():
                    outcome = take_account(clean)
        except IntakeError as error:
            counts.rejected += 1
            counts.reasons[reason_kind(error.field, error.message)] += 1
            errors.add(number, error.field, error.message, values)
        except DatabaseError as error:
            counts.rejected += 1
            counts.reasons["row: could not be stored"] += 1
            errors.add(number, "", f"could not be stored: {error}", values)
        else:
            setattr(counts, outcome, getattr(counts, outcome) + 1)

    for chunk in batches(plan.table.rows, options.chunk_size):
        if preview is not None:
            for number, raw in chunk:
                take(number, raw)
        else:
            for part in budget.parts(chunk):
                with budget.transaction(len(part), transaction.atomic):
                    for number, raw in part:
                        take(number, raw)
        advance(len(chunk))
