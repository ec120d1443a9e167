"""Finding leads and accounts by what a person remembers of them: part of a
name, an email, a phone number, a company or its domain.

Every word typed must appear somewhere in the lead's (or account's) text,
anywhere in it ("ovel" finds Lovelace), case-insensitively. Words shorter
than MIN_WORD are ignored: three letters are what both indexes can look up.

The text is read through an index, never by scanning the table:
- PostgreSQL: a trigram GIN index (pg_trgm) on the expression LEAD_TEXT /
  ACCOUNT_TEXT, which `LIKE '%word%'` uses;
- SQLite: FTS5 tables with the trigram tokenizer (`lead_search`,
  `account_search`), external-content tables kept current by triggers on
  insert, update of the searched columns, and delete, so every way a lead
  is written (bulk inserts and updates included) is indexed.
Both are made by migration leads.0014_search.

The candidates (at most CANDIDATES, visible to the user) are ranked in
Python: a word that starts the name, email or company first, then the
newest. They are read as a few columns, not as models; only the `limit`
shown are loaded whole (leads with their account and owner).

On SQLite nothing per match goes through Python (issue 16): the newest
matches' ids stay in SQLite, a subquery of the candidates' query, read in
batches (SQLITE_BATCHES) until CANDIDATES + 1 visible ones are found or the
newest SQLITE_BATCHES[-1] were looked at. Reading them into Python first (5,000
ids a search, passed back as parameters) made Python's collector of cyclic
garbage run a full collection of the process's objects every few searches,
inside the search: 150-200 ms at p95 where the queries took 10-40 ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import Account, Lead, User

MIN_WORD = 3
CANDIDATES = 200
# SQLite: the matches looked at, newest first, in batches: how far each
# batch reaches. The first holds CANDIDATES + 1 visible ones for whoever
# sees every lead, and almost always for a qualifier (a quarter of them);
# the second is read only when too few visible ones were found (those who
# see few leads, or a word that matches little). A word that matches more
# than the last is too common to rank the rest of ("add a word to narrow"
# says the page).
SQLITE_BATCHES = (1000, 5000)
WORDS = 8  # more words than this add nothing but cost

# What is searched, one text per row. On PostgreSQL the index is on exactly
# these expressions (every column is NOT NULL, so `||` never yields NULL).
LEAD_COLUMNS = ("first_name", "last_name", "email", "phone", "company_name", "domain")
ACCOUNT_COLUMNS = ("name", "domain", "website")
LEAD_TEXT = "lower(" + " || ' ' || ".join(f'"leads_lead"."{c}"' for c in LEAD_COLUMNS) + ")"
ACCOUNT_TEXT = ("lower(" + " || ' ' || ".join(f'"leads_account"."{c}"' for c in ACCOUNT_COLUMNS)
                + ")")


def words(query: str) -> list[str]:
    """The words of a query that can be looked up: lower case, at least
    MIN_WORD characters; a phone number typed with spaces or dashes is one
    word of its digits ("+49 150 113" -> "+49150113")."""
    text = query.strip().lower()
    if re.fullmatch(r"[+\d][\d\s().\-/]*", text):
        text = re.sub(r"[\s().\-/]", "", text)
    found = [word for word in text.split() if len(word) >= MIN_WORD]
    return list(dict.fromkeys(found))[:WORDS]


def _like(text_sql: str, found: list[str]) -> Q:
    """PostgreSQL: every word somewhere in the text (the trigram index)."""
    condition = Q()
    for word in found:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # The SQL is this module's constants; what was typed goes in as a parameter.
        condition &= Q(RawSQL(f"{text_sql} LIKE %s", [pattern],  # noqa: S611
                              output_field=BooleanField()))
    return condition


def _fts(table: str, fts_table: str, found: list[str], skip: int, take: int) -> Q:
    """SQLite: the row is one of the matches skip+1 .. skip+take, newest
    first. FTS5: each word a quoted string (a phrase of trigrams), all
    required."""
    expression = " ".join('"' + word.replace('"', '""') + '"' for word in found)
    # The SQL is this module's constants; what was typed goes in as a parameter.
    sql = (f'"{table}"."id" IN (SELECT rowid FROM {fts_table} '  # noqa: S608
           f"WHERE {fts_table} MATCH %s ORDER BY rowid DESC LIMIT %s OFFSET %s)")
    return Q(RawSQL(sql, [expression, take, skip], output_field=BooleanField()))  # noqa: S611


def _candidates(queryset: QuerySet, text_sql: str, fts_table: str, found: list[str],
                fields: tuple[str, ...], count: int, *, every_row: bool) -> list[tuple]:
    """`fields` of at most `count` rows of `queryset` that match every word.
    `every_row`: the queryset is the whole table (whoever sees everything),
    so a batch with fewer than it asked for was the last match."""
    if connection.vendor != "sqlite":
        return list(queryset.filter(_like(text_sql, found)).order_by()
                    .values_list(*fields)[:count])
    # Newest first: SQLite then reads the ids' subquery and each row by its
    # primary key, in that order, and stops at `count`; unordered, beside a
    # qualifier's team condition, it walks the team's index and probes the
    # ids for each of the team's leads (0.15 s at a million leads).
    table = queryset.model._meta.db_table
    rows: list[tuple] = []
    skip = 0
    for reach in SQLITE_BATCHES:
        batch = list(queryset.filter(_fts(table, fts_table, found, skip, reach - skip))
                     .order_by("-pk").values_list(*fields)[:count - len(rows)])
        rows += batch
        if len(rows) >= count or (every_row and len(batch) < reach - skip):
            break
        skip = reach
    return rows


def visible_accounts(user: User) -> QuerySet[Account]:
    """Accounts a user may look at: all for those who see every lead, else
    the accounts of the leads they may open."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.sees_everything:
        return Account.objects.all()
    # EXISTS per account, not "IN (every visible lead's account)": a team's
    # leads are a quarter of a million rows to list for the few accounts a
    # search or a page asks about.
    return Account.objects.filter(
        Exists(Lead.objects.visible_to(user).filter(account_id=OuterRef("pk"))))


@dataclass
class Found:
    leads: list[Lead]
    accounts: list[Account]
    words: list[str]
    more_leads: bool  # more matched than were ranked


def _starts(found: list[str], *texts: str) -> bool:
    return any(text.lower().startswith(word) for word in found for text in texts if text)


def search(user: User, query: str, *, limit: int = 10) -> Found:
    found = words(query)
    if not found:
        return Found([], [], [], False)
    everything = user.is_authenticated and user.is_active and user.sees_everything
    # (pk, first_name, last_name, email, company_name, created_at)
    lead_rows = _candidates(Lead.objects.visible_to(user), LEAD_TEXT, "lead_search", found,
                            ("pk", "first_name", "last_name", "email", "company_name",
                             "created_at"), CANDIDATES + 1, every_row=everything)
    lead_rows.sort(key=lambda row: (not _starts(found, *row[1:5]), -row[5].timestamp()))
    shown = [row[0] for row in lead_rows[:limit]]
    leads_by_pk = Lead.objects.select_related("account", "owner").in_bulk(shown)
    leads = [leads_by_pk[pk] for pk in shown if pk in leads_by_pk]
    # (pk, name, domain)
    account_rows = _candidates(visible_accounts(user), ACCOUNT_TEXT, "account_search", found,
                               ("pk", "name", "domain"), CANDIDATES,
                               every_row=everything)
    account_rows.sort(key=lambda row: (not _starts(found, row[1], row[2]), row[1].lower()))
    shown = [row[0] for row in account_rows[:limit]]
    accounts_by_pk = Account.objects.in_bulk(shown)
    accounts = [accounts_by_pk[pk] for pk in shown if pk in accounts_by_pk]
    return Found(leads, accounts, found, len(lead_rows) > min(limit, CANDIDATES))
