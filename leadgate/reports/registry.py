"""Reports by `slug`: what each computes, in one shape that the page, the CSV
export and the JSON endpoint all render.

    @register
    class Waterfall(Report):
        slug, title = "waterfall", "Demand waterfall"
        def compute(self, filters, user) -> Result: ...

A `Result` holds tables (columns with a kind, rows of dicts), charts (specs
that static/js/charts.js draws; every chart's numbers are in a table too) and
notes. Kinds say how a cell reads: `count`, `percent` (a fraction), `money`,
`days`, `seconds`, `text`, and `rate` (a `lib.proportions.Rate`: the value
with its 95% interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.http import QueryDict

from leadgate.leads.lifecycle import Role
from leadgate.leads.models import User
from leadgate.lib.proportions import Rate

from .filters import Filters

KINDS = ("text", "count", "percent", "money", "days", "seconds", "rate", "number")
READERS = (Role.MANAGER, Role.ADMIN, Role.MARKETING)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    # A last row that sums or averages the others, shown apart.
    total: dict[str, Any] | None = None
    # What an empty table says on the page.
    empty: str = "No leads match these filters."

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "note": self.note,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind}
                            for c in self.columns],
                "rows": [{c.key: json_value(row.get(c.key), c.kind) for c in self.columns}
                         for row in self.rows],
                "total": None if self.total is None else {
                    c.key: json_value(self.total.get(c.key), c.kind) for c in self.columns}}


@dataclass
class Chart:
    id: str
    spec: dict[str, Any]

    @property
    def data_id(self) -> str:
        """The id of the script element holding the spec."""
        return f"{self.id}-data"


@dataclass
class Result:
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Whatever a report's own template needs besides tables and charts.
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, table_id: str | None) -> Table | None:
        if table_id is None:
            return self.tables[0] if self.tables else None
        return next((t for t in self.tables if t.id == table_id), None)


def json_value(value: Any, kind: str) -> Any:
    if isinstance(value, Rate):
        return {"k": value.k, "n": value.n, "value": value.value, "low": value.low,
                "high": value.high}
    if isinstance(value, Decimal):
        return float(value)
    return value


class Report:
    slug: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = READERS
    # A template included below the charts (controls such as the what-if form).
    template: ClassVar[str | None] = None
    # Where the report stands among the others (the lead's way, then the
    # overviews): lower first.
    position: ClassVar[int] = 100

    def options(self, query: QueryDict) -> dict[str, Any]:
        """The report's own parameters in the query string, besides the
        filters, as keyword arguments of compute(); raises ValidationError
        ({name: message}) when one is bad (the page answers 400 naming it)."""
        return {}

    def compute(self, filters: Filters, user: User) -> Result:
        raise NotImplementedError

    def allows(self, user: User) -> bool:
        return user.is_authenticated and user.has_role(*self.roles)


REPORTS: dict[str, Report] = {}


def register(cls: type[Report]) -> type[Report]:
    if cls.slug in REPORTS:
        raise ValueError(f"two reports named {cls.slug!r}")
    REPORTS[cls.slug] = cls()
    return cls


def readable_by(user: User) -> list[Report]:
    return sorted((report for report in REPORTS.values() if report.allows(user)),
                  key=lambda report: (report.position, report.title))
