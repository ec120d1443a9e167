"""Reading a CSV of historical leads and turning it into numbers.

`read_csv` sniffs the delimiter; `infer_spec` looks at every column once and
decides what it is (numeric, boolean, categorical, high-cardinality
categorical, date, free text, identifier, constant); `encode` turns any table
with the same columns into a float matrix the pipelines take: numbers as
numbers, booleans as 0/1, categories as codes of a vocabulary learned at
training (rare and unseen values share one "other" code; a high-cardinality
column keeps up to MAX_MANY values and is target-encoded by the boosting
pipeline), dates as month and day-of-week codes and the age in days at
scoring, free text as the words it mentions (`text`), missing as NaN. The
spec is plain JSON, stored with the model version, with what each column
became (`spec["became"]`, said in words by `describe`).
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

from . import text

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
MAX_CATEGORIES = 100  # up to this many distinct values: a categorical column
MAX_MANY = 1000  # kept per high-cardinality column (the most common); the rest share OTHER
MIN_CATEGORY_COUNT = 3  # rows a value needs to have its own code
IDENTIFIER_SHARE = 0.1  # fewer rows than this in repeated values: an identifier


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
    info["distinct"] = n_distinct
    if n_distinct <= MAX_CATEGORIES:
        info["kind"] = "categorical"
    elif text.mean_words(present) >= text.TEXT_WORDS:
        info["kind"] = "text"  # notes, answers: the words they mention
    elif sum(c for c in distinct.values() if c >= MIN_CATEGORY_COUNT) \
            < IDENTIFIER_SHARE * len(present):
        info["kind"] = "identifier"  # emails, names, row ids: nothing repeats to learn from
    else:
        info["kind"] = "high_cardinality"  # pages, campaigns, cities: a long tail
    return info


def _vocabulary(values: list[str], missing: frozenset[str],
                limit: int = MAX_CATEGORIES) -> list[str]:
    counts = Counter(v.strip().lower() for v in values if v.strip().lower() not in missing)
    common = [v for v, c in counts.most_common(limit) if c >= MIN_CATEGORY_COUNT]
    return sorted(common) + [OTHER]


def _latest(values: list[str], fmt: str) -> str:
    """The latest date of a column, ISO: the reference of its age at training."""
    days = [d for d in (_parse_date(v, fmt) for v in set(values)) if d is not None]
    return max(days).isoformat() if days else datetime(2000, 1, 1).isoformat()


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
        elif kind == "high_cardinality":
            features.append({"name": name, "column": name, "kind": "categorical",
                             "encoding": "target",
                             "vocab": _vocabulary(table.columns[name], missing, MAX_MANY)})
        elif kind == "text":
            present = [v for v in table.columns[name] if v.strip().lower() not in missing]
            features.append({"name": f"{name}_words", "column": name, "kind": "numeric",
                             "part": "words"})
            features += [{"name": f"{name}[{term}]", "column": name, "kind": "term",
                          "term": term} for term in text.choose_terms(present)]
        elif kind == "date":
            for part, vocab in (("month", [str(m) for m in range(1, 13)]),
                                ("dow", [str(d) for d in range(7)])):
                features.append({"name": f"{name}_{part}", "column": name, "kind": "categorical",
                                 "part": part, "format": info["format"], "vocab": vocab})
            features.append({"name": f"{name}_age_days", "column": name, "kind": "numeric",
                             "part": "age", "format": info["format"],
                             "reference": _latest(table.columns[name], info["format"])})
    if not features:
        raise DataError("no usable feature columns (all constant, identifiers, or dropped)")
    dates = [n for n, i in columns.items() if i["kind"] == "date"]
    spec = {
        "columns": columns,
        "features": features,
        "dropped": dropped,
        "ignored": [n for n, i in columns.items() if i["kind"] in ("identifier", "constant")],
        "missing_markers": sorted(missing),
        "id_column": id_column,
        "date_column": date_column or (dates[0] if dates else None),
        "target": target,
    }
    spec["became"] = describe(spec, table.header)
    return spec


def describe(spec: dict[str, Any], header: list[str]) -> list[dict[str, str]]:
    """What each column of the file became, in file order: {column, kind, became}."""
    by_column: dict[str, list[dict[str, Any]]] = {}
    for feature in spec["features"]:
        by_column.setdefault(feature["column"], []).append(feature)
    result = []
    for name in header:
        info = spec["columns"].get(name, {})
        kind, features = info.get("kind", ""), by_column.get(name, [])
        if name == spec.get("target"):
            kind, became = "outcome", "the outcome the model predicts"
        elif name == spec.get("id_column"):
            kind, became = "id", "the id column: kept out of the model, written with the scores"
        elif name in spec["dropped"]:
            kind, became = "dropped", "left out (--drop)"
        else:
            became = _became(kind, info, features)
        result.append({"column": name, "kind": kind, "became": became})
    return result


def _became(kind: str, info: dict[str, Any], features: list[dict[str, Any]]) -> str:
    missing = f"; {info['missing']:,} missing" if info.get("missing") else ""
    if kind == "numeric":
        return f"a number (missing: an indicator for logistic, a branch for boosting){missing}"
    if kind == "boolean":
        return f"yes/no as 1/0{missing}"
    if kind == "categorical":
        kept = len(features[0]["vocab"]) - 1
        return (f"one level per value ({kept} of {info['distinct']} values with at least "
                f"{MIN_CATEGORY_COUNT} rows; rarer and unseen values as 'other'){missing}")
    if kind == "high_cardinality":
        kept = len(features[0]["vocab"]) - 1
        return (f"high-cardinality category: {info['distinct']:,} values, the {kept} with at "
                f"least {MIN_CATEGORY_COUNT} rows kept, rarer and unseen values as 'other'; "
                f"target-encoded out of fold (smoothed; one-hot in the plain logistic baseline)"
                f"{missing}")
    if kind == "text":
        terms = [f["term"] for f in features if f["kind"] == "term"]
        listed = ", ".join(repr(t) for t in terms[:8]) + (", ..." if len(terms) > 8 else "")
        return (f"free text: the word count and {len(terms)} words or word pairs it "
                f"mentions (0/1; the most written: {listed or 'none'}){missing}")
    if kind == "date":
        age = next(f for f in features if f.get("part") == "age")
        return (f"month, weekday and age in days at scoring (at training: days before "
                f"{age['reference'][:10]}, the latest date){missing}")
    if kind == "identifier":
        return (f"left out: {info['distinct']:,} values, nearly all written once "
                f"(an identifier, nothing repeats to learn from)")
    if kind == "constant":
        return "left out: a single value"
    return "left out"


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


def encode(spec: dict[str, Any], table: Table, now: datetime | None = None) -> np.ndarray:
    """A float matrix, one column per feature of the spec; NaN is missing.
    Columns absent from `table` are all missing (a text column absent: mentions
    nothing). The age of a date is counted to `now` (naive, UTC) when given,
    else to the latest date seen at training, as the model was trained."""
    missing = frozenset(spec["missing_markers"])
    features = spec["features"]
    matrix = np.full((table.n_rows, len(features)), np.nan)
    terms: dict[str, list[int]] = {}
    for j, feature in enumerate(features):
        if feature["kind"] == "term":
            terms.setdefault(feature["column"], []).append(j)
            continue
        values = table.columns.get(feature["column"])
        if values is None:
            continue
        matrix[:, j] = _by_distinct(values, _converter(feature, missing, now))
    for column, indexes in terms.items():
        matrix[:, indexes] = _mentions(table.columns.get(column),
                                       [features[j]["term"] for j in indexes], missing,
                                       table.n_rows)
    return matrix


def _mentions(values: list[str] | None, terms: list[str], missing: frozenset[str],
              n_rows: int) -> np.ndarray:
    """Rows x terms, 1 where the text mentions the term (each distinct text once)."""
    if values is None:
        return np.zeros((n_rows, len(terms)))
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64,
                        count=len(values))
    position = {term: t for t, term in enumerate(terms)}
    table = np.zeros((len(index), len(terms)))
    for value, row in index.items():
        if value.strip().lower() in missing:
            continue
        for term in text.terms_of(value):
            t = position.get(term)
            if t is not None:
                table[row, t] = 1.0
    return table[codes]


def _converter(feature: dict[str, Any], missing: frozenset[str],
               now: datetime | None = None) -> Any:
    """The function from a raw cell to the feature's code (NaN: missing)."""
    kind = feature["kind"]
    nan = float("nan")

    def is_missing(value: str) -> bool:
        return value.strip().lower() in missing

    if feature.get("part") == "words":
        return lambda value: nan if is_missing(value) else float(len(text.words_of(value)))
    if feature.get("part") == "age":
        fmt = feature["format"]
        reference = now or datetime.fromisoformat(feature["reference"])

        def age(value: str) -> float:
            day = None if is_missing(value) else _parse_date(value, fmt)
            return nan if day is None else round((reference - day).total_seconds() / 86400, 2)
        return age
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


def target_mask(spec: dict[str, Any]) -> np.ndarray:
    """The high-cardinality categories: target-encoded for boosting."""
    return np.array([f.get("encoding") == "target" for f in spec["features"]])


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
    if feature["kind"] in ("boolean", "term"):
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
