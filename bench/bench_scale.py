"""Throughput as processes grow (issue 17): a Leadgate cluster on loopback
(bench/cluster.py: PostgreSQL, its own Redis, `leadgate web` / RQ `leadgate
worker` processes) after `leadgate demo`.

1. Intake: API posts (one lead each, an Idempotency-Key each) from
   --clients threads spread over 1, 2 and 4 `leadgate web` processes, no
   task worker running (their jobs wait in Redis), against the bare-insert
   limit (`POST /bench/bare`: the same middleware, one committed INSERT)
   measured over the same web processes in the same run. Each row checks
   what it acknowledged: lost (not stored) or duplicated (stored twice).
2. Processing: the leads the intake rows left queued in Redis are taken
   through the steps after intake by 1, 2 and 4 RQ workers; leads processed
   per second (processed_at set) over --seconds, after a warm-up.

    .venv/bin/python bench/bench_scale.py [--seconds 15] [--clients 16]
        [--demo-leads 2000] [--webs 1,2,4] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from cluster import ADMIN_URL, Cluster
from common import finish, percentile
from soak import Stats, bare, run_clients

BARE_TABLE = ("CREATE TABLE bench_bare (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL, "
              "payload TEXT NOT NULL, received_at TEXT NOT NULL)")


def processed(cluster: Cluster) -> int:
    import psycopg

    with psycopg.connect(cluster.database_url) as connection:
        return connection.execute(
            "SELECT count(*) FROM leads_lead WHERE processed_at IS NOT NULL").fetchone()[0]


def unprocessed(cluster: Cluster) -> int:
    import psycopg

    with psycopg.connect(cluster.database_url) as connection:
        return connection.execute(
            "SELECT count(*) FROM leads_lead WHERE processed_at IS NULL").fetchone()[0]


def failures(stats: Stats) -> str:
    return ", ".join(f"{kind} {status}: {n}" for (kind, status), n
                     in sorted(stats.failures().items())) or "0"


def rate(stats: Stats, count: int) -> float:
    return count / max(1e-9, stats.finished - stats.started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="per measurement (15)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (16)")
    parser.add_argument("--demo-leads", type=int, default=2000, help="leadgate demo --leads")
    parser.add_argument("--webs", default="1,2,4", help="web process counts (1,2,4)")
    parser.add_argument("--workers", default="1,2,4", help="RQ worker counts (1,2,4)")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", ADMIN_URL),
                        help="a PostgreSQL server's URL (a database is made and dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    webs = [int(n) for n in args.webs.split(",")]
    workers = [int(n) for n in args.workers.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="leadgate-scale-"))
    # bench_settings: Leadgate's settings plus POST /bench/bare.
    cluster = Cluster(workdir, admin_url=args.admin_url, settings_module="bench_settings")
    began = time.monotonic()
    intake_rows, work_rows = [], []
    try:
        cluster.create()
        cluster.set_up(demo_leads=args.demo_leads)
        cluster.shell(f"from django.db import connection\n"
                      f"connection.cursor().execute({BARE_TABLE!r})")
        print(f"set up (migrate, demo {args.demo_leads}): {time.monotonic() - began:.0f} s",
              flush=True)

        # 1. Intake over 1, 2, 4 web processes; no worker (jobs wait in Redis).
        for count in webs:
            cluster.start(webs=count, workers=0, scheduler=False)
            ports = cluster.ports
            floor = bare_over(ports, args.clients, args.seconds)
            api = run_clients(lambda n, c=count: cluster.client(f"w{c}", n, seed=n), args.clients,
                              seconds=args.seconds, mix={"api": 1})
            report = cluster.report(api.acknowledged)
            latencies = api.all_latencies()
            row = {"webs": count, "bare": rate(floor, floor.requests),
                   "api": rate(api, len(api.acknowledged)), "requests": api.requests,
                   "p50": percentile(latencies, 0.5) * 1000,
                   "p99": percentile(latencies, 0.99) * 1000,
                   "non2xx": f"{failures(api)}; bare {failures(floor)}",
                   "lost": report["lost"], "duplicated": report["duplicated"]}
            intake_rows.append(row)
            print(row, flush=True)
            cluster.stop(forget=True)

        # 2. The backlog left in Redis, taken by 1, 2, 4 RQ workers.
        backlog = unprocessed(cluster)
        print(f"backlog: {backlog} leads unprocessed", flush=True)
        for count in workers:
            cluster.start(webs=0, workers=count, scheduler=False)
            time.sleep(5)  # each worker loads the scoring model with its first job
            before, started = processed(cluster), time.monotonic()
            time.sleep(args.seconds)
            done, seconds = processed(cluster) - before, time.monotonic() - started
            row = {"workers": count, "rate": done / seconds, "processed": done,
                   "left": unprocessed(cluster)}
            work_rows.append(row)
            print(row, flush=True)
            cluster.stop(forget=True)
            if row["left"] == 0:
                break
    finally:
        cluster.destroy()
        finish(workdir, args.keep)

    print(f"\nbench_scale: {time.monotonic() - began:.0f} s in all; "
          f"{args.clients} clients, {args.seconds:g} s per row, demo {args.demo_leads} leads\n")
    print("| web processes | bare insert req/s | API intake leads/s | % of bare | p50 ms "
          "| p99 ms | non-2xx | lost | duplicated |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in intake_rows:
        print(f"| {row['webs']} | {row['bare']:.0f} | {row['api']:.0f} "
              f"| {100 * row['api'] / row['bare']:.0f}% | {row['p50']:.0f} | {row['p99']:.0f} "
              f"| {row['non2xx']} | {row['lost']} | {row['duplicated']} |")
    print("\n| RQ workers | leads processed/s | processed in the window | left |")
    print("|---|---|---|---|")
    for row in work_rows:
        print(f"| {row['workers']} | {row['rate']:.1f} | {row['processed']} | {row['left']} |")


def bare_over(ports: list[int], clients: int, seconds: float) -> Stats:
    """soak.bare() with its clients spread over every web process."""
    total = Stats()
    per = max(1, clients // len(ports))
    results: list[Stats] = []
    threads = [threading.Thread(target=lambda p=port: results.append(bare(p, per, seconds)))
               for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        total.merge(result)
    total.started = min(result.started for result in results)
    total.finished = max(result.finished for result in results)
    return total


if __name__ == "__main__":
    main()
