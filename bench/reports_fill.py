"""Step 1 of bench_reports.py: fill an empty database with the data set of
reports_data.py (N leads over the last 24 months), its indexes dropped while
writing and made again after. `fill()` is the entry point.
"""

# ruff: noqa: S608 - the SQL is built from the models' _meta names, not from input
from __future__ import annotations

import logging
import math
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from common import FILL_BATCH, Writer
from reports_data import (
    COUNTRIES,
    DAY,
    INDUSTRIES,
    SPAN_DAYS,
    Filler,
    People,
    cumulative,
    pick,
)


def big_tables() -> list[Any]:
    from leadgate.intake.models import Inquiry
    from leadgate.leads.models import Account, Lead, StageChange
    from leadgate.leads.records import Handoff, Outcome, Touch
    from leadgate.routing.models import SlaClock
    from leadgate.workspace.models import Qualification

    return [Account, Lead, StageChange, Inquiry, Touch, SlaClock, Handoff, Outcome,
            Qualification]


def drop_indexes(cursor: Any, sqlite: bool) -> list[str]:
    """The secondary indexes of the big tables, dropped (built once at the end
    rather than row by row); returns the statements that make them again."""
    tables = [m._meta.db_table for m in big_tables()]
    marks = ", ".join(["%s"] * len(tables))
    if sqlite:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
                       f"NULL AND tbl_name IN ({marks})", tables)
    else:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                       f"({marks}) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                       tables)
    found = cursor.fetchall()
    for name, _sql in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def fill(leads: int, seed: int, now: datetime) -> dict[str, int]:
    """Write the data set; returns rows per table."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from leadgate.intake.models import CampaignCost
    from leadgate.leads.models import Account, Lead
    from leadgate.lib.normalize import company_key
    from leadgate.reports.models import Target

    rng = random.Random(seed)
    sqlite = connection.vendor == "sqlite"
    # Batches of 10,000 leads hold SQLite's write lock for seconds, which its
    # backend logs as a warning each time: nobody else writes this database.
    logging.getLogger("leadgate.db").setLevel(logging.ERROR)
    stamp = now.replace(microsecond=0).timestamp()
    first_day = (now - timedelta(days=SPAN_DAYS + 1)).date().replace(day=1)
    people = People(rng, first_day)
    filler = Filler(people, rng, stamp, sqlite)
    replica = False
    with connection.cursor() as cursor:
        if sqlite:
            # A throwaway database: no fsync, no FK checks (ids consistent by
            # construction), a big page cache.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
        else:
            try:  # no FK triggers while filling (superuser only; else checked)
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
                replica = True
            except Exception:  # noqa: BLE001 - checked FKs are only slower
                replica = False
        indexes = drop_indexes(cursor, sqlite)

    accounts = max(1, leads // 5)
    account_w = Writer(Account, ["id", "name", "name_key", "domain", "industry", "employees",
                                 "country", "created_at"])
    industries, industry_weights = cumulative(INDUSTRIES)
    countries, country_weights = cumulative([(c[0], c[1]) for c in COUNTRIES])
    infos: list[tuple[int, str, str]] = []
    with transaction.atomic():
        for i in range(1, accounts + 1):
            name = f"Company {i} {rng.choice(['Ltd', 'GmbH', 'Inc', 'SA', 'BV', 'Pty'])}"
            country = countries[pick(rng, country_weights)] if rng.random() < 0.95 else ""
            employees = int(math.exp(rng.uniform(math.log(2), math.log(20_000))))
            account_w.add(i, name, company_key(name), f"co{i}.example",
                          industries[pick(rng, industry_weights)],
                          employees if rng.random() < 0.9 else None, country,
                          filler.at(stamp - rng.randrange(SPAN_DAYS * DAY)))
            infos.append((i, name, country))
        account_w.flush()

    started = time.perf_counter()
    arrivals = filler.arrivals(leads)
    for first in range(1, leads + 1, FILL_BATCH):
        with transaction.atomic():
            for lead_id in range(first, min(first + FILL_BATCH, leads + 1)):
                account = infos[rng.randrange(accounts)] if rng.random() < 0.8 else None
                filler.lead(lead_id, arrivals[lead_id - 1], account)
            filler.flush()
        done = min(first + FILL_BATCH - 1, leads)
        if done % 100_000 == 0 or done == leads:
            print(f"  filled {done:,} leads ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)

    # Costs follow each campaign's leads of the month; targets a little above
    # what each month brought (some met, most not).
    cost_w = Writer(CampaignCost, ["campaign", "period_start", "period_end", "amount"])
    target_w = Writer(Target, ["month", "team", "metric", "value", "set_by", "set_at"])
    cpl = {c: source[3] for source in people.sources for c in source[1]}
    months = sorted({m for _c, m in filler.campaign_month})
    with transaction.atomic():
        for month in months:
            start = date(month // 12, month % 12 + 1, 1)
            end = date((month + 1) // 12, (month + 1) % 12 + 1, 1) - timedelta(days=1)
            for campaign in sorted(cpl):
                n = filler.campaign_month.get((campaign, month), 0)
                amount = Decimal(f"{max(100.0, n * cpl[campaign] * rng.uniform(0.85, 1.15)):.2f}")
                cost_w.add(campaign, start.isoformat(), end.isoformat(), amount)
            for metric in ("inquiries", "mqls", "sals", "opportunities", "won", "revenue",
                           "cost"):
                if metric == "revenue":
                    value = filler.month_revenue.get(month, 0)
                elif metric == "cost":
                    value = sum(filler.campaign_month.get((c, month), 0) * cpl[c] for c in cpl)
                else:
                    value = filler.month_metric.get((month, metric), 0)
                target_w.add(start.isoformat(), None, metric,
                             Decimal(f"{max(1.0, value * rng.uniform(1.0, 1.25)):.2f}"),
                             people.manager, filler.at(stamp))
        cost_w.flush()
        target_w.flush()

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in indexes:
            cursor.execute(sql)
        if sqlite:
            cursor.execute("PRAGMA cache_size=-2000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            if replica:
                cursor.execute("SET session_replication_role = origin")
            for sql in connection.ops.sequence_reset_sql(no_style(), [Account, Lead]):
                cursor.execute(sql)
            cursor.execute("ANALYZE")
    print(f"  indexes made again in {time.perf_counter() - started:.0f} s", file=sys.stderr,
          flush=True)
    logging.getLogger("leadgate.db").setLevel(logging.NOTSET)
    counts = {w.table: w.count for w in [account_w, *filler.writers, cost_w, target_w]}
    return counts
