"""Reading import files as a stream of rows: CSV in whatever encoding
(`importers.encodings`) and delimiter can be detected, and XLSX
(`importers.xlsx`). Never the whole file in memory; every file held to the
import limits (`importers.table.Limits`).

A reader gives the header and then `(row_number, values)` pairs, where
`row_number` is the row as a spreadsheet shows it (the header is row 1).
Bytes that do not decode are kept as surrogates (`errors="surrogateescape"`),
so a bad row becomes a row error that names the row, and the import goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

from .encodings import SAMPLE_BYTES, detect_encoding
from .table import BadRow, LimitError, Limits, ReadError, Table, cell_text, clean_headers, counted
from .xlsx import open_xlsx

__all__ = ["BadRow", "Limits", "LimitError", "ReadError", "Table", "cell_text", "open_csv",
           "open_table", "open_xlsx", "file_encoding", "has_bad_bytes", "detect_delimiter"]

DELIMITERS = ",;\t|"
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

# csv's default limit (128 KiB) is for one field; a hostile file may try more.
csv.field_size_limit(1024 * 1024)


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


def file_encoding(path: Path) -> str:
    """The encoding a CSV file is detected to be in (what `open_csv` reads it as)."""
    with open(path, "rb") as handle:
        return detect_encoding(handle.read(SAMPLE_BYTES))


def open_csv(path: Path, encoding: str = "", delimiter: str = "",
             limits: Limits | None = None) -> Table:
    limits = limits or Limits.from_settings()
    size = os.path.getsize(path)
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
        header = limits.header(header)
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
            yield number, limits.row(values, headers)

    headers = clean_headers(header)
    return Table(headers, counted(rows(), limits), "csv", encoding=encoding,
                 delimiter=delimiter, _close=[stream.close, handle.close],
                 fraction=lambda: min(1.0, handle.tell() / max(size, 1)))


def open_table(path: Path, *, encoding: str = "", delimiter: str = "", sheet: str = "",
               limits: Limits | None = None) -> Table:
    """Open an import file by its content: XLSX (a zip) or else CSV."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"no such file: {path}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04" or path.suffix.lower() in XLSX_SUFFIXES:
        return open_xlsx(path, sheet, limits)
    return open_csv(path, encoding, delimiter, limits)
