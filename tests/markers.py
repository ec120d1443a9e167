"""Marks shared by several test modules."""

import os

import pytest

# Tests that start their own service on a SQLite file of their own, whatever
# the suite's database: they run once, in the SQLite pass, not again in CI's
# PostgreSQL pass (where they would test nothing new and cost minutes).
own_sqlite_service = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="starts its own service on SQLite: run in the SQLite pass")
