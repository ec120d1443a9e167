"""Reading a CSV of historical leads and turning it into numbers.

`read_csv` sniffs the delimiter; `infer_spec` looks at every column once and
decides what it is (numeric, categorical, boolean, date, free text, constant);
`encode` turns any table with the same columns into a float matrix the
pipelines take: numbers as numbers, booleans as 0/1, categories as codes of a
vocabulary learned at training (rare and unseen values share one "other"
code), dates as month and day-of-week codes, missing as NaN. The spec is plain
JSON, stored with the model version.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MISSING = ("", "select", "unknown", "na", "n/a", "null", "none", "nan", "-", "?")
POSITIVE_WORDS = ("yes", "true", "1", "won", "y", "t")
BOOLEAN_PAIRS = [
    {"yes", "no"}, {"true", "false"}, {"1", "0"}, {"y", "n"}, {"t", "f"},
    {"won", "lost"}, {"1.0", "0.0"},
]
TRUE_WORDS = {"yes", "true", "1", "y", "t", "won", "1.0"}
DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y",
)
OTHER = "__other__"
MAX_CATEGORIES = 100  # kept per categorical column; the rest share OTHER
MIN_CATEGORY_COUNT = 3


class DataError(ValueError):
    """The data cannot be used as asked; the message says why."""


class Table:
    """Columns of raw strings, by name, in file order."""

    def __init__(self, header: list[str], rows: list[list[str]]):
        self.header = header
        self.columns: dict[str, list[str]] = {}
        for index, name in enumerate(header):
            self.columns[name] = [row[index] if index < len(row) else "" for row in rows]
        self.n_rows = len(rows)  # short rows are padded with "", extra cells ignored

    @classmethod
    def from_columns(cls, columns: dict[str, list[str]], n_rows: int) -> Table:
        table = cls.__new__(cls)
        table.header, table.columns, table.n_rows = list(columns), columns, n_rows
        return table

    def column(self, name: str) -> list[str]:
        if name not in self.columns:
            raise DataError(f"column {name!r} not in the CSV (columns: {', '.join(self.header)})")
        return self.columns[name]

    def take(self, indexes: Iterable[int]) -> Table:
        keep = list(indexes)
        return Table.from_columns(
            {name: [values[i] for i in keep] for name, values in self.columns.items()},
            len(keep))


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_csv(path: str | Path, delimiter: str | None = None) -> Table:
    """The whole file as a Table; the delimiter is sniffed unless given."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = Path(path).read_text(encoding="latin-1")
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from error
    if not text.strip():
        raise DataError(f"{path} is empty")
    if delimiter in ("\\t", "tab"):
        delimiter = "\t"
    delimiter = delimiter or sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    return Table(header, rows)


def normalise_missing(markers: Iterable[str] | None) -> frozenset[str]:
    return frozenset(m.strip().lower() for m in (DEFAULT_MISSING if markers is None else markers))


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _date_format(values: list[str]) -> str | None:
    sample = values[:200]
    for fmt in DATE_FORMATS:
        ok = 0
        for value in sample:
            try:
                datetime.strptime(value[:19], fmt)
                ok += 1
            except ValueError:
                pass
        if sample and ok >= 0.95 * len(sample):
            return fmt
    return None


def infer_column(values: list[str], missing: frozenset[str]) -> dict[str, Any]:
    """What one column is: {"kind": ..., plus what encoding needs}."""
    present = [v.strip() for v in values if v.strip().lower() not in missing]
    n_missing = len(values) - len(present)
    info: dict[str, Any] = {"missing": n_missing}
    distinct = Counter(v.lower() for v in present)
    if len(distinct) <= 1:
        info["kind"] = "constant"
        return info
    if len(distinct) == 2 and set(distinct) in BOOLEAN_PAIRS:
        info["kind"] = "boolean"
        return info
    numbers = [_float(v) for v in present]
    parsed = sum(1 for n in numbers if n is not None)
    if parsed >= 0.95 * len(present):
        info["kind"] = "numeric"
        return info
    fmt = _date_format(present)
    if fmt:
        info.update(kind="date", format=fmt)
        return info
    n_distinct = len(distinct)
    if n_distinct > MAX_CATEGORIES and n_distinct > 0.05 * len(present):
        info.update(kind="text", distinct=n_distinct)  # names, emails, notes: ignored
        return info
    info.update(kind="categorical", distinct=n_distinct)
    return info


def _vocabulary(values: list[str], missing: frozenset[str]) -> list[str]:
    counts = Counter(v.strip().lower() for v in values if v.strip().lower() not in missing)
    common = [v for v, c in counts.most_common(MAX_CATEGORIES) if c >= MIN_CATEGORY_COUNT]
    return sorted(common) + [OTHER]


def infer_spec(table: Table, *, target: str | None, drop: Iterable[str] = (),
               id_column: str | None = None, date_column: str | None = None,
               missing_markers: Iterable[str] | None = None) -> dict[str, Any]:
    """The features spec: columns, their inferred kinds, and how to encode them."""
    missing = normalise_missing(missing_markers)
    dropped = [c for c in drop if c]
    for name in [*dropped, *(c for c in (id_column, date_column) if c)]:
        table.column(name)  # unknown names are an error, not silently ignored
    skip = set(dropped) | {c for c in (target, id_column) if c}
    columns: dict[str, dict[str, Any]] = {}
    features: list[dict[str, Any]] = []
    for name in table.header:
        if name in skip:
            continue
        info = infer_column(table.columns[name], missing)
        if name == date_column and info["kind"] != "date":
            raise DataError(f"--date {name}: values are not dates (e.g. "
                            f"{table.columns[name][0]!r}); formats: {', '.join(DATE_FORMATS)}")
        columns[name] = info
        kind = info["kind"]
        if kind in ("numeric", "boolean"):
            features.append({"name": name, "column": name, "kind": kind})
        elif kind == "categorical":
            features.append({"name": name, "column": name, "kind": "categorical",
                             "vocab": _vocabulary(table.columns[name], missing)})
        elif kind == "date":
            for part, vocab in (("month", [str(m) for m in range(1, 13)]),
                                ("dow", [str(d) for d in range(7)])):
                features.append({"name": f"{name}_{part}", "column": name, "kind": "categorical",
                                 "part": part, "format": info["format"], "vocab": vocab})
    if not features:
        raise DataError("no usable feature columns (all constant, free text, or dropped)")
    dates = [n for n, i in columns.items() if i["kind"] == "date"]
    return {
        "columns": columns,
        "features": features,
        "dropped": dropped,
        "ignored": [n for n, i in columns.items() if i["kind"] in ("text", "constant")],
        "missing_markers": sorted(missing),
        "id_column": id_column,
        "date_column": date_column or (dates[0] if dates else None),
    }


def _parse_date(value: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip()[:19], fmt)
    except ValueError:
        return None


def _by_distinct(values: list[str], convert: Any) -> list[float]:
    """`convert` of each value, computed once per distinct value: columns
    repeat few values (sources, countries, days), and a million rows are
    scored at once."""
    codes = {value: convert(value) for value in set(values)}
    return [codes[value] for value in values]


def encode(spec: dict[str, Any], table: Table) -> np.ndarray:
    """A float matrix, one column per feature of the spec; NaN is missing.
    Columns absent from `table` are all missing."""
    missing = frozenset(spec["missing_markers"])
    features = spec["features"]
    matrix = np.full((table.n_rows, len(features)), np.nan)
    for j, feature in enumerate(features):
        values = table.columns.get(feature["column"])
        if values is None:
            continue
        matrix[:, j] = _by_distinct(values, _converter(feature, missing))
    return matrix


def _converter(feature: dict[str, Any], missing: frozenset[str]) -> Any:
    """The function from a raw cell to the feature's code (NaN: missing)."""
    kind = feature["kind"]
    nan = float("nan")

    def is_missing(value: str) -> bool:
        return value.strip().lower() in missing

    if kind == "numeric":
        def number(value: str) -> float:
            found = None if is_missing(value) else _float(value)
            return nan if found is None else found
        return number
    if kind == "boolean":
        return lambda value: nan if is_missing(value) else (
            1.0 if value.strip().lower() in TRUE_WORDS else 0.0)
    if "part" in feature:
        fmt, month = feature["format"], feature["part"] == "month"

        def part(value: str) -> float:
            day = None if is_missing(value) else _parse_date(value, fmt)
            if day is None:
                return nan
            return float(day.month - 1 if month else day.weekday())
        return part
    index = {value: float(i) for i, value in enumerate(feature["vocab"])}
    other = index[OTHER]
    return lambda value: nan if is_missing(value) else index.get(value.strip().lower(), other)


def categorical_mask(spec: dict[str, Any]) -> np.ndarray:
    return np.array([f["kind"] == "categorical" for f in spec["features"]])


def decode_value(feature: dict[str, Any], code: float) -> str:
    """A matrix cell back as a readable value."""
    if isinstance(code, float) and math.isnan(code):
        return "(missing)"
    if feature["kind"] == "categorical":
        if feature.get("part") == "month":
            return datetime(2000, int(code) + 1, 1).strftime("%b")
        if feature.get("part") == "dow":
            return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[int(code)]
        value = feature["vocab"][int(code)]
        return "(other)" if value == OTHER else value
    if feature["kind"] == "boolean":
        return "yes" if code else "no"
    return f"{code:g}"


def target_labels(
    values: list[str], positive: str | None, missing_markers: Iterable[str] | None = None,
    strict: bool = True,
) -> tuple[np.ndarray, np.ndarray, str]:
    """(rows with an outcome, 0/1 labels for them, the positive value used). With
    `strict`, a `positive` value that never occurs is an error listing the values."""
    missing = normalise_missing(missing_markers)
    keep = [i for i, v in enumerate(values) if v.strip().lower() not in missing]
    seen = Counter(values[i].strip() for i in keep)
    if positive is None:
        lowered = {v.lower(): v for v in seen}
        for word in POSITIVE_WORDS:
            if word in lowered and len(seen) > 1:
                positive = lowered[word]
                break
        else:
            listing = ", ".join(f"{v!r} ({c})" for v, c in seen.most_common(20))
            raise DataError(f"cannot tell the positive outcome; pass --positive VALUE. "
                            f"Values seen: {listing}")
    elif strict and positive.strip().lower() not in {v.lower() for v in seen}:
        listing = ", ".join(f"{v!r} ({c})" for v, c in seen.most_common(20))
        raise DataError(f"positive value {positive!r} not found in the target column. "
                        f"Values seen: {listing}")
    wanted = positive.strip().lower()
    labels = np.array([values[i].strip().lower() == wanted for i in keep], dtype=int)
    return np.array(keep, dtype=int), labels, positive
