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
newest.
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
# SQLite: the newest matches looked at (a word that matches more is too
# common to rank the rest of; "add a word to narrow" says the page).
FTS_MATCHES = 5000
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


def _matching(text_sql: str, fts_table: str, id_column: str, found: list[str]) -> Q:
    # The SQL is this module's constants; what was typed goes in as parameters.
    if connection.vendor == "postgresql":
        condition = Q()
        for word in found:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            condition &= Q(RawSQL(f"{text_sql} LIKE %s", [pattern],  # noqa: S611
                                  output_field=BooleanField()))
        return condition
    # FTS5: each word a quoted string (a phrase of trigrams), all required.
    # The ids are read first, newest first and at most FTS_MATCHES: given the
    # match as a subquery beside a qualifier's team condition, SQLite walks
    # the team's index and probes the match for each of its leads (0.3 s at
    # a million leads); this way it looks up only the matches.
    expression = " ".join('"' + word.replace('"', '""') + '"' for word in found)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s "  # noqa: S608
                       "ORDER BY rowid DESC LIMIT %s", [expression, FTS_MATCHES])
        ids = [row[0] for row in cursor.fetchall()]
    return Q(**{f"{id_column}__in": ids})


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
    leads = list(Lead.objects.visible_to(user)
                 .filter(_matching(LEAD_TEXT, "lead_search", "pk", found))
                 .select_related("account", "owner").order_by()[:CANDIDATES + 1])
    more = len(leads) > CANDIDATES
    leads.sort(key=lambda lead: (
        not _starts(found, lead.first_name, lead.last_name, lead.email, lead.company_name),
        -lead.created_at.timestamp()))
    accounts = list(visible_accounts(user)
                    .filter(_matching(ACCOUNT_TEXT, "account_search", "pk", found))
                    .order_by()[:CANDIDATES])
    accounts.sort(key=lambda account: (not _starts(found, account.name, account.domain),
                                       account.name.lower()))
    return Found(leads[:limit], accounts[:limit], found, more or len(leads) > limit)
