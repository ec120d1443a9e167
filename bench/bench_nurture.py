"""Benchmark nurture: the sweep that takes due steps, the outbox's sender
against a bare SMTP loop, a worker killed while sending, and the time from a
step's due time to its email at a mail server.

    .venv/bin/python bench/bench_nurture.py [--leads 100000] [--due-share 0.1]
        [--emails 2000] [--kill 1000] [--kills 5] [--lease SECONDS]
        [--enrollments 300] [--spread 180] [--parts scheduling,sending,kill,due]
        [--rounds 4] [--postgres | --database-url URL] [--keep]

A fresh database (SQLite in a temporary folder, or a PostgreSQL database made
for the run with --postgres) and a local SMTP sink (aiosmtpd in a process of
its own, counting each message it receives by its Message-ID). Every part
prints a table against a baseline measured in the same run, in alternating
rounds (two cores: timings are noisy).

1. scheduling: --leads leads in nurture, each with an enrollment built in bulk
   as `engine.enroll()` makes it (a cadence of an email, a wait, an email and
   a call task; step 0 due at enrollment); --due-share of them have their
   first step (an email) due, the others later in the cadence and later in
   time. Each round sweeps a slice of the due ones with `engine.run_due()`,
   called until nothing is due, against the baseline: as many outbox rows
   queued by a plain loop of `queue_emails()` (one email a call, in
   transactions of --batch, as the sweep's), the least a step can cost. Then
   the sweep with nothing due (its index read) against a bare indexed SELECT.
2. sending: --emails nurture emails each way, to the sink: a bare `smtplib`
   loop on one connection (the baseline) and one connection per message, the
   same messages as the outbox builds them; `sender.send_due()` in this
   process; and the `send_email` tasks the outbox queues, one per email as a
   nurture step queues it, run by a real `leadgate worker --queue-name urgent`
   (as `leadgate serve` runs it), timed from the commit to the last message at
   the sink. Goal: the sender >= 50% of the bare loop's messages/s.
3. kill: --kill nurture emails queued, a real urgent worker and the scheduler
   started, the worker SIGKILLed --kills times once some messages arrived (at
   a random moment up to 50 ms later; the sink answers each message after
   --sink-delay, so a kill can fall while one is being handed over) and
   restarted at once, until the outbox is drained. Counted at the sink by
   Message-ID: duplicates, missing (sent but not received; never sent), and
   rows failed "lost while sending" (at most once: allowed by design,
   reported apart). A killed sender's row waits for its lease (the sender's
   own, 5 minutes, unless --lease shortens it in the worker) and the
   scheduler's send sweep (every 10 s). Goal: 0 duplicates, 0 missing.
4. due: `leadgate serve` after `leadgate demo`, SMTP to the sink, and
   --enrollments demo leads enrolled with their first step due at times spread
   over --spread seconds: (email at the sink - step due time), against emails
   queued directly (`queue_email`) at their due times between them, through
   the same service. Goal: p95 <= 60 s. Runs as a process of its own (its own
   database), after the others.

Quiet weekends and holidays: part 1 sweeps at a fixed Wednesday (every lead's
step is in its window); part 4 turns them off, so a step enrolled on a Sunday
evening in a lead's zone is due when planned.
"""


from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from common import finish, fresh_environment, percentile  # noqa: E402 - bench/ is the script's folder
from nurture_kit import (  # noqa: E402
    FAR,
    NOW,
    explain,
    fill,
    machine,
    make_cadence,
    nurture_email,
    table,
)
from nurture_mail import Sink, part_kill, part_sending  # noqa: E402

PARTS = ("scheduling", "sending", "kill", "due")


# --- 1. scheduling ------------------------------------------------------------------------


def part_scheduling(args, engine_name: str) -> bool:
    from django.db import connection, transaction

    from leadgate.leads.models import Lead
    from leadgate.mail.models import OutboundEmail
    from leadgate.mail.outbox import queue_emails
    from leadgate.nurture import engine
    from leadgate.nurture.models import Enrollment, StepRun

    _cadence, version, steps = make_cadence("Bench nurture")
    by_round = fill(args.leads, args.due_share, args.rounds, version, steps)
    pool = list(Lead.objects.filter(enrollments__position__gt=0).order_by("pk")[:2000])
    baseline_seconds = sweep_seconds = 0.0
    baseline_rows = swept = calls = 0
    outcomes: Counter[str] = Counter()
    profile = cProfile.Profile() if args.profile else None
    def baseline(r: int, size: int) -> float:
        started = time.perf_counter()
        for start in range(0, size, args.batch):
            with transaction.atomic():
                for n in range(start, min(start + args.batch, size)):
                    queue_emails([nurture_email(f"bench:{r}:{n}", pool[n % len(pool)])])
        return time.perf_counter() - started

    def sweep(at: datetime) -> tuple[float, Counter[str], int]:
        done: Counter[str] = Counter()
        count = 0
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        while True:
            result = engine.run_due(at, batch=args.batch)
            count += 1
            done.update(result)
            if not sum(result.values()):
                break
        if profile is not None:
            profile.disable()
        return time.perf_counter() - started, done, count

    for r, chunk in enumerate(by_round):
        at = NOW + timedelta(hours=r)
        if r % 2 == 0:
            baseline_seconds += baseline(r, len(chunk))
            seconds, done, count = sweep(at)
        else:
            seconds, done, count = sweep(at)
            baseline_seconds += baseline(r, len(chunk))
        baseline_rows += len(chunk)
        sweep_seconds += seconds
        outcomes.update(done)
        swept += done["email"]
        calls += count
        print(f"round {r + 1}: {len(chunk):,} due steps, baseline and sweep done "
              f"({dict(done)})", flush=True)
    # Nothing due: the sweep's index read against a bare one.
    at = NOW + timedelta(hours=args.rounds - 1)
    sql = (f"SELECT id FROM {Enrollment._meta.db_table} WHERE status = %s AND next_due_at <= %s "  # noqa: S608
           f"ORDER BY next_due_at LIMIT {args.batch}")
    params = ["active", connection.ops.adapt_datetimefield_value(at)]
    idle, bare = [], []
    for _ in range(args.idle_samples):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        leftover = engine.run_due(at, batch=args.batch)
        idle.append(time.perf_counter() - started)
        assert not sum(leftover.values()), leftover
    due_read = (Enrollment.objects.filter(status="active", next_due_at__lte=at)
                .order_by("next_due_at").values_list("pk", flat=True)[:args.batch])
    plan = explain(*due_read.query.sql_with_params())
    bare_plan = explain(sql, params)

    due = sum(len(chunk) for chunk in by_round)
    runs = StepRun.objects.filter(status="done").count()
    emails = OutboundEmail.objects.filter(key__startswith="nurture:").count()
    ok = swept == due == runs == emails and set(outcomes) - {"more due"} == {"email"}
    per_base = baseline_seconds * 1000 / max(baseline_rows, 1)
    per_step = sweep_seconds * 1000 / max(swept, 1)
    print(f"\n### Scheduling on {engine_name}: {args.leads:,} enrollments, {due:,} due "
          f"({args.due_share:.0%}), {args.rounds} rounds alternating\n")
    table(["way", "steps", "s", "ms a step", f"ms a batch of {args.batch}", "steps/s",
           "vs baseline"], [
        ["baseline: `queue_emails()` loop, one email a call", f"{baseline_rows:,}",
         f"{baseline_seconds:.1f}", f"{per_base:.2f}", f"{per_base * args.batch:.0f}",
         f"{1000 / per_base:,.0f}", "1.0x"],
        [f"`engine.run_due()` until nothing is due ({calls} calls)", f"{swept:,}",
         f"{sweep_seconds:.1f}", f"{per_step:.2f}", f"{per_step * args.batch:.0f}",
         f"{1000 / per_step:,.0f}", f"{per_step / per_base:.1f}x"],
    ])
    table(["nothing due", "p50 ms", "p95 ms", "vs baseline p50"], [
        ["baseline: bare indexed `SELECT id ... WHERE status = 'active' AND next_due_at <= ? "
         f"ORDER BY next_due_at LIMIT {args.batch}`",
         f"{percentile(bare, .5) * 1000:.2f}", f"{percentile(bare, .95) * 1000:.2f}", "1.0x"],
        ["`engine.run_due()`", f"{percentile(idle, .5) * 1000:.2f}",
         f"{percentile(idle, .95) * 1000:.2f}",
         f"{percentile(idle, .5) / percentile(bare, .5):.1f}x"],
    ])
    print(f"- outcomes {dict(outcomes)}; steps due {due:,}, taken {swept:,}, step runs "
          f"{runs:,}, nurture emails queued {emails:,}: {'OK' if ok else 'MISMATCH'}")
    print(f"- plan of the sweep's due read (the ORM's query): {plan}")
    print(f"- plan of the bare read: {bare_plan}")
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
        stats.print_stats("leadgate|jinja2/environment", 30)  # the engine's parts, and Jinja's
        print("\n".join(out.getvalue().splitlines()[:60]))
    return ok



# --- 4. due to sent -------------------------------------------------------------------------


def part_due(args, workdir: Path, database_url: str | None) -> bool:
    from bench_serve import Service

    sink = Sink(workdir, "due")
    service = Service(workdir, database_url)
    service.env.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port),
                        "LEADGATE_NURTURE_QUIET_WEEKENDS": "0",
                        "LEADGATE_NURTURE_QUIET_HOLIDAYS": "0"})
    os.environ.update({k: v for k, v in service.env.items()
                       if k.startswith(("LEADGATE_", "DJANGO_", "DATABASE_", "EMAIL_"))})
    if not database_url:
        os.environ.pop("DATABASE_URL", None)
    started = time.perf_counter()
    service.leadgate("migrate", "-v0")
    service.leadgate("demo")
    print(f"migrate + demo: {time.perf_counter() - started:.0f} s", flush=True)
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    print(machine(), flush=True)

    from leadgate.leads.lifecycle import IllegalMove
    from leadgate.leads.models import Lead
    from leadgate.mail.models import OutboundEmail, Suppression
    from leadgate.mail.outbox import queue_email
    from leadgate.nurture import engine
    from leadgate.nurture.models import Enrollment, StepRun

    cadence, _version, _steps = make_cadence("Bench due", only_email=True)
    # Leads on the desk or in nurture without a live enrollment, not suppressed
    # (the demo's nurtured leads have theirs, and their steps run meanwhile).
    candidates = list(Lead.objects.filter(stage__in=["nurture", "working", "mql"],
                                          email_invalid=False)
                      .exclude(email="").exclude(enrollments__status__in=Enrollment.LIVE)
                      .exclude(email__in=Suppression.objects.values("address"))
                      .order_by("-stage", "pk")[:args.enrollments * 3])
    code = None
    direct: dict[str, float] = {}
    try:
        service.start()
        enrollments = []
        refused: Counter[str] = Counter()
        for lead in candidates:
            if len(enrollments) == args.enrollments:
                break
            # Enrolled now, its step held back until all are enrolled.
            try:
                with transaction.atomic():
                    pk = engine.enroll(lead, trigger="bulk", cadence=cadence).pk
                    Enrollment.objects.filter(pk=pk).update(next_due_at=FAR)
            except (engine.NurtureError, IllegalMove) as error:
                refused[str(error)[:80]] += 1
                continue
            enrollments.append(pk)
        if refused:
            print(f"not enrolled: {dict(refused.most_common(5))}", flush=True)
        # Their first steps due over --spread seconds from a few seconds on.
        begin = timezone.now() + timedelta(seconds=5)
        gap = args.spread / max(len(enrollments), 1)
        with transaction.atomic():
            for n, pk in enumerate(enrollments):
                Enrollment.objects.filter(pk=pk).update(
                    next_due_at=begin + timedelta(seconds=gap * n))
        print(f"{len(enrollments)} enrollments due over {args.spread:g} s from "
              f"{begin:%H:%M:%S} UTC", flush=True)
        # Between them, emails queued directly at their due times (the baseline).
        count = max(1, len(enrollments) // 5)
        for n in range(count):
            at = begin + timedelta(seconds=args.spread * (n + 0.5) / count)
            time.sleep(max(0.0, (at - timezone.now()).total_seconds()))
            row, _new = queue_email(key=f"bench-direct:{n}", kind="alert",
                                    to=["direct@example.com"], subject=f"Direct {n}",
                                    body="queued at its due time")
            direct[row.message_id] = time.time()
        deadline = time.monotonic() + max(0.0, (begin - timezone.now()).total_seconds()) \
            + args.spread + args.drain_timeout
        while time.monotonic() < deadline:
            done = StepRun.objects.filter(enrollment_id__in=enrollments).values_list(
                "email__message_id", flat=True)
            ids = [message_id for message_id in done if message_id]
            if len(ids) == len(enrollments) and sink.received(ids) == len(ids):
                break
            time.sleep(1)
        time.sleep(1)
    finally:
        code = service.stop()
    runs = list(StepRun.objects.filter(enrollment_id__in=enrollments).values_list(
        "enrollment_id", "email__message_id", "status"))
    sink.refresh()
    sink.stop()
    # Each step's due time: the next_due_at it was given (the row moves on once taken).
    planned = {pk: begin + timedelta(seconds=gap * n) for n, pk in enumerate(enrollments)}
    waits = [sink.first_at[message_id] - planned[pk].timestamp()
             for pk, message_id, _status in runs if message_id in sink.first_at]
    baseline = [sink.first_at[message_id] - at for message_id, at in direct.items()
                if message_id in sink.first_at]
    duplicates = sum(1 for _pk, message_id, _status in runs if sink.seen.get(message_id, 0) > 1)
    missing = len(enrollments) - len(waits)
    emails_sent = OutboundEmail.objects.filter(
        message_id__in=[message_id for _pk, message_id, _s in runs]).filter(
        status="sent").count()
    connection.close()
    engine_name = "PostgreSQL" if database_url else "SQLite"
    print(f"\n### Due to sent on {engine_name}: `leadgate serve` after `leadgate demo`, "
          f"{len(enrollments)} enrollments due over {args.spread:g} s\n")
    rows = []
    base95 = percentile(baseline, .95) if baseline else float("nan")
    for label, values in (("baseline: `queue_email()` at its due time -> at the sink",
                           baseline),
                          ("nurture step due -> its email at the sink", waits)):
        if values:
            rows.append([label, f"{len(values):,}", f"{percentile(values, .5):.1f}",
                         f"{percentile(values, .95):.1f}", f"{max(values):.1f}",
                         f"{percentile(values, .95) / base95:.1f}x"])
        else:
            rows.append([label, "0", "-", "-", "-", "-"])
    table(["path", "emails", "p50 s", "p95 s", "max s", "p95 vs baseline"], rows)
    p95 = percentile(waits, .95) if waits else float("inf")
    print(f"- steps taken {len(runs)}, emails marked sent {emails_sent}, received "
          f"{len(waits)}, missing {missing}, duplicates {duplicates}; serve "
          f"{'stayed up' if code is None else f'exited with {code}'}")
    print(f"- goal p95 <= 60 s: {'met' if p95 <= 60 else 'NOT met'} ({p95:.1f} s)")
    return bool(enrollments) and not missing and not duplicates and code is None



# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, of {', '.join(PARTS)} (all)")
    parser.add_argument("--leads", type=int, default=100_000, help="1: enrollments (100,000)")
    parser.add_argument("--due-share", type=float, default=0.1, help="1: share due (0.1)")
    parser.add_argument("--batch", type=int, default=50, help="1: the sweep's batch (50)")
    parser.add_argument("--rounds", type=int, default=4, help="1, 2: alternating rounds (4)")
    parser.add_argument("--idle-samples", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="1: profile the sweep")
    parser.add_argument("--emails", type=int, default=2000, help="2: messages each way (2,000)")
    parser.add_argument("--kill", type=int, default=1000, help="3: emails in the outbox (1,000)")
    parser.add_argument("--kills", type=int, default=5, help="3: SIGKILLs (5)")
    parser.add_argument("--lease", type=float, default=0.0,
                        help="3: the killed worker's lease in seconds (0: the sender's own)")
    parser.add_argument("--sink-delay", type=float, default=0.005,
                        help="3: seconds the sink takes before answering a message (0.005)")
    parser.add_argument("--enrollments", type=int, default=300, help="4: enrollments (300)")
    parser.add_argument("--spread", type=float, default=180, help="4: seconds (180)")
    parser.add_argument("--drain-timeout", type=float, default=180, help="4: seconds (180)")
    parser.add_argument("--postgres", action="store_true",
                        help="make (and drop) a PostgreSQL database on 127.0.0.1 for the run")
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"--parts: unknown {', '.join(sorted(unknown))}")

    here = [part for part in parts if part != "due"]
    if here and "due" in parts and args.database_url:
        parser.error("part 4 (due) needs a database of its own: run it alone, "
                     "--parts due --database-url ANOTHER")
    database_url, made_db = args.database_url, None
    if args.postgres:
        made_db = f"leadgate_nurture_{os.getpid()}"
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", made_db], check=True)
        database_url = f"postgres://postgres@127.0.0.1:5432/{made_db}"
    try:
        if here:
            ok = run_in_process(args, here, database_url)
        else:
            workdir = Path(tempfile.mkdtemp(prefix="leadgate-bench-nurture-due-"))
            try:
                ok = part_due(args, workdir, database_url)
            finally:
                finish(workdir, args.keep)
    finally:
        if made_db:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists",
                            made_db], check=False)
    if here and "due" in parts:
        # Part 4 runs the real service on a database of its own: a process of its own.
        child = [*sys.argv[1:], "--parts", "due"]
        ok = subprocess.run([sys.executable, __file__, *child], check=False).returncode == 0 and ok
    sys.exit(0 if ok else 1)


def run_in_process(args, parts: list[str], database_url: str | None) -> bool:
    workdir = fresh_environment("leadgate-bench-nurture-", database_url)
    sink = Sink(workdir, "send") if "sending" in parts else None
    os.environ.update({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port if sink else 25),
                       "EMAIL_TIMEOUT": "20"})
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, stdout=StringIO())
    engine_name = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(machine(), flush=True)
    ok = True
    try:
        if "scheduling" in parts:
            ok = part_scheduling(args, engine_name) and ok
        if "sending" in parts:
            assert sink is not None
            ok = part_sending(args, engine_name, workdir, sink) and ok
        if "kill" in parts:
            ok = part_kill(args, engine_name, workdir) and ok
    finally:
        if sink is not None:
            sink.stop()
        connection.close()
        finish(workdir, args.keep)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    print(f"nurture bench: {'all checks passed' if ok else 'CHECKS FAILED'}")
    return ok



if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
