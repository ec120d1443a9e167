"""Soak benchmark: the real service as a user runs it, under load and a long job.

    .venv/bin/python bench/bench_serve.py [--seconds 30] [--clients 20] [--rate 25]
        [--import-rows 200000] [--postgres | --database-url URL] [--keep]

Set-up as a user does it: a fresh database (SQLite in a temporary folder, or a
PostgreSQL database made for the run), `leadgate migrate`, `leadgate demo`, an
intake key, a web form; then `leadgate serve` with its web app, task workers
and scheduler, started with the bench settings (which only add the bare
endpoint, `POST /bench/bare`, one committed row per request: the floor). The
hot-inbound SLA policy is set to 1 minute around the clock so that breaches
fall inside the run and their lateness can be measured.

Phases, each against the running service:
 1. bare: 20 clients on the bare endpoint, then the same on `POST /api/v1/leads`,
    answered when the lead is stored (201), then with `Prefer: respond-async`,
    answered when it is kept as an arrival (202) (throughput ratios against bare,
    with the workers busy processing);
 2. one client, sequentially, the mix (API posts with idempotency keys, some
    retried; bulk posts; web-form posts; touches by a logged-in qualifier);
 3. 20 clients, the same mix (the burst), then the backlog's drain time;
 4. a paced rate (--rate leads/s) for --seconds: time from arrival to fully
    processed (enriched, scored, routed, SLA clock), p50 / p95;
 5. a --import-rows file previewed (`leadgate import --dry-run`) and then
    imported, while 5 clients keep sending API leads at a paced rate.
Throughout, /healthz is polled every 0.5 s (the service must stay up), every
non-2xx is counted by kind and code, and at the end every acknowledged lead is
looked up: lost, duplicated, not processed. SLA breach lateness and the
largest gap between two breach checks are read from the database.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from common import finish, free_port, percentile  # noqa: E402 - bench/ is the script's folder
from soak import (  # noqa: E402
    MIX,
    Client,
    Stats,
    bare,
    breach_lateness,
    check_stored,
    log_in,
    run_clients,
    wait_processed,
)

SETUP = """
from django.db import connection
from leadgate.intake.models import WebForm
from leadgate.leads.models import Lead, User
from leadgate.routing.models import SlaPolicy
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE bench_bare (id {pk}, email TEXT NOT NULL, "
                   "payload TEXT NOT NULL, received_at TEXT NOT NULL)")
SlaPolicy.objects.filter(segment="hot_inbound").update(minutes=1, business_hours=False)
form = WebForm.objects.create(name="Soak form", is_hot=True)
qualifier = User.objects.get(username="qualifier")
ids = list(Lead.objects.on_desk().filter(owner=qualifier).values_list("pk", flat=True)[:200])
print("FORM", form.key)
print("LEADS", ",".join(map(str, ids)))
"""


class Service:
    """`leadgate serve` on a fresh database, and a watch on /healthz."""

    def __init__(self, workdir: Path, database_url: str | None) -> None:
        self.workdir, self.port = workdir, free_port()
        self.env = {**os.environ, "LEADGATE_DATA_DIR": str(workdir),
                    "DJANGO_SETTINGS_MODULE": "bench_settings",
                    "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
                    "LEADGATE_FORM_RATE_LIMIT": "1000000", "LEADGATE_AUTO_ACK": "1"}
        if database_url:
            self.env["DATABASE_URL"] = database_url
        else:
            self.env.pop("DATABASE_URL", None)
            self.env["LEADGATE_SQLITE_PATH"] = str(workdir / "leadgate.sqlite3")
        self.down_checks = 0
        self.checks = 0
        self.server: subprocess.Popen | None = None
        self._watching = threading.Event()

    def leadgate(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([sys.executable, "-m", "leadgate", *args], env=self.env,
                                cwd=ROOT, input=stdin, capture_output=True, text=True,
                                check=False)
        if result.returncode:
            raise SystemExit(f"leadgate {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def set_up(self) -> tuple[str, str, list[int]]:
        started = time.perf_counter()
        self.leadgate("migrate", "-v0")
        self.leadgate("demo")
        print(f"migrate + demo: {time.perf_counter() - started:.0f} s", flush=True)
        key = self.leadgate("apikey", "create", "--name", "soak", "--scopes",
                            "intake,read").strip().splitlines()[-1]
        pk = ("INTEGER PRIMARY KEY AUTOINCREMENT" if "DATABASE_URL" not in self.env
              else "BIGSERIAL PRIMARY KEY")
        out = self.leadgate("shell", "-c", SETUP.replace("{pk}", pk))
        lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
        leads = [int(n) for n in lines.get("LEADS", "").split(",") if n]
        return key, lines["FORM"].strip(), leads

    def start(self) -> None:
        log = open(self.workdir / "serve.log", "wb")  # noqa: SIM115 - the server's lifetime
        self.server = subprocess.Popen(
            [sys.executable, "-m", "leadgate", "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 90
        while not self.healthy():
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"leadgate serve did not start; see {self.workdir}/serve.log")
            time.sleep(0.3)
        self._watching.set()
        threading.Thread(target=self._watch, daemon=True).start()

    def healthy(self) -> bool:
        import http.client

        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def _watch(self) -> None:
        while self._watching.is_set():
            self.checks += 1
            if not self.healthy():
                self.down_checks += 1
            time.sleep(0.5)

    def stop(self) -> int | None:
        self._watching.clear()
        if self.server is None:
            return None
        alive = self.server.poll() is None
        if alive:
            self.server.terminate()
            try:
                self.server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, 9)
        return self.server.returncode if not alive else None


def write_import(path: Path, rows: int, tag: str) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Last Name", "Email", "Company", "Title", "Country"])
        for n in range(rows):
            writer.writerow([rng.choice(["Ada", "Alan", "Grace", "Ken"]), f"Import{n}",
                             f"import.{tag}.{n}@firm{n % 5000}.example", f"Firm {n % 5000}",
                             "IT Manager", "US"])


def latency_row(name: str, stats: Stats, seconds: float, leads: int) -> str:
    values = stats.all_latencies()
    failures = stats.failures()
    codes = ", ".join(f"{kind} {code}: {n}" for (kind, code), n in sorted(failures.items())) or "0"
    p50 = percentile(values, 0.5) * 1000 if values else 0
    p99 = percentile(values, 0.99) * 1000 if values else 0
    return (f"| {name} | {stats.requests:,} | {leads / seconds:,.1f} | {p50:.0f} | {p99:.0f} "
            f"| {codes} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="per phase (30)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--rate", type=float, default=12,
                        help="paced leads/s in phase 4 (12: what 2 cores keep up with)")
    parser.add_argument("--import-rows", type=int, default=200_000, help="0: no import phase")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--postgres", action="store_true",
                        help="make (and drop) a PostgreSQL database on 127.0.0.1 for the run")
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="leadgate-soak-"))
    database_url, made_db = args.database_url, None
    if args.postgres:
        made_db = f"leadgate_soak_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", made_db], check=True)
        database_url = f"postgres://postgres@127.0.0.1:5432/{made_db}"
    service = Service(workdir, database_url)
    os.environ.update({k: v for k, v in service.env.items()
                       if k.startswith(("LEADGATE_", "DJANGO_", "DATABASE_"))})
    if not database_url:
        os.environ.pop("DATABASE_URL", None)
    key, form_key, desk_leads = service.set_up()
    import django

    django.setup()
    from django.db import connection

    engine = "PostgreSQL" if database_url else "SQLite"
    tag = f"{os.getpid()}"
    rows: list[str] = []
    everything = Stats()
    notes: list[str] = []
    try:
        service.start()
        run_started = datetime.now(UTC)
        session = log_in(service.port, "qualifier", "leadgate-demo")

        def maker(phase: str, mix_session: bool = True):
            return lambda n: Client(service.port, key, form_key, f"{tag}{phase}", n,
                                    session if mix_session else None, desk_leads)

        # 1. Throughput against the floor, the workers running.
        floor = bare(service.port, args.clients, args.seconds)
        api = run_clients(maker("a"), args.clients, seconds=args.seconds, mix={"api": 1})
        everything.merge(api)
        later = run_clients(maker("l"), args.clients, seconds=args.seconds,
                            mix={"api_async": 1})
        everything.merge(later)
        floor_rate = floor.requests / (floor.finished - floor.started)
        api_rate = api.requests / (api.finished - api.started)
        later_rate = later.requests / (later.finished - later.started)
        rows.append(latency_row(f"bare insert, {args.clients} clients", floor,
                                floor.finished - floor.started, floor.requests))
        rows.append(latency_row(f"API intake only, {args.clients} clients", api,
                                api.finished - api.started, len(api.acknowledged)))
        rows.append(latency_row(f"API intake, respond-async, {args.clients} clients", later,
                                later.finished - later.started, len(later.acknowledged)))
        notes.append(f"API intake throughput {api_rate:.0f} req/s = "
                     f"{100 * api_rate / floor_rate:.0f}% of bare ({floor_rate:.0f} req/s); "
                     f"with respond-async {later_rate:.0f} req/s = "
                     f"{100 * later_rate / floor_rate:.0f}% of bare")

        # 2. One client, the mix.
        one = run_clients(maker("s"), 1, seconds=args.seconds, mix=MIX)
        everything.merge(one)
        rows.append(latency_row("mix, 1 client", one, one.finished - one.started,
                                len(one.acknowledged)))

        # 3. The burst and its drain.
        burst = run_clients(maker("b"), args.clients, seconds=args.seconds, mix=MIX)
        everything.merge(burst)
        burst_seconds = burst.finished - burst.started
        rows.append(latency_row(f"mix, {args.clients} clients (burst)", burst, burst_seconds,
                                len(burst.acknowledged)))
        pending = [*api.acknowledged, *later.acknowledged, *one.acknowledged,
                   *burst.acknowledged]
        drained = wait_processed(pending, args.drain_timeout)
        notes.append(f"burst intake {len(burst.acknowledged) / burst_seconds:.1f} leads/s; "
                     f"backlog of all earlier phases drained "
                     + (f"{drained:.1f} s after the burst" if drained is not None
                        else f"NOT within {args.drain_timeout:.0f} s"))

        # 4. A sustained, paced rate: time to processed.
        paced = run_clients(maker("p"), args.clients, seconds=args.seconds, rate=args.rate,
                            mix=MIX)
        everything.merge(paced)
        rows.append(latency_row(f"mix paced at {args.rate:g} leads/s", paced,
                                paced.finished - paced.started, len(paced.acknowledged)))
        wait_processed(list(paced.acknowledged), args.drain_timeout)
        sustained = check_stored(paced)
        waits = sustained["waits"]
        assert isinstance(waits, list)
        if waits:
            notes.append(f"paced phase: arrival to fully processed p50 "
                         f"{percentile(waits, 0.5):.2f} s, p95 {percentile(waits, 0.95):.2f} s, "
                         f"max {max(waits):.2f} s over {len(waits)} leads")

        # 5. A long job beside intake: preview, then import.
        if args.import_rows:
            path = workdir / "import.csv"
            write_import(path, args.import_rows, tag)
            for label, extra in (("preview (--dry-run)", ["--dry-run"]), ("import", [])):
                started = time.perf_counter()
                job = subprocess.Popen([sys.executable, "-m", "leadgate", "import", str(path),
                                        *extra], env=service.env, cwd=ROOT,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                beside = Stats()
                rounds = 0
                while job.poll() is None:
                    rounds += 1
                    part = run_clients(maker(f"i{label[0]}{rounds}", False), 5, seconds=5,
                                       rate=10, mix={"api": 1})
                    beside.merge(part)
                seconds = time.perf_counter() - started
                output = (job.stdout.read() if job.stdout else b"").decode()[-300:]
                everything.merge(beside)
                rows.append(latency_row(f"API beside the {label} of {args.import_rows:,} rows",
                                        beside, seconds, len(beside.acknowledged)))
                notes.append(f"{label}: {seconds:.0f} s, exit {job.returncode}: "
                             f"{output.strip().splitlines()[-1] if output.strip() else ''}")
            wait_processed([e for e in everything.acknowledged if f".{tag}i" in e], 120)
    finally:
        code = service.stop()
        connection.close()

    stored = check_stored(everything)
    lateness = breach_lateness(run_started)
    failures = everything.failures()
    up = service.down_checks == 0 and code is None
    print(f"\n### {engine}: `leadgate serve` after `leadgate demo`, "
          f"{args.clients} clients, {args.seconds:g} s phases\n")
    print("| phase | requests | leads/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        print(row)
    print()
    for note in notes:
        print(f"- {note}")
    waits = stored["waits"]
    assert isinstance(waits, list)
    print(f"- requests {everything.requests:,}; non-2xx {sum(failures.values())}"
          + (f" ({dict(failures)})" if failures else ""))
    print(f"- idempotent retries: {everything.replays['same']} replayed the first answer, "
          f"{everything.replays['different']} did not")
    print(f"- leads acknowledged {stored['acknowledged']:,}, stored {stored['stored']:,}, "
          f"lost {stored['lost']}, duplicated {stored['duplicated']}, wrong id "
          f"{stored['wrong id']}, inquiries not exactly one {stored['inquiries not once']}")
    print(f"- fully processed (enriched, scored, routed, SLA clock) {stored['processed']:,}"
          + (f"; arrival to processed p50 {percentile(waits, 0.5):.2f} s, "
             f"p95 {percentile(waits, 0.95):.2f} s" if waits else ""))
    print(f"- SLA breaches {lateness['breaches']}, acted on at most "
          f"{lateness['max lateness s']:.1f} s after due; breach check ran "
          f"{lateness['checks']} times, largest gap {lateness['max gap s']:.1f} s")
    print(f"- service up throughout: {'yes' if up else 'NO'} "
          f"({service.down_checks} of {service.checks} health checks failed"
          + (f", serve exited with {code}" if code is not None else "") + ")")
    log = (workdir / "serve.log").read_text(errors="replace").splitlines()
    print(f"- serve printed {len(log)} lines: " + " / ".join(line[:120] for line in log[:6]))
    connection.close()  # the checks above reopened it; dropdb refuses a database in use
    if made_db:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", made_db],
                       check=False)
    finish(workdir, args.keep)
    ok = (up and not failures and not stored["lost"] and not stored["duplicated"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
