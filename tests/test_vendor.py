"""Raw SQL is written for SQLite and PostgreSQL: any other database is refused
by name rather than sent SQLite's dialect (or left without PostgreSQL's locks)."""

import pytest
from django.db import connection, connections
from django.db.utils import NotSupportedError

from leadgate.intake.locks import lock_identities
from leadgate.lib.vendor import vendor


def test_it_names_the_database_the_suite_runs_on():
    assert vendor() == connection.vendor in {"sqlite", "postgresql"}


def test_it_refuses_a_database_it_has_no_sql_for(monkeypatch):
    monkeypatch.setattr(connections["default"], "vendor", "mysql")
    with pytest.raises(NotSupportedError, match="not for mysql"):
        vendor()


def test_it_takes_no_identity_lock_without_knowing_the_database(monkeypatch):
    monkeypatch.setattr(connections["default"], "vendor", "oracle")
    with pytest.raises(NotSupportedError, match="not for oracle"):
        lock_identities("ada@analytical.example")
