"""Benchmark API intake: `POST /api/v1/leads` against a bare one-row insert on
the same server, at 1 and 50 concurrent clients.

    .venv/bin/python bench/bench_api_intake.py [--requests 2000] [--clients 1,50]
        [--workers 1] [--threads 8] [--keep]

Starts the real server (`leadgate serve --no-worker`: gunicorn, gthread) on a
fresh SQLite database in a temporary directory, with the bench settings
(bench/bench_settings.py) whose URLconf adds `POST /bench/bare`: the same
middleware, one JSON parse and one committed INSERT, nothing else: the limit.
An intake key is made with `leadgate apikey create`. Clients are threads, each
with its own keep-alive `http.client` connection; every request sends a new
person (unique email). The background worker is not started, so the after-intake
tasks only queue (their enqueue, a row, is part of the measured request).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import finish, free_port, percentile, wait_until_up  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMPANIES = 200  # leads share accounts, as they do in life




def lead(run: int, n: int) -> dict:
    """A new person for each (run, n): unique email and phone (London numbers)."""
    company = n % COMPANIES
    return {
        "first_name": "Ada", "last_name": f"Lovelace{n}",
        "email": f"ada.{run}.{n}@company{company}.example",
        "phone": f"+44 20 7{run % 10}{n % 1_000_000:06d}",
        "company": f"Company {company}", "title": "Head of Operations",
        "country": "US", "message": "Please call me about pricing.",
        "utm_source": "newsletter", "utm_campaign": "spring",
    }


def run_level(port: int, path: str, headers: dict, clients: int, requests: int,
              run: int) -> tuple[float, list[float], dict[int, int]]:
    """Seconds for `requests` POSTs spread over `clients` threads, each latency
    in seconds, and the count of each status."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(requests))
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        codes: dict[int, int] = {}
        barrier.wait()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body = json.dumps(lead(run, n))
            started = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses






def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and level")
    parser.add_argument("--clients", default="1,50", help="concurrency levels, comma-separated")
    parser.add_argument("--workers", type=int, default=1, help="as `leadgate serve` on SQLite")
    parser.add_argument("--threads", type=int, default=8, help="threads per web worker")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",") if level.strip()]

    workdir = Path(tempfile.mkdtemp(prefix="leadgate-bench-api-"))
    env = {
        **os.environ,
        "LEADGATE_DATA_DIR": str(workdir),
        "LEADGATE_SQLITE_PATH": str(workdir / "leadgate.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "LEADGATE_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    os.environ.update({k: env[k] for k in (
        "LEADGATE_DATA_DIR", "LEADGATE_SQLITE_PATH", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_bare (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "email TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL)")
    out = io.StringIO()
    call_command("apikey", "create", "--name", "bench", "--scopes", "intake", stdout=out,
                 stderr=io.StringIO())
    key = out.getvalue().strip()
    connection.close()

    port = free_port()
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    server = subprocess.Popen(
        [sys.executable, "-m", "leadgate", "serve", "--port", str(port), "--workers",
         str(args.workers), "--threads", str(args.threads), "--no-worker"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    rows = []
    try:
        wait_until_up(port, server)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        endpoints = [("bare insert (limit)", "/bench/bare"),
                     ("POST /api/v1/leads", "/api/v1/leads")]
        runs = iter(range(10))
        for _name, path in endpoints:  # warm every worker and thread up
            run_level(port, path, headers, 8, 80, next(runs))
        for clients in levels:
            measured = {}
            # Bare first, then intake, at each level: both see the same database size.
            for name, path in endpoints:
                seconds, latencies, statuses = run_level(
                    port, path, headers, clients, args.requests, next(runs))
                ok = sum(count for code, count in statuses.items() if 200 <= code < 300)
                if ok != args.requests:
                    print(f"warning: {name} at {clients} clients: statuses {statuses}",
                          file=sys.stderr)
                measured[name] = args.requests / seconds
                rows.append((name, clients, args.requests, args.requests / seconds,
                             statistics.median(latencies) * 1000,
                             percentile(latencies, 0.99) * 1000,
                             measured[name] / measured["bare insert (limit)"]))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    import django as dj

    print(f"API intake on SQLite: leadgate serve --workers {args.workers} --threads "
          f"{args.threads} (gthread, no task worker); Python {sys.version.split()[0]}, "
          f"Django {dj.get_version()}, {os.cpu_count()} CPUs")
    print(f"{'endpoint':<22}{'clients':>8}{'requests':>10}{'req/s':>9}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'vs bare':>9}")
    for name, clients, requests, rate, p50, p99, ratio in rows:
        print(f"{name:<22}{clients:>8}{requests:>10,}{rate:>9,.0f}{p50:>9.1f}{p99:>9.1f}"
              f"{ratio:>8.0%}")
    finish(workdir, args.keep)


if __name__ == "__main__":
    main()
