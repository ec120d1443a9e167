"""Rows of an import file, from the reader's values to items to take:
padded to the header, split into mapped fields and the rest, parsed, and
fingerprinted (`intake.imports` takes them). Pure, no database: batches of
rows may be prepared in worker processes while the main one writes."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass

from leadgate.lib.normalize import clean_text

from ..fields import FIELDS, IntakeError, parse
from .bulk import Item
from .readers import BadRow, ReadError, has_bad_bytes


def row_values(headers: list[str], values: list[str]) -> list[str]:
    """The row padded (or extended) to the header, without NUL characters."""
    values = [value.replace("\x00", "") for value in values]
    return values + [""] * (len(headers) - len(values))


def split_row(headers: list[str], values: list[str], mapping: dict[str, str | None],
              fields: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(mapped field -> first non-empty value, unmapped header -> value)."""
    mapped: dict[str, str] = {}
    extra: dict[str, str] = {}
    for i, value in enumerate(values):
        header = headers[i] if i < len(headers) else f"column {i + 1}"
        name = mapping.get(header)
        if name:
            if value.strip() and not mapped.get(name):
                mapped[name] = value
        elif value.strip():
            # An unmapped column named like a field must not be taken as that field.
            extra[f"{header} (column)" if header in fields else header] = value
    return mapped, extra


def fingerprint(normalized: dict, extra: dict, source: str, campaign: str) -> str:
    """A digest of what the row says, not of where it sits in which file."""
    text = json.dumps([normalized, extra, source, campaign], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def bad_bytes_error(headers: list[str], values: list[str], encoding: str) -> IntakeError | None:
    for i, value in enumerate(values):
        if has_bad_bytes(value):
            header = headers[i] if i < len(headers) else f"column {i + 1}"
            return IntakeError(header, f"holds bytes that are not valid {encoding or 'text'}")
    return None


@dataclass(frozen=True)
class RowContext:
    """What preparing a row needs (picklable: worker processes get a copy)."""

    headers: list[str]
    mapping: dict[str, str | None]
    encoding: str
    source: str
    campaign: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that cannot be taken: the field at fault (empty: the whole row) and why."""

    number: int
    values: list[str]
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """A row parsed into an item to take."""

    number: int
    values: list[str]
    item: Item


Prepared = Rejected | Parsed


def prepare_batch(context: RowContext, batch: list[tuple[int, list[str]]]) -> list[Prepared]:
    """Parse a batch of raw rows: pure (no database), so it may run in a worker."""
    headers, mapping, names = context.headers, context.mapping, set(FIELDS)
    out: list[Prepared] = []
    for number, raw in batch:
        if isinstance(raw, BadRow):
            out.append(Rejected(number, [], "", raw.reason))
            continue
        values = row_values(headers, raw)
        error = bad_bytes_error(headers, values, context.encoding)
        if error is None:
            mapped, extra = split_row(headers, values, mapping, names)
            try:
                data = parse(mapped)
            except IntakeError as intake_error:
                error = intake_error
        if error is not None:
            out.append(Rejected(number, values, error.field, error.message))
            continue
        normalized = {**data.lead_fields(), "message": clean_text(mapped.get("message"))}
        payload = {**mapped, **extra}
        fp = fingerprint(normalized, extra, context.source, context.campaign)
        out.append(Parsed(number, values, Item(payload, data, fp)))
    return out


def batches(rows: Iterator[tuple[int, list[str]]], size: int
            ) -> Iterator[list[tuple[int, list[str]]]]:
    """The rows in lists of `size`. A ReadError part-way (a limit passed, say)
    comes after the rows read before it, so those are taken too."""
    while True:
        batch: list[tuple[int, list[str]]] = []
        try:
            for row in itertools.islice(rows, size):
                batch.append(row)  # one at a time: kept when the next one raises
        except ReadError:
            if batch:
                yield batch
            raise
        if not batch:
            return
        yield batch
