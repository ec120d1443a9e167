"""Intake holds a lock per identity (email, phone) while it matches and
creates, so two submissions of one person at once make one lead, not two.

The lock lives in the database, so it holds across processes and machines:
PostgreSQL's transaction-scoped advisory locks. SQLite needs none: Leadgate
opens its transactions IMMEDIATE, so writers already take turns.
"""

import hashlib

from django.db import connection


def lock_identities(*identities: str) -> None:
    """Call inside a transaction; the locks are released when it ends."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(  # sorted: two transactions never wait on each other in a cycle
        {
            int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big",
                           signed=True)
            for value in identities if value
        }
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
