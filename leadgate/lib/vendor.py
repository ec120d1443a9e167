"""The database the raw SQL is written for: SQLite or PostgreSQL, the two
Leadgate runs on. A raw-SQL branch reads `vendor() == "sqlite"` and takes
the other branch as PostgreSQL's; any other database raises here, rather than
run SQLite's dialect on it or skip PostgreSQL's locks without a word."""

from django.db import connection
from django.db.utils import NotSupportedError

SUPPORTED = ("sqlite", "postgresql")


def vendor() -> str:
    """"sqlite" or "postgresql" for the default connection; raises for any other."""
    name = connection.vendor
    if name not in SUPPORTED:
        raise NotSupportedError(f"Leadgate's SQL is written for SQLite and PostgreSQL, "
                                f"not for {name}")
    return name
