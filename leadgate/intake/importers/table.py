"""What every import reader gives (a `Table`: a header and numbered rows) and
the limits every reader holds a file to, whatever the file declares.

A file past a limit is refused with a `LimitError` naming the limit and the
setting that raises it: before reading when its size tells (a workbook's
unpacked parts), while reading otherwise (its rows). A row past the column or
cell-length limit becomes a row error (`BadRow`), and the import goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings


class ReadError(ValueError):
    """The file cannot be read as a table."""


class LimitError(ReadError):
    """The file passes one of the import limits (settings LEADGATE_IMPORT_MAX_*)."""


class BadRow(list):
    """A row that cannot be taken as it is (it becomes a row error)."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cell_chars: int
    unpacked_bytes: int  # a workbook's parts, unpacked
    whole_bytes: int  # a workbook's parts read whole into memory (its shared strings)

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(rows=settings.LEADGATE_IMPORT_MAX_ROWS,
                   columns=settings.LEADGATE_IMPORT_MAX_COLUMNS,
                   cell_chars=settings.LEADGATE_IMPORT_MAX_CELL_CHARS,
                   unpacked_bytes=settings.LEADGATE_IMPORT_MAX_XLSX_UNPACKED_MB * 2**20,
                   whole_bytes=settings.LEADGATE_IMPORT_MAX_XLSX_STRINGS_MB * 2**20)

    def too_many_rows(self) -> LimitError:
        return LimitError(f"the file has more than {self.rows:,} rows, the limit "
                          f"(LEADGATE_IMPORT_MAX_ROWS): the rows before were read; split "
                          "the file and import the rest")

    def too_wide(self, width: int, what: str) -> str:
        return (f"{what} a value in column {width:,}, over the limit of {self.columns:,} "
                "columns (LEADGATE_IMPORT_MAX_COLUMNS)")

    def header(self, values: list[str]) -> list[str]:
        """The header's cells, or LimitError when it is too wide or a cell too long."""
        width = len(values)
        while width and not values[width - 1].strip():
            width -= 1
        if width > self.columns:
            raise LimitError(self.too_wide(width, "the header has"))
        for number, value in enumerate(values, start=1):
            if len(value) > self.cell_chars:
                raise LimitError(f"column {number} of the header holds {len(value):,} "
                                 f"characters, over the limit of {self.cell_chars:,} "
                                 "(LEADGATE_IMPORT_MAX_CELL_CHARS)")
        return values[:width]

    def row(self, values: list[str], headers: list[str]) -> list[str]:
        """The row, or a BadRow naming the limit it passes."""
        width = len(values)
        while width and not values[width - 1].strip():
            width -= 1  # trailing empty cells hold nothing
        if width > self.columns:
            return BadRow(self.too_wide(width, "has"))
        for i, value in enumerate(values[:width]):
            if len(value) > self.cell_chars:
                name = headers[i] if i < len(headers) else f"column {i + 1}"
                return BadRow(f"{name} holds {len(value):,} characters, over the limit of "
                              f"{self.cell_chars:,} (LEADGATE_IMPORT_MAX_CELL_CHARS)")
        return values[:width] if width < len(values) else values


def counted(rows: Iterator[tuple[int, list[str]]], limits: Limits
            ) -> Iterator[tuple[int, list[str]]]:
    """The rows, stopped by a LimitError once there are more than the limit."""
    for count, row in enumerate(rows, start=1):
        if count > limits.rows:
            raise limits.too_many_rows()
        yield row


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
    # How much of the file has been read, 0 to 1 (for progress).
    fraction: Callable[[], float] = field(default=lambda: 0.0, repr=False)

    def close(self) -> None:
        for close in self._close:
            close()
        self._close.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def clean_headers(raw: list[str]) -> list[str]:
    headers, seen = [], set()
    for i, text in enumerate(raw, start=1):
        name = (text or "").strip().lstrip("\ufeff") or f"column {i}"
        base, n = name, 2
        while name in seen:  # two columns of one name: both kept, told apart
            name, n = f"{base} ({n})", n + 1
        seen.add(name)
        headers.append(name)
    return headers


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
