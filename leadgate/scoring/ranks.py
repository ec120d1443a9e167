"""Keeping `Lead.score_rank` and the open tasks' `rank` in step with scores.

Queues sort by these columns through indexes (leadgate.lib.score_rank), so
whoever changes a grade or a probability writes the new rank here, for the
leads whose rank changed only: most rescoring leaves ranks as they were.
"""

from __future__ import annotations

from django.db import connection

from leadgate.leads.models import Lead, Task


def apply_ranks(changed: list[tuple[int, int]]) -> None:
    """(lead id, new rank) pairs: written on each lead and its open tasks.
    Call it inside the transaction that writes the scores."""
    if not changed:
        return
    quote = connection.ops.quote_name
    params = [(rank, lead_id) for lead_id, rank in changed]
    # S608: the table and column names come from the models, quoted; the
    # ranks and ids are parameters.
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(Lead._meta.db_table)} "  # noqa: S608
            "SET score_rank = %s WHERE id = %s", params)
        cursor.executemany(
            f"UPDATE {quote(Task._meta.db_table)} SET {quote('rank')} = %s "  # noqa: S608
            "WHERE lead_id = %s AND done_at IS NULL", params)
