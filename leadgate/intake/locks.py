"""Intake holds a lock per identity (email, phone, domain) while it matches
and creates, so two submissions of one person at once make one lead, not two.

The lock lives in the database, so it holds across processes and machines:
PostgreSQL's transaction-scoped advisory locks. SQLite needs none: Leadgate
opens its transactions IMMEDIATE, so writers already take turns.
"""

import hashlib

from django.db import connection

from leadgate.lib.vendor import vendor


def lock_key(identity: str) -> int:
    """An identity's advisory-lock key: 64 bits of its digest, as PostgreSQL's
    signed bigint (one receive() and an import lock the same identity alike)."""
    return int.from_bytes(hashlib.blake2b(identity.encode(), digest_size=8).digest(), "big",
                          signed=True)


def lock_identities(*identities: str) -> None:
    """Call inside a transaction; the locks are released when it ends."""
    if vendor() == "sqlite":
        return
    # Sorted: two transactions never wait on each other in a cycle. One
    # statement however many there are (an import chunk locks thousands).
    keys = sorted({lock_key(value) for value in identities if value})
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(k)) FROM "
                "(SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k) AS keys", [keys]
            )
