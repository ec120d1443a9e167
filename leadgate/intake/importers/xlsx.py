"""Reading an XLSX workbook that may be hostile, as a stream of rows.

A workbook is a zip of XML parts; what it declares is not trusted:
- before anything is parsed, the zip's directory is checked: the parts may
  unpack to at most `Limits.unpacked_bytes`, none may unpack to over
  MOST_RATIO times its packed size (a zip bomb), and the parts read whole
  into memory (shared strings, styles, the workbook) to at most
  `Limits.whole_bytes`. zipfile stops any part at its declared size, so the
  declared sizes hold;
- the sheet is parsed cell by cell (`iterparse`, each element dropped once
  read), never through openpyxl's worksheet reader, which trusts the
  declared dimension (one cell at XFD1048576 becomes 17 billion empty cells)
  and builds every row, and every sheet without a dimension, whole;
- only cells holding a value count: a row is as wide as its last value,
  rows without values are skipped for free, and a row or column beyond what
  Excel itself can hold is an error, as is a row element with more cells;
- XML entity bombs are stopped: in the sheet by expat's amplification limit
  (expat 2.4.1 and later; with an older one the sheet goes through
  defusedxml, a quarter slower), in the parts openpyxl parses by defusedxml,
  which refuses entities; no external entity is ever fetched.

openpyxl still reads the package (content types, workbook, shared strings,
styles for dates) and each cell's value (`WorkSheetParser.parse_cell`).
"""

from __future__ import annotations

import pyexpat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from .table import BadRow, LimitError, Limits, ReadError, Table, cell_text, clean_headers

# What Excel itself holds at most: more is not a workbook but an attack.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
MOST_PARTS = 10_000
# Real sheets pack 5 to 20 times; a large part packed far tighter is a bomb.
MOST_RATIO = 100
RATIO_FROM_BYTES = 10 * 2**20
CONTENT_TYPES = "[Content_Types].xml"
MOST_CONTENT_TYPES_BYTES = 2**20
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MACRO_SHEET_TYPES = {WORKSHEET_TYPE, "application/vnd.ms-excel.worksheet"}

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL, SHEET_DATA = f"{MAIN}row", f"{MAIN}c", f"{MAIN}sheetData"


def iterparse(source: Any, events: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """The C parser where expat limits entity amplification (2.4.1 and later);
    defusedxml's, which refuses any entity, with an older expat."""
    if pyexpat.version_info >= (2, 4, 1):
        parsed = ElementTree.iterparse(source, events=events)  # noqa: S314 - expat limits entities
    else:
        from defusedxml.ElementTree import iterparse as defused

        parsed = defused(source, events=events, forbid_dtd=True)
    try:
        yield from parsed
    except (ElementTree.ParseError, ValueError) as error:  # defusedxml's are ValueErrors
        raise ReadError(f"the sheet is not a readable workbook sheet: {error}") from None


def megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def check_package(path: Path, limits: Limits) -> list[zipfile.ZipInfo]:
    """The zip's parts, when their declared sizes are within the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ReadError(f"not a readable XLSX workbook: {error}") from error
    if len(parts) > MOST_PARTS:
        raise ReadError(f"not a workbook: a zip of {len(parts):,} parts")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.unpacked_bytes:
        raise LimitError(f"the workbook unpacks to {megabytes(unpacked)}, over the limit of "
                         f"{megabytes(limits.unpacked_bytes)} "
                         "(LEADGATE_IMPORT_MAX_XLSX_UNPACKED_MB)")
    for part in parts:
        if part.file_size > RATIO_FROM_BYTES and (
            part.file_size > MOST_RATIO * max(part.compress_size, 1)
        ):
            ratio = part.file_size // max(part.compress_size, 1)
            raise LimitError(f"not a workbook: its part {part.filename[:100]} unpacks "
                             f"{ratio:,} times its packed size (a zip bomb; real workbooks "
                             f"pack at most about 20 times)")
        if part.filename == CONTENT_TYPES and part.file_size > MOST_CONTENT_TYPES_BYTES:
            raise ReadError(f"not a workbook: its {CONTENT_TYPES} is {megabytes(part.file_size)}")
    return parts


def check_whole_parts(parts: list[zipfile.ZipInfo], sheets: set[str], limits: Limits) -> None:
    """The parts read whole (all XML but the worksheets) must fit in memory."""
    whole = sum(part.file_size for part in parts
                if part.filename not in sheets
                and part.filename.lower().endswith((".xml", ".rels")))
    if whole > limits.whole_bytes:
        raise LimitError(f"the workbook's shared strings and other parts read whole unpack "
                         f"to {megabytes(whole)}, over the limit of "
                         f"{megabytes(limits.whole_bytes)} (LEADGATE_IMPORT_MAX_XLSX_STRINGS_MB)")


def open_package(path: Path, limits: Limits) -> Any:
    """openpyxl's reader with the package read, but no worksheet."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    parts = check_package(path, limits)
    try:
        reader = ExcelReader(str(path), read_only=True, data_only=True)
    except Exception as error:  # openpyxl's own kinds of "this is not a workbook"
        raise ReadError(f"not a readable XLSX workbook: {error}") from error
    try:
        reader.read_manifest()
        sheets = {override.PartName.lstrip("/") for override in reader.package.Override
                  if override.ContentType in MACRO_SHEET_TYPES}
        check_whole_parts(parts, sheets, limits)
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
    except ReadError:
        reader.archive.close()
        raise
    except Exception as error:  # XML, zip (a bad CRC), openpyxl: all one to the user
        reader.archive.close()
        raise ReadError(f"not a readable XLSX workbook: {error}") from error
    return reader


class CountingReader:
    """A part's stream that counts what it has given (for progress)."""

    def __init__(self, source: IO[bytes], size: int):
        self.source, self.size, self.read_bytes = source, max(size, 1), 0

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.read_bytes += len(data)
        return data

    def fraction(self) -> float:
        return min(1.0, self.read_bytes / self.size)


def sheet_cells(source: CountingReader, parser: Any) -> Iterator[tuple[int, dict[int, object]]]:
    """(row number, {column: value}) for each row element, values only. Each
    element is dropped from its parent once read (a cell's parts once the cell
    is), so memory stays flat however long the sheet, a row or anything else."""
    rows = number = count = 0
    cells: dict[int, object] = {}
    open_elements: list[Any] = []
    in_cell = False
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            open_elements.append(element)
            if tag == CELL:
                in_cell = True
            elif tag == ROW:
                rows += 1
                given = element.get("r")
                try:
                    number = int(given) if given else number + 1
                except ValueError:
                    raise ReadError(f"not a workbook: row number {given[:20]!r}") from None
                if rows > EXCEL_MAX_ROWS or not 0 < number <= EXCEL_MAX_ROWS:
                    raise ReadError(f"not a workbook: more than the {EXCEL_MAX_ROWS:,} rows "
                                    "a sheet can hold")
                parser.row_counter, parser.col_counter = number, 0
                cells, count = {}, 0
            continue
        open_elements.pop()
        if tag == CELL:
            in_cell = False
            count += 1
            if count > EXCEL_MAX_COLUMNS:
                raise ReadError(f"not a workbook: row {number:,} has more than the "
                                f"{EXCEL_MAX_COLUMNS:,} cells a row can hold")
            try:
                cell = parser.parse_cell(element)
            except (ValueError, IndexError, TypeError, KeyError) as error:
                raise ReadError(f"row {number:,}: a cell cannot be read ({error})") from None
            column = cell["column"]
            if not 0 < column <= EXCEL_MAX_COLUMNS:
                raise ReadError(f"not a workbook: row {number:,} has a cell beyond the "
                                f"{EXCEL_MAX_COLUMNS:,} columns a row can hold")
            if cell["value"] is not None and cell["value"] != "":
                cells[column] = cell["value"]
        elif tag == ROW:
            yield number, cells
        elif tag == SHEET_DATA:
            return  # what follows the rows (merged cells, print settings) is not data
        if not in_cell and open_elements:
            open_elements[-1].remove(element)


def row_texts(cells: dict[int, object], limits: Limits) -> list[str] | None:
    """The row as texts up to its last value; None when its last value lies
    beyond the column limit (the caller names the row)."""
    if not cells:
        return []
    width = max(cells)
    if width > limits.columns:
        return None
    texts = [""] * width
    for column, value in cells.items():
        texts[column - 1] = cell_text(value)
    return texts


def open_xlsx(path: Path, sheet: str = "", limits: Limits | None = None) -> Table:
    from openpyxl.worksheet._reader import WorkSheetParser

    limits = limits or Limits.from_settings()
    reader = open_package(path, limits)
    archive = reader.archive
    try:
        found = [(entry.name, rel.target) for entry, rel in reader.parser.find_sheets()
                 if "chartsheet" not in rel.Type and rel.target in reader.valid_files]
        if not found:
            raise ReadError("the workbook has no sheet")
        if sheet:
            named = [target for name, target in found if name == sheet]
            if not named:
                raise ReadError(f"no sheet {sheet!r}; the sheets are {[n for n, _ in found]}")
            title, target = sheet, named[0]
        else:
            title, target = found[0]
        source = CountingReader(archive.open(target), archive.getinfo(target).file_size)
        book = reader.wb
        parser = WorkSheetParser(source, reader.shared_strings, data_only=True,
                                 epoch=book.epoch, date_formats=book._date_formats,
                                 timedelta_formats=book._timedelta_formats)
        cells = sheet_cells(source, parser)
        header: list[str] = []
        try:
            for _, values in cells:
                texts = row_texts(values, limits)
                if texts is None:
                    raise LimitError(limits.too_wide(max(values), "the header has"))
                if any(text.strip() for text in texts):
                    header = limits.header(texts)
                    break
        except zipfile.BadZipFile as error:
            raise ReadError(f"not a readable XLSX workbook: {error}") from error
        if not header:
            raise ReadError("the sheet is empty")
    except BaseException:
        archive.close()
        raise
    headers = clean_headers(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        taken = 0
        try:
            for number, values in cells:
                texts = row_texts(values, limits)
                if texts is None:
                    texts = BadRow(limits.too_wide(max(values), "has"))
                elif not any(text.strip() for text in texts):
                    continue
                else:
                    texts = limits.row(texts, headers)
                taken += 1
                if taken > limits.rows:
                    raise limits.too_many_rows()
                yield number, texts
        except zipfile.BadZipFile as error:
            raise ReadError(f"the workbook is damaged: {error}") from error

    return Table(headers, rows(), "xlsx", details={"sheet": title},
                 _close=[source.source.close, archive.close], fraction=source.fraction)
