"""Reading import files as a stream of rows: CSV in whatever encoding
(`importers.encodings`) and delimiter can be detected, and XLSX. Never the
whole file in memory.

A reader gives the header and then `(row_number, values)` pairs, where
`row_number` is the row as a spreadsheet shows it (the header is row 1).
Bytes that do not decode are kept as surrogates (`errors="surrogateescape"`),
so a bad row becomes a row error that names the row, and the import goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from .encodings import SAMPLE_BYTES, detect_encoding

DELIMITERS = ",;\t|"
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

# csv's default limit (128 KiB) is for one field; a hostile file may try more.
csv.field_size_limit(1024 * 1024)


class ReadError(ValueError):
    """The file cannot be read as a table."""


class BadRow(list):
    """A row the CSV parser could not split (it becomes a row error)."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@dataclass
class Table:
    """An open import file: its header, how it was read, and its rows."""

    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    details: dict[str, str] = field(default_factory=dict)
    _close: list = field(default_factory=list, repr=False)

    def close(self) -> None:
        for close in self._close:
            close()
        self._close.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def has_bad_bytes(text: str) -> bool:
    """True when the text holds bytes that did not decode (lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _consistent(lines: list[str], delimiter: str) -> int:
    """How many columns every sample line has with this delimiter (0 if they differ)."""
    counts = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
    return counts.pop() if len(counts) == 1 else 0


def detect_delimiter(text: str) -> str:
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last sampled line may be cut short
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and _consistent(lines, found) > 1:
        return found
    # The sniffer is unsure: the delimiter giving most columns, the same on every line.
    best = max(DELIMITERS, key=lambda d: (_consistent(lines, d), lines[0].count(d) if lines
                                          else 0))
    return best if lines and best in lines[0] else ","


def _clean_headers(raw: list[str]) -> list[str]:
    headers, seen = [], set()
    for i, text in enumerate(raw, start=1):
        name = (text or "").strip().lstrip("\ufeff") or f"column {i}"
        base, n = name, 2
        while name in seen:  # two columns of one name: both kept, told apart
            name, n = f"{base} ({n})", n + 1
        seen.add(name)
        headers.append(name)
    return headers


def file_encoding(path: Path) -> str:
    """The encoding a CSV file is detected to be in (what `open_csv` reads it as)."""
    with open(path, "rb") as handle:
        return detect_encoding(handle.read(SAMPLE_BYTES))


def open_csv(path: Path, encoding: str = "", delimiter: str = "") -> Table:
    handle = open(path, "rb")  # noqa: SIM115 - closed by Table.close
    try:
        sample = handle.read(SAMPLE_BYTES)
        handle.seek(0)
        encoding = encoding or detect_encoding(sample)
        if encoding.replace("_", "-").lower() in ("utf-8", "utf8") and sample.startswith(
            codecs.BOM_UTF8
        ):
            encoding = "utf-8-sig"
        try:
            codecs.lookup(encoding)
        except LookupError as error:
            raise ReadError(f"encoding: unknown encoding {encoding!r}; name one such as "
                            "utf-8, cp1252, latin-1 or cp1250") from error
        text_sample = sample.decode(encoding, errors="replace")
        delimiter = delimiter.replace("\\t", "\t").replace("tab", "\t") or detect_delimiter(
            text_sample.lstrip("\ufeff")
        )
        stream = io.TextIOWrapper(handle, encoding=encoding, errors="surrogateescape",
                                  newline="")
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ReadError("the file is empty") from None
        except csv.Error as error:
            raise ReadError(f"the header cannot be read: {error}") from error
    except BaseException:
        handle.close()
        raise

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                number += 1
                yield number, BadRow(f"cannot be read as CSV: {error}")
                continue
            number += 1
            if not any(value.strip() for value in values):
                continue  # blank lines are not rows
            yield number, values

    return Table(_clean_headers(header), rows(), "csv", encoding=encoding,
                 delimiter=delimiter, _close=[stream.close, handle.close])


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed as numbers: no ".0"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def open_xlsx(path: Path, sheet: str = "") -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # zip, XML and openpyxl's own errors alike
        raise ReadError(f"not a readable XLSX workbook: {error}") from error
    try:
        if sheet:
            if sheet not in book.sheetnames:
                raise ReadError(f"no sheet {sheet!r}; the sheets are {book.sheetnames}")
            worksheet = book[sheet]
        else:
            worksheet = book.worksheets[0]
        cells = worksheet.iter_rows(values_only=True)
        try:
            header = [cell_text(value) for value in next(cells)]
        except StopIteration:
            raise ReadError("the sheet is empty") from None
        while header and not header[-1]:
            header.pop()
    except BaseException:
        book.close()
        raise

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(cells, start=2):
            texts = [cell_text(value) for value in values]
            if any(text.strip() for text in texts):
                yield number, texts

    return Table(_clean_headers(header), rows(), "xlsx",
                 details={"sheet": worksheet.title}, _close=[book.close])


def open_table(path: Path, *, encoding: str = "", delimiter: str = "", sheet: str = "") -> Table:
    """Open an import file by its content: XLSX (a zip) or else CSV."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"no such file: {path}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04" or path.suffix.lower() in XLSX_SUFFIXES:
        return open_xlsx(path, sheet)
    return open_csv(path, encoding, delimiter)
