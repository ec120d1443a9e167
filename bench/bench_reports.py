"""Benchmark the reports: every registered report, cold and warm, over a year
of a database of a million leads. The goal (issue 15): each answers in < 2 s
on PostgreSQL and < 5 s on SQLite, cold, for a year with filters.

    .venv/bin/python bench/bench_reports.py [--leads 1000000] [--database-url URL]
        [--seed 1] [--keep] [--analyze] [--evict] [--profile DIR]
    .venv/bin/python bench/bench_reports.py --reuse (--sqlite PATH | --database-url URL)
        [--sets a,b,c] [--evict] [--profile DIR]
    .venv/bin/python bench/bench_reports.py --one SLUG --filters QUERY --user ID
        [--sqlite PATH | --database-url URL] [--profile FILE]

Runs against a fresh SQLite file in a temporary directory (or against an EMPTY
database given by --database-url). Steps:

1. Fill (bench/reports_fill.py, the data set in bench/reports_data.py;
   seeded, raw SQL executemany in batches of 10,000 rows; table and column
   names from the models' _meta; not measured against a goal): three teams
   of eight qualifiers, four sales reps, a manager and a marketer; eight
   sources with five campaigns each and their monthly costs; company targets
   for every month and metric; N/5 accounts; N leads created over the last 24
   months (ids in order of arrival, as in a real database), each walked
   through the lifecycle (leads/lifecycle.py) cycle by cycle: its inquiries,
   stage changes, first-response SLA clock (response times from seconds to
   days, by qualifier and hour of day; breached clocks), touches with
   dispositions, qualification verdicts, handoffs (accepted, rejected with a
   reason, pending) and outcomes (opportunity, won, lost, with amounts):
   about 7 records a lead. (No routing Assignment rows: the reports do not
   read them; facts.compute() does, for the owner of a past cycle.)
2. `reports.facts.rebuild()`: the summary table (one row per lead and cycle),
   timed: rows/s.
3. Baseline, measured in the same run: one grouped COUNT over the summary
   table for the filter set's period (`SELECT furthest, COUNT(*) ... WHERE
   entered_at in the period [AND source AND team] GROUP BY furthest`), cold
   (in a new process) and warm: the floor of a report.
4. Every report of `reports.catalog.REPORTS`, each filter set in a new
   process (`--one`): Django set up, the filters built by `FilterForm` from a
   query string, then `report.compute(filters, manager)` timed once (cold)
   and once more (warm); the child also reports its SQL statements, their
   time and the slowest one. Filter sets: (a) the last 12 months; (b) the
   last 12 months, one source and one team; (c) (b) counted by stages
   reached in the period (`basis=reached`; reports without that basis
   compute as for (b)).

"Cold" is a new process with a new database connection: no Python-level or
SQLite page cache, but the operating system's file cache (and PostgreSQL's
shared buffers) as the previous steps left them. `--evict` also drops the
SQLite file from the OS cache before each cold run (posix_fadvise), a disk
read as after a reboot. Leadgate never runs ANALYZE on SQLite, so neither
does this bench unless `--analyze` is given; on PostgreSQL it runs ANALYZE
after the fill and after the rebuild (what autovacuum does soon after).

`--reuse` skips steps 1 and 2: it measures (3 and 4) a database that an
earlier run kept (`--keep`: the SQLite file in the folder it prints, or the
PostgreSQL database it filled), after applying any new migration; the fill
and rebuild figures are then those of the run that made it.

The exit code is 0 when every report computed, whether or not it met the
goal (a measurement); non-zero when one raised.
"""

# ruff: noqa: S608 - the SQL is built from the models' _meta names, not from input
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import subprocess
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import finish, fresh_environment  # noqa: E402 - bench/ is the script's folder
from reports_fill import fill  # noqa: E402 - the data set (step 1), apart: it is most of the code

GOALS = {"postgresql": 2.0, "sqlite": 5.0}


# --- Measuring -------------------------------------------------------------------------------

def filter_sets(people: dict[str, int]) -> list[tuple[str, str, str]]:
    """(key, label, query string) of the filter sets."""
    both = f"period=last_12_months&source={people['source']}&team={people['team']}"
    return [("a", "(a) last 12 months", "period=last_12_months"),
            ("b", "(b) last 12 months, 1 source, 1 team", both),
            ("c", "(c) as (b), basis=reached", both + "&basis=reached")]


def run_one(args: argparse.Namespace) -> int:
    """The child: one report (or the baseline) with one filter set, cold then
    warm, as one JSON line on stdout."""
    point_at(args)
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict
    from django.utils import timezone

    from leadgate.leads.models import User
    from leadgate.reports.catalog import REPORTS
    from leadgate.reports.filters import FilterForm

    user = User.objects.get(pk=args.user)
    queries: list[tuple[float, str]] = []
    fetching = [0.0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - started, sql))

    # Fetching is database time too: SQLite steps through a grouped query's
    # sorted rows (and aggregates them) as they are fetched.
    def timed_fetch(name: str) -> Any:
        def fetch(self: Any, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                with self.db.wrap_database_errors:
                    return getattr(self.cursor, name)(*args)
            finally:
                fetching[0] += time.perf_counter() - started
        return fetch

    from django.db.backends.utils import CursorWrapper

    for name in ("fetchone", "fetchmany", "fetchall"):
        setattr(CursorWrapper, name, timed_fetch(name))

    with timezone.override(user.display_time_zone):
        form = FilterForm(QueryDict(args.filters))
        if not form.is_valid():
            print(f"invalid filters {args.filters!r}: {form.errors_by_field()}", file=sys.stderr)
            return 2
        filters = form.filters()
        if args.one == "baseline":
            def compute() -> Any:
                return baseline_query(filters)
        else:
            report = REPORTS[args.one]

            def compute() -> Any:
                return report.compute(filters, user)
        seconds = []
        shown: list[dict[str, Any]] = []
        for run in range(2):
            queries.clear()
            fetching[0] = 0.0
            started = time.perf_counter()
            with connection.execute_wrapper(timed):
                if run == 0 and args.profile:
                    import cProfile

                    profiler = cProfile.Profile()
                    result = profiler.runcall(compute)
                    profiler.dump_stats(args.profile)
                else:
                    result = compute()
            seconds.append(time.perf_counter() - started)
            slowest = max(queries, default=(0.0, ""))
            executing = sum(q for q, _ in queries)
            shown.append({"queries": len(queries), "sql": round(executing + fetching[0], 4),
                          "execute": round(executing, 4), "fetch": round(fetching[0], 4),
                          "slowest": round(slowest[0], 4), "slowest_sql": slowest[1][:400]})
    rows = (sum(result.values()) if isinstance(result, dict) else
            sum(len(table.rows) for table in result.tables))
    print(json.dumps({"slug": args.one, "cold": seconds[0], "warm": seconds[1], "rows": rows,
                      "cold_sql": shown[0], "warm_sql": shown[1]}))
    return 0


def baseline_query(filters: Any) -> dict[int, int]:
    """SELECT furthest, COUNT(*) over the summary table in the period (and
    the source and team of the filter set, if any): the floor of a report."""
    from django.db import connection

    from leadgate.reports.models import CycleFact

    meta = CycleFact._meta
    qn = connection.ops.quote_name

    def col(name: str) -> str:
        return qn(meta.get_field(name).column)

    where = [f"{col('entered_at')} >= %s", f"{col('entered_at')} < %s"]
    params: list[Any] = [connection.ops.adapt_datetimefield_value(filters.since),
                         connection.ops.adapt_datetimefield_value(filters.until)]
    if filters.sources:
        where.append(f"{col('source')} IN ({', '.join(['%s'] * len(filters.sources))})")
        params += list(filters.sources)
    if filters.team is not None:
        where.append(f"{col('team')} = %s")
        params.append(filters.team)
    sql = (f"SELECT {col('furthest')}, COUNT(*) FROM {qn(meta.db_table)} "
           f"WHERE {' AND '.join(where)} GROUP BY {col('furthest')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def evict(path: str) -> None:
    """Drop the SQLite file (and its WAL) from the operating system's cache."""
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def child(slug: str, query: str, user: int, profile: str | None,
          sqlite_path: str | None) -> tuple[dict[str, Any] | None, str]:
    """Run `--one` in a new process: (its JSON, or None when it failed; stderr)."""
    if sqlite_path:
        evict(sqlite_path)
    command = [sys.executable, __file__, "--one", slug, "--filters", query, "--user", str(user)]
    if profile:
        command += ["--profile", profile]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        return None, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def build(args: argparse.Namespace, vendor_name: str) -> tuple[float, float, int]:
    """Steps 1 and 2: fill, then `facts.rebuild()`; (fill seconds, rebuild
    seconds, summary rows written)."""
    from django.db import connection
    from django.utils import timezone

    from leadgate.reports import facts
    from leadgate.reports.models import CycleFact

    now = timezone.now()
    started = time.perf_counter()
    counts = fill(args.leads, args.seed, now)
    fill_seconds = time.perf_counter() - started
    records = sum(n for table, n in counts.items()
                  if table not in ("leads_account", "leads_lead", "intake_campaigncost",
                                   "reports_target"))
    print(f"fill on {vendor_name}: {fill_seconds:.1f} s, {sum(counts.values()):,} rows "
          f"({records:,} records besides leads and accounts)")
    for table, count in counts.items():
        print(f"  {table:<24}{count:>12,}")

    # PostgreSQL with autovacuum off (as on a test server): the planner would
    # keep the summary table's statistics from when it was empty, estimate
    # each `lead_id IN (500 ids)` of refresh() at the whole table and scan it
    # for every batch (a rebuild that slows down as the table grows). Do what
    # autoanalyze does: ANALYZE it when 10% more rows than at the last one.
    analyze_as_autovacuum = False
    if vendor_name == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            analyze_as_autovacuum = cursor.fetchone()[0] == "off"
        if analyze_as_autovacuum:
            print("autovacuum is off on this server: the summary table is analyzed as "
                  "autoanalyze would (each time it has grown by 10%)")
    table = connection.ops.quote_name(CycleFact._meta.db_table)
    started = time.perf_counter()
    done = [0, 0]  # leads done, leads done at the last ANALYZE

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % 100_000 < n:
            print(f"  rebuilt {done[0]:,} leads ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        if analyze_as_autovacuum and done[0] >= 1.1 * done[1] + 50:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")
            done[1] = done[0]

    written = facts.rebuild(progress)
    rebuild_seconds = time.perf_counter() - started
    print(f"facts.rebuild(): {written:,} rows in {rebuild_seconds:.1f} s "
          f"({written / rebuild_seconds:,.0f} rows/s, {args.leads / rebuild_seconds:,.0f} "
          "leads/s)")
    return fill_seconds, rebuild_seconds, written


def point_at(args: argparse.Namespace) -> None:
    """Point Leadgate's settings at the database given (--sqlite or
    --database-url). Call before django.setup()."""
    if args.sqlite:
        os.environ["LEADGATE_SQLITE_PATH"] = args.sqlite
        os.environ.setdefault("LEADGATE_DATA_DIR", str(Path(args.sqlite).parent))
        os.environ.pop("DATABASE_URL", None)
    elif args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database to use instead "
                        "of SQLite (with --one or --reuse: the database to read)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--analyze", action="store_true",
                        help="SQLite: run ANALYZE after the rebuild (Leadgate never does)")
    parser.add_argument("--evict", action="store_true",
                        help="SQLite: drop the file from the OS cache before each cold run")
    parser.add_argument("--profile", help="a folder: a cProfile of each cold run in it "
                        "(with --one: the file)")
    parser.add_argument("--sets", default="a,b,c", help="filter sets to run (a,b,c)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database an earlier --keep run filled (--sqlite PATH "
                        "or --database-url URL): migrated, neither filled nor rebuilt")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--filters", help=argparse.SUPPRESS)
    parser.add_argument("--user", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sqlite", help="with --one or --reuse: the SQLite file to read")
    args = parser.parse_args()
    if args.one:
        try:
            return run_one(args)
        except Exception:  # noqa: BLE001 - the parent reports it
            traceback.print_exc()
            return 1

    workdir: Path | None = None
    if args.reuse:
        if not args.sqlite and not args.database_url:
            parser.error("--reuse reads --sqlite PATH or --database-url URL")
        point_at(args)
    else:
        workdir = fresh_environment("leadgate-bench-reports-", args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from leadgate.intake.models import Source
    from leadgate.leads.models import Team, User
    from leadgate.reports.catalog import REPORTS
    from leadgate.reports.models import CycleFact

    vendor_name = connection.vendor
    call_command("migrate", verbosity=0)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores)")
    from leadgate.leads.models import Lead

    if args.reuse:
        fill_seconds = rebuild_seconds = None
        leads, written = Lead.objects.count(), CycleFact.objects.count()
        print(f"reusing {connection.settings_dict['NAME']}: {leads:,} leads, {written:,} summary "
              "rows (not filled, not rebuilt by this run)")
    else:
        leads = args.leads
        fill_seconds, rebuild_seconds, written = build(args, vendor_name)
    with connection.cursor() as cursor:
        if vendor_name == "sqlite":
            if args.analyze:
                cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("ANALYZE")
    sqlite_path = (connection.settings_dict["NAME"] if vendor_name == "sqlite" and args.evict
                   else None)
    chosen = {
        "source": Source.objects.get(name="Paid search").pk,
        "team": Team.objects.get(name="EMEA").pk,
        "manager": User.objects.get(username="manager").pk,
    }
    connection.close()

    # The code measured: report modules are being written while benches run,
    # and each child imports them when it starts.
    for slug, report in REPORTS.items():
        path = Path(inspect.getsourcefile(type(report)) or "")
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        print(f"  code of {slug}: {path.relative_to(ROOT)}, sha1 "
              f"{hashlib.sha1(path.read_bytes()).hexdigest()[:10]}, modified {stamp}")  # noqa: S324
    goal = GOALS.get(vendor_name, GOALS["postgresql"])
    wanted = set(args.sets.split(","))
    sets = [s for s in filter_sets(chosen) if s[0] in wanted]
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    base: dict[str, dict[str, Any]] = {}
    for key, _label, query in sets:
        if key == "c" and "b" in base:
            base["c"] = base["b"]  # the same rows: the baseline has no basis
            continue
        found, err = child("baseline", query, chosen["manager"], None, sqlite_path)
        if found is None:
            print(err, file=sys.stderr)
            raise SystemExit("the baseline failed")
        base[key] = found
    rows: list[tuple[str, str, dict[str, Any] | None]] = []
    failed: list[str] = []
    for slug in REPORTS:
        for key, label, query in sets:
            profile = str(profile_dir / f"{slug}-{key}.prof") if profile_dir else None
            found, err = child(slug, query, chosen["manager"], profile, sqlite_path)
            if found is None:
                failed.append(f"{slug} {key}")
                print(f"{slug} {label}: FAILED\n{err[-3000:]}", file=sys.stderr)
            else:
                print(f"  {slug} {label}: cold {found['cold']:.2f} s, warm {found['warm']:.2f} s",
                      file=sys.stderr, flush=True)
            rows.append((slug, key, found))

    load = os.getloadavg()
    labels = {key: label for key, label, _q in sets}
    print()
    print(f"reports at {leads:,} leads ({written:,} summary rows) on {vendor_name}; "
          f"goal {goal:.0f} s cold; load average at the end {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} ({os.cpu_count()} cores)")
    print("| report | filters | cold s | warm s | cold vs baseline | queries | SQL s (cold) "
          "| slowest query s | goal | met |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key in base:
        if key == "c":
            continue
        b = base[key]
        print(f"| baseline: grouped COUNT over CycleFact | {labels[key]} | {b['cold']:.3f} | "
              f"{b['warm']:.3f} | 1.0x | 1 | {b['cold_sql']['sql']:.3f} | "
              f"{b['cold_sql']['slowest']:.3f} | | |")
    met = 0
    for slug, key, found in rows:
        if found is None:
            print(f"| {slug} | {labels[key]} | FAILED | | | | | | {goal:.0f} s | no |")
            continue
        ratio = found["cold"] / base[key]["cold"] if base[key]["cold"] else float("inf")
        ok = found["cold"] < goal
        met += ok
        print(f"| {slug} | {labels[key]} | {found['cold']:.2f} | {found['warm']:.2f} | "
              f"{ratio:,.0f}x | {found['cold_sql']['queries']} | {found['cold_sql']['sql']:.2f} "
              f"| {found['cold_sql']['slowest']:.2f} | {goal:.0f} s | "
              f"{'yes' if ok else '**no**'} |")
    print(f"\nverdict: {met} of {len(rows)} report runs within the {goal:.0f} s goal on "
          f"{vendor_name}")
    for slug, key, found in rows:
        if found is not None and found["cold"] >= goal:
            print(f"  over the goal: {slug} {labels[key]}: slowest statement "
                  f"{found['cold_sql']['slowest']:.2f} s of {found['cold_sql']['sql']:.2f} s SQL "
                  f"in {found['cold']:.2f} s: {found['cold_sql']['slowest_sql'][:300]}")
    if fill_seconds is not None and rebuild_seconds is not None:
        print(f"fill {fill_seconds:.1f} s; rebuild {rebuild_seconds:.1f} s "
              f"({written / rebuild_seconds:,.0f} rows/s)")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    if workdir is not None:
        finish(workdir, args.keep)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
