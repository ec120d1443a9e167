"""Benchmark `leadgate demo`: time, database size and rows per table.

    .venv/bin/python bench/bench_demo.py --leads 100000 [--database-url URL] [--keep]

Runs against a fresh SQLite file in a temporary directory (or against an empty
database given by --database-url), then, as a same-run baseline, times a raw
`sqlite3` executemany of the same number of bare rows into a table shaped like
leads_lead (same columns and indexes): the floor that any ORM path pays on top.
"""

import argparse
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import LockWatch, finish, fresh_environment  # noqa: E402 - bench/ is the script's folder


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def baseline(leads: int, schema: list[str], workdir: Path) -> float:
    """Seconds for a raw executemany of `leads` bare lead rows, committed once
    per 10,000 rows like the demo's batches."""
    path = workdir / "baseline.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for sql in schema:
        db.execute(sql)
    rng = random.Random(1)
    started = time.perf_counter()
    for first in range(0, leads, 10_000):
        rows = [
            (i + 1, "Ada", f"Lovelace{i}", f"ada{i}@example.com",
             f"+4420{rng.randrange(10**8):08d}", "CTO", "Analytical Engines",
             "analytical.example", "GB", "Europe/London", "inquiry", 1,
             "2025-01-01 10:00:00", "2025-01-01 10:00:00", "2025-01-01 10:00:00")
            for i in range(first, min(first + 10_000, leads))
        ]
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO leads_lead (id, first_name, last_name, email, phone, title, "
            "company_name, domain, country, time_zone, stage, cycle, stage_changed_at, "
            "created_at, updated_at, website, email_invalid, email_free, email_role, "
            "phone_invalid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'',0,0,0,0)", rows)
        db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    workdir = fresh_environment("leadgate-bench-", args.database_url)
    sqlite_path = workdir / "leadgate.sqlite3"

    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    options = {"leads": args.leads, "quiet": not sys.stderr.isatty()}
    if args.seed is not None:
        options["seed"] = args.seed
    started = time.perf_counter()
    with LockWatch() as watch:
        call_command("demo", stdout=open(os.devnull, "w"), **options)  # noqa: SIM115
    seconds = time.perf_counter() - started

    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in ("leads", "intake", "workspace", "handoff"):
            counts[model._meta.db_table] = model.objects.count()
    total = sum(counts.values())
    if connection.vendor == "sqlite":
        connection.close()  # checkpoint the WAL so the size is the file's
        size = file_size(sqlite_path)
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]

    # The baseline table: leads_lead's own schema (table, then its indexes).
    schema = []
    if connection.vendor == "sqlite":
        reader = sqlite3.connect(sqlite_path)
        schema = [sql for (sql,) in reader.execute(
            # Its table and indexes, not the search index's triggers (the
            # baseline is the bare rows; the demo pays for the index).
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'leads_lead' AND sql IS NOT NULL "
            "AND type IN ('table', 'index') ORDER BY type DESC")]
        reader.close()
    if not schema:  # PostgreSQL run: a same-shaped table by hand
        schema = ["CREATE TABLE leads_lead (id integer PRIMARY KEY, first_name text, "
                  "last_name text, email text, phone text, title text, company_name text, "
                  "country text, time_zone text, account_id integer, source_id integer, "
                  "campaign_id integer, stage text, cycle integer, stage_changed_at text, "
                  "owner_id integer, team_id integer, created_at text, updated_at text)"]
    base = baseline(args.leads, schema, workdir)

    print(f"leadgate demo --leads {args.leads:,} on {connection.vendor}")
    print(f"{'table':<28}{'rows':>12}")
    for table, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count:
            print(f"{table:<28}{count:>12,}")
    print(f"database size: {size / 2**20:,.1f} MiB")
    print()
    print(f"{'run':<36}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'vs baseline':>13}")
    base_rate = args.leads / base
    for name, rows, secs in (("raw sqlite3 executemany (leads only)", args.leads, base),
                             ("leadgate demo (all tables)", total, seconds)):
        rate = rows / secs
        print(f"{name:<36}{rows:>12,}{secs:>10.1f}{rate:>12,.0f}{base_rate / rate:>12.1f}x")
    print(f"leads/s: {args.leads / seconds:,.0f}")
    print(watch.report("the demo"))
    finish(workdir, args.keep)


if __name__ == "__main__":
    main()
