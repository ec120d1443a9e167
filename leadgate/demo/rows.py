"""Rows written the quick way, for the demo's bulk of history."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


def _datetimes(wrapper: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """The backend's adapter for aware datetimes; on SQLite the same thing
    (naive in the connection's zone, as text) without the settings lookups
    it makes per value, a good part of the demo's writing time."""
    if wrapper.vendor != "sqlite" or not settings.USE_TZ:
        return wrapper.ops.adapt_datetimefield_value
    zone = wrapper.timezone

    def adapt(value: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is not zone and value.utcoffset() is not None:
            value = value.astimezone(zone)
        return str(value.replace(tzinfo=None))

    return adapt


def insert_rows(model: type[models.Model], objs: list) -> None:
    """Insert `objs` with one executemany: the ORM's bulk_create spends most
    of the demo's time compiling each value. Times and JSON are adapted as
    the backend adapts them (as bulk_create does); the rest goes as it is, so
    every field must hold its value (no auto_now, no default left to the ORM's
    save)."""
    if not objs:
        return
    wrapper = connections[DEFAULT_DB_ALIAS]  # not the proxy: a lookup less per value
    ops, datetimes = wrapper.ops, _datetimes(wrapper)
    fields = model._meta.concrete_fields
    adapt: list[tuple[int, Callable[[Any], Any]]] = [
        (index, datetimes) if isinstance(f, models.DateTimeField)
        else (index, partial(ops.adapt_json_value, encoder=f.encoder))  # type: ignore[attr-defined]
        for index, f in enumerate(fields) if isinstance(f, models.DateTimeField | models.JSONField)]
    values = attrgetter(*(f.attname for f in fields))
    rows = []
    for obj in objs:
        row = list(values(obj))
        for index, how in adapt:
            row[index] = how(row[index])
        rows.append(row)
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                           rows)
