"""Benchmark `leadgate import`: rows/s and peak memory against a raw insert.

    .venv/bin/python bench/bench_import.py --rows 100000 [--row-by-row] [--keep]

Generates a CSV of realistic leads (names, company emails and some free-mail,
phones in several formats, titles, countries, an unmapped column), with ~5%
duplicates (half exact repeats of an earlier row: skipped by fingerprint;
half the same person again with other details: merged) and ~1% bad rows
(no email and no phone, a malformed address, a field over its length). It is
imported into a fresh SQLite database in a temporary directory, then, as a
same-run baseline, the same CSV is read with `csv` and inserted with a raw
`sqlite3` executemany into a table shaped like leads_lead (same columns and
indexes), committed every --chunk-size rows like the import: the floor any import pays.
"""

import argparse
import csv
import random
import resource
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import LockWatch, finish, fresh_environment  # noqa: E402 - bench/ is the script's folder

FIRST = ("Ada Grace Alan Linus Margaret Barbara Edsger Donald Frances Ken Dennis Radia "
         "Sophie Hedy Katherine Tim Vint Bjarne Guido Anita Jean Karen Lynn Mary John "
         "Sara Omar Fatima Yuki Chen Priya Raj Lars Ingrid Pierre Amélie Jürgen Zoë").split()
LAST = ("Lovelace Hopper Turing Torvalds Hamilton Liskov Dijkstra Knuth Allen Thompson "
        "Ritchie Perlman Wilson Lamarr Johnson Berners-Lee Cerf Stroustrup Rossum Borg "
        "Bartik Jones Conway Shaw Smith García Müller O'Brien Nakamura Wang Patel Kumar "
        "Andersson Dubois Schmidt Rossi Novak Kowalski").split()
TITLES = ["CTO", "VP Marketing", "Head of Sales", "IT Manager", "Procurement Lead",
          "CEO", "Director of Operations", "Software Engineer", "CFO", "Office Manager"]
WORDS = ("Acme Globex Initech Umbrella Stark Wayne Hooli Vehement Massive Dynamic Soylent "
         "Cyberdyne Tyrell Wonka Gringotts Oscorp Aperture Black Mesa Nakatomi Monarch "
         "Virtucon Prestige Sirius Blue Sun Gekko Oceanic").split()
SUFFIXES = ["Inc", "LLC", "GmbH", "Ltd", "SA", "Group", "Labs", "Systems", ""]
COUNTRIES = ["United States", "US", "Germany", "France", "GB", "Canada", "Spain", ""]
FREE = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com"]


def companies(rng: random.Random, n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        name = f"{a} {b} {rng.choice(SUFFIXES)}".strip()
        domain = f"{a}{b}{i}.example".lower()
        out.append((name, domain))
    return out


def phone(rng: random.Random) -> str:
    n = rng.randrange(2002000000, 9899999999)
    digits = str(n)
    return rng.choice([f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
                       f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", digits,
                       f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"])


def generate(path: Path, rows: int, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    pool = companies(rng, max(rows // 20, 10))
    made: list[list[str]] = []
    kinds = {"new": 0, "repeat": 0, "same_person": 0, "bad": 0}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "Email", "Phone", "Company", "Job Title",
                         "Country", "Website", "Lead Score", "Notes"])
        for i in range(rows):
            roll = rng.random()
            if made and roll < 0.025:
                row = list(rng.choice(made))
                kinds["repeat"] += 1
            elif made and roll < 0.05:
                row = list(rng.choice(made))
                row[5], row[3] = rng.choice(TITLES), phone(rng)
                row[8] = str(rng.randrange(100))
                kinds["same_person"] += 1
            elif roll < 0.06:
                bad = rng.randrange(3)
                first, last = rng.choice(FIRST), rng.choice(LAST)
                row = [first, last, "", "", "Nowhere Inc", "", "", "", "0", ""]
                if bad == 1:
                    row[2] = f"{first}.{last}@@broken"
                elif bad == 2:
                    row[2], row[5] = f"x{i}@long.example", "T" * 250
                kinds["bad"] += 1
            else:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name, domain = rng.choice(pool)
                mail = rng.choice(FREE) if rng.random() < 0.15 else domain
                local = f"{first}.{last}{i}".lower().replace("'", "")
                row = [first if rng.random() < 0.8 else first.upper(), last,
                       f"{local}@{mail}", phone(rng) if rng.random() < 0.7 else "",
                       name, rng.choice(TITLES), rng.choice(COUNTRIES),
                       f"https://www.{domain}/" if rng.random() < 0.3 else "",
                       str(rng.randrange(100)), "met at the fair" if rng.random() < 0.1 else ""]
                made.append(row)
                kinds["new"] += 1
            writer.writerow(row)
    return kinds


def baseline(csv_path: Path, schema: list[str], workdir: Path, chunk: int) -> float:
    """Seconds to read the CSV and executemany its rows into a leads_lead-shaped
    table, one transaction per chunk (as the import)."""
    db = sqlite3.connect(workdir / "baseline.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for sql in schema:
        db.execute(sql)
    sql = ("INSERT INTO leads_lead (first_name, last_name, email, phone, company_name, title, "
           "country, website, domain, email_invalid, email_free, email_role, phone_invalid, "
           "time_zone, stage, cycle, stage_changed_at, created_at, updated_at) "
           "VALUES (?,?,?,?,?,?,?,?,'',0,0,0,0,'','inquiry',1,?,?,?)")
    now = "2025-01-01 10:00:00"
    started = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows: list[tuple] = []
        for row in reader:
            rows.append((*row[:4], row[4], row[5], row[6][:2], row[7], now, now, now))
            if len(rows) == chunk:
                db.execute("BEGIN")
                db.executemany(sql, rows)
                db.execute("COMMIT")
                rows = []
        if rows:
            db.execute("BEGIN")
            db.executemany(sql, rows)
            db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--row-by-row", action="store_true",
                        help="receive() per row instead of the bulk path")
    parser.add_argument("--workers", type=int, default=1,
                        help="parsing processes beside the writer (1)")
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    workdir = fresh_environment("leadgate-bench-import-", args.database_url)
    sqlite_path = workdir / "leadgate.sqlite3"

    csv_path = workdir / "leads.csv"
    kinds = generate(csv_path, args.rows)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from leadgate.intake.imports import ImportOptions, run_import
    from leadgate.intake.models import Inquiry
    from leadgate.leads.models import Account, Lead

    call_command("migrate", verbosity=0)
    rss_before = maxrss_mib()
    options = ImportOptions(source="Bench", progress=sys.stderr.isatty(),
                            chunk_size=args.chunk_size, row_by_row=args.row_by_row,
                            workers=args.workers)
    started = time.perf_counter()
    with LockWatch() as watch:
        run = run_import(csv_path, options)
    seconds = time.perf_counter() - started
    rss_after = maxrss_mib()
    again = time.perf_counter()
    with LockWatch() as rewatch:
        rerun = run_import(csv_path, ImportOptions(source="Bench", chunk_size=args.chunk_size,
                                                   workers=args.workers))
    reseconds = time.perf_counter() - again
    leads, inquiries, accounts = Lead.objects.count(), Inquiry.objects.count(), \
        Account.objects.count()

    schema = []
    if connection.vendor == "sqlite":
        reader = sqlite3.connect(sqlite_path)
        schema = [sql for (sql,) in reader.execute(
            # Its table and indexes, not the search index's triggers (the
            # baseline is the bare rows; the demo pays for the index).
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'leads_lead' AND sql IS NOT NULL "
            "AND type IN ('table', 'index') ORDER BY type DESC")]
        reader.close()
    if not schema:
        schema = ["CREATE TABLE leads_lead (id integer PRIMARY KEY, first_name text, "
                  "last_name text, email text, phone text, title text, company_name text, "
                  "website text, domain text, email_invalid int, email_free int, "
                  "email_role int, phone_invalid int, country text, time_zone text, "
                  "account_id integer, source_id integer, campaign_id integer, stage text, "
                  "cycle integer, stage_changed_at text, owner_id integer, team_id integer, "
                  "created_at text, updated_at text, processed_at text)"]
    base = baseline(csv_path, schema, workdir, args.chunk_size)

    path = "row by row (receive() per row)" if args.row_by_row else "bulk path"
    path += f", {args.workers} parsing worker(s)"
    print(f"leadgate import of {args.rows:,} generated rows on {connection.vendor} ({path}, "
          f"chunks of {args.chunk_size})")
    print(f"generated: {kinds['new']:,} new, {kinds['same_person']:,} same person again, "
          f"{kinds['repeat']:,} exact repeats, {kinds['bad']:,} bad")
    print(f"run: created {run.created:,}, merged {run.merged:,}, skipped {run.skipped:,}, "
          f"rejected {run.rejected:,}; leads {leads:,}, inquiries {inquiries:,}, "
          f"accounts {accounts:,}")
    print(f"re-import: created {rerun.created:,}, merged {rerun.merged:,}, "
          f"skipped {rerun.skipped:,}, rejected {rerun.rejected:,} in {reseconds:.1f}s")
    print()
    print(f"{'run':<40}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'vs raw':>9}")
    base_rate = args.rows / base
    for name, secs in (("raw sqlite3 executemany (leads only)", base),
                       ("leadgate import", seconds), ("leadgate import again (all skip)",
                                                      reseconds)):
        rate = args.rows / secs
        print(f"{name:<40}{args.rows:>10,}{secs:>10.1f}{rate:>10,.0f}{base_rate / rate:>8.1f}x")
    print(f"peak RSS: {rss_before:,.0f} MiB before the import, {rss_after:,.0f} MiB after "
          f"(+{rss_after - rss_before:,.0f} MiB); CSV {csv_path.stat().st_size / 2**20:.1f} MiB")
    print(watch.report("the import"))
    print(rewatch.report("the import again"))
    finish(workdir, args.keep)


if __name__ == "__main__":
    main()
