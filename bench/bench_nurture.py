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
import asyncio
import contextlib
import cProfile
import io
import math
import os
import pstats
import random
import re
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from common import finish, free_port, fresh_environment, percentile  # noqa: E402 - bench/ is the script's folder

PARTS = ("scheduling", "sending", "kill", "due")
# A Wednesday, 14:00 UTC: a business day in every lead's zone below, no holiday.
NOW = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
ZONES = [("America/New_York", "US"), ("America/Los_Angeles", "US"), ("Europe/London", "GB"),
         ("Europe/Berlin", "DE"), ("Europe/Paris", "FR"), ("", "")]
FIRST = "Ada Grace Alan Linus Margaret Barbara Edsger Donald Frances Ken".split()
SUBJECT = "Ideas for {{ lead.company }}"
TEXT = ("Dear {{ lead.first_name }},\n\nTeams like {{ lead.company }} use our guide to cut "
        "the time from inquiry to a qualified conversation.\n\nBest regards,\n"
        "{{ company.name }}\n")
HTML = ("<p>Dear {{ lead.first_name }},</p><p>Teams like {{ lead.company }} use "
        "<a href=\"https://example.com/guide\">our guide</a> to cut the time from inquiry "
        "to a qualified conversation; <a href=\"https://example.com/cases\">their stories"
        "</a>.</p><p>Best regards,<br>{{ company.name }}</p>")
FAR = datetime(2100, 1, 1, tzinfo=UTC)
WORKER = ["worker", "--interval", "0.2", "--no-startup-delay", "--queue-name", "urgent"]


# --- the SMTP sink ---------------------------------------------------------------------

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)


def run_sink(path: str, delay: float) -> None:
    """The sink process: aiosmtpd on a free port (printed), one line per
    message received, "<message-id> <epoch seconds>", written before it is
    answered (after `delay` seconds); runs until its stdin closes."""
    from aiosmtpd.controller import Controller

    out = open(path, "a", buffering=1, encoding="ascii")  # noqa: SIM115 - the process's life

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            content = envelope.original_content or envelope.content
            head = content.split(b"\r\n\r\n", 1)[0]
            found = MESSAGE_ID.search(head)
            out.write(f"{found.group(1).decode('ascii', 'replace') if found else '-'} "
                      f"{time.time():.6f}\n")
            if delay:
                await asyncio.sleep(delay)
            return "250 Message accepted"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    controller.stop()


class Sink:
    """A sink process and what it received, by Message-ID."""

    def __init__(self, workdir: Path, name: str, delay: float = 0.0) -> None:
        self.path = workdir / f"sink-{name}.txt"
        self.path.touch()
        log = open(workdir / f"sink-{name}.log", "wb")  # noqa: SIM115 - the sink's life
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(self.path), "--sink-delay", str(delay)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().split()
        if not line or line[0] != "PORT":
            raise SystemExit(f"the SMTP sink did not start; see {workdir}/sink-{name}.log")
        self.port = int(line[1])
        self.seen: Counter[str] = Counter()
        self.first_at: dict[str, float] = {}
        self._offset = 0

    def refresh(self) -> None:
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].decode("ascii", "replace").splitlines():
            message_id, _, at = line.partition(" ")
            self.seen[message_id] += 1
            self.first_at.setdefault(message_id, float(at))

    def received(self, message_ids: list[str]) -> int:
        self.refresh()
        return sum(1 for message_id in message_ids if message_id in self.seen)

    def wait_for(self, message_ids: list[str], timeout: float, step: float = 0.02) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.received(message_ids) == len(message_ids):
                return True
            time.sleep(step)
        return self.received(message_ids) == len(message_ids)

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- processes --------------------------------------------------------------------------


def run_leadgate(lease: float, argv: list[str]) -> None:
    """`leadgate ARGS` with the sender's lease set to `lease` seconds (the
    kill part's worker, when --lease asks for a shorter wait)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from leadgate.mail import sender

    sender.LEASE = timedelta(seconds=lease)
    execute_from_command_line(["leadgate", *argv])


class Process:
    """A `leadgate` command in a process group of its own, logged to a file."""

    def __init__(self, workdir: Path, name: str, argv: list[str], lease: float = 0.0) -> None:
        self.workdir, self.name, self.argv, self.lease = workdir, name, argv, lease
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 - the child's life
        command = ([sys.executable, __file__, "--leadgate-lease", str(self.lease), *self.argv]
                   if self.lease else [sys.executable, "-m", "leadgate", *self.argv])
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log,
                                        env={"OMP_NUM_THREADS": "1", **os.environ},
                                        start_new_session=True)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --- data -------------------------------------------------------------------------------


def make_cadence(name: str, *, only_email: bool = False):
    """A cadence: an email now, a wait of 2 business days, an email 3 business
    days later, a call task 2 days after it (or the first email alone)."""
    from leadgate.nurture.models import Cadence, CadenceVersion, Step, StepVariant

    Kind = Step.Kind
    cadence = Cadence.objects.create(name=name)
    version = CadenceVersion.objects.create(cadence=cadence, number=1)
    specs = ([(Kind.AUTO_EMAIL, 0)] if only_email else
             [(Kind.AUTO_EMAIL, 0), (Kind.WAIT, 2), (Kind.AUTO_EMAIL, 3), (Kind.CALL, 2)])
    for position, (kind, delay) in enumerate(specs):
        step = Step.objects.create(version=version, position=position, kind=kind,
                                   delay_days=delay)
        if kind != Kind.WAIT:
            StepVariant.objects.create(step=step, label="A", subject=SUBJECT, text_body=TEXT,
                                       html_body=HTML)
    return cadence, version, version.ordered_steps()


def make_leads(count: int, tag: str) -> list[int]:
    """`count` leads in nurture (bulk_create), with an owner and a team."""
    from leadgate.leads.models import Lead, Team, User

    team, _ = Team.objects.get_or_create(name="Bench nurture")
    owner, _ = User.objects.get_or_create(username="bench-qualifier", defaults={"team": team})
    at = NOW - timedelta(days=90)
    rows = []
    for n in range(count):
        zone, country = ZONES[n % len(ZONES)]
        rows.append(Lead(first_name=FIRST[n % len(FIRST)], last_name=f"Lead{n}",
                         email=f"{tag}{n}@company{n % 500}.example",
                         company_name=f"Company {n % 500}", country=country, time_zone=zone,
                         stage="nurture", cycle=1, owner=owner, team=team, created_at=at,
                         stage_changed_at=at, processed_at=at))
    made = Lead.objects.bulk_create(rows, batch_size=2000)
    return [lead.pk for lead in made]


def fill(leads: int, due_share: float, rounds: int, version, steps) -> list[list[int]]:
    """Leads in nurture and their enrollments, as engine.enroll() makes them,
    20,000 a transaction. The due ones (--due-share) are at their first step,
    an email, due in the slice of their round (round r sweeps at NOW + r
    hours); the others further on in the cadence, due after the last round,
    within 30 days. Returns the due enrollments by round."""
    from django.db import connection, transaction

    from leadgate.nurture.models import Enrollment, Step

    rng = random.Random(7)
    variants = {str(step.pk): "A" for step in steps if step.kind in Step.EMAILS}
    due = set(rng.sample(range(leads), int(round(leads * due_share))))
    by_round: list[list[int]] = [[] for _ in range(rounds)]
    taken = 0
    started = time.perf_counter()
    for first in range(0, leads, 20_000):
        count = min(20_000, leads - first)
        with transaction.atomic():
            lead_ids = make_leads(count, f"nurture.{first}.")
            rows, groups = [], []
            for n, lead_id in enumerate(lead_ids, start=first):
                if n in due:
                    group = taken % rounds
                    taken += 1
                    top = NOW + timedelta(hours=group)
                    span = timedelta(days=3) if group == 0 else timedelta(hours=1)
                    when = top - span * rng.random() * 0.999
                    rows.append(Enrollment(lead_id=lead_id, lead_cycle=1, number=1,
                                           version=version, trigger="bulk", variants=variants,
                                           started_at=when, next_due_at=when, position=0))
                else:
                    group = -1
                    position = rng.randint(1, len(steps) - 1)
                    begun = NOW - timedelta(days=rng.uniform(3, 30))
                    when = NOW + timedelta(hours=rounds) + timedelta(days=rng.uniform(0.01, 30))
                    rows.append(Enrollment(lead_id=lead_id, lead_cycle=1, number=1,
                                           version=version, trigger="bulk", variants=variants,
                                           started_at=begun, last_step_at=begun,
                                           next_due_at=when, position=position))
                groups.append(group)
            made = Enrollment.objects.bulk_create(rows, batch_size=2000)
        for enrollment, group in zip(made, groups, strict=True):
            if group >= 0:
                by_round[group].append(enrollment.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled {leads:,} leads and enrollments ({len(due):,} due) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return by_round


def rendered(lead) -> tuple[str, str, str]:
    """The step's words for `lead`, as plain strings (the baseline's email)."""
    return (f"Ideas for {lead.company_name}",
            TEXT.replace("{{ lead.first_name }}", lead.first_name)
            .replace("{{ lead.company }}", lead.company_name)
            .replace("{{ company.name }}", "Leadgate"),
            HTML.replace("{{ lead.first_name }}", lead.first_name)
            .replace("{{ lead.company }}", lead.company_name)
            .replace("{{ company.name }}", "Leadgate"))


def nurture_email(key: str, lead):
    from leadgate.mail.models import OutboundEmail
    from leadgate.mail.outbox import Email

    subject, text, html = rendered(lead)
    return Email(key=key, kind=OutboundEmail.Kind.NURTURE, to=(lead.email,), subject=subject,
                 body=text, html_body=html, lead=lead, track=True)


def queue_one_by_one(keys: list[str], leads: list, batch: int) -> list:
    """Each email queued alone, as a nurture step queues it (its own send
    task), in transactions of `batch`; the rows."""
    from django.db import transaction

    from leadgate.mail.outbox import queue_emails

    rows = []
    for start in range(0, len(keys), batch):
        with transaction.atomic():
            for n in range(start, min(start + batch, len(keys))):
                [(row, _new)] = queue_emails([nurture_email(keys[n], leads[n % len(leads)])])
                rows.append(row)
    return rows


def drop_tasks() -> None:
    """No queued task left (send tasks of rows this bench sends otherwise)."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()


def quiet_outbox() -> None:
    """Nothing left for a sender or the sweep from the parts before: due
    emails set aside (failed, with a note), steps no longer due, tasks dropped."""
    from leadgate.mail.models import OutboundEmail
    from leadgate.nurture.models import Enrollment

    Status = OutboundEmail.Status
    OutboundEmail.objects.filter(status__in=(Status.PENDING, Status.SENDING)).update(
        status=Status.FAILED, next_attempt_at=None, claimed_until=None,
        last_error="bench: set aside, not sent")
    Enrollment.objects.filter(status="active").update(next_due_at=FAR)
    drop_tasks()


def some_leads(count: int) -> list:
    from leadgate.leads.models import Lead

    leads = list(Lead.objects.order_by("pk")[:count])
    if len(leads) < count:
        make_leads(count - len(leads), "extra.")
        leads = list(Lead.objects.order_by("pk")[:count])
    return leads


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if n == 0 else "---:" for n in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


# --- 1. scheduling ------------------------------------------------------------------------


def explain(sql: str, params: list) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return " / ".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


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


# --- 2. sending ---------------------------------------------------------------------------


def message_of(row) -> tuple[str, list[str], bytes]:
    """What Django's SMTP backend sends for the row: sender, recipients, bytes."""
    from leadgate.mail.sender import build_message

    message = build_message(row)
    return (message.from_email, message.recipients(),
            message.message().as_bytes(linesep="\r\n"))


def bare_one_connection(port: int, messages: list) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        for sender, recipients, data in messages:
            client.sendmail(sender, recipients, data)


def bare_connection_each(port: int, messages: list) -> None:
    for sender, recipients, data in messages:
        with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
            client.sendmail(sender, recipients, data)


def part_sending(args, engine_name: str, workdir: Path, sink: Sink) -> bool:
    from django.db import connection, transaction
    from django.utils import timezone

    from leadgate.mail import sender
    from leadgate.mail.models import OutboundEmail
    from leadgate.mail.outbox import queue_emails

    Status = OutboundEmail.Status
    quiet_outbox()
    leads = some_leads(min(args.emails, 2000))
    chunks = [list(range(start, min(start + math.ceil(args.emails / args.rounds),
                                     args.emails)))
              for start in range(0, args.emails, math.ceil(args.emails / args.rounds))]

    def queue_all(tag: str) -> list:
        with transaction.atomic():
            made = queue_emails([nurture_email(f"nurture:send-{tag}:{n}", leads[n % len(leads)])
                                 for n in range(args.emails + 1)])
        return [row for row, _new in made]

    # The bare loops' messages, built by the outbox from rows like the others.
    bare_rows = {mode: queue_all(mode) for mode in ("one", "each")}
    bare_messages = {mode: [message_of(row) for row in rows] for mode, rows in bare_rows.items()}
    ids = [row.pk for rows in bare_rows.values() for row in rows]
    OutboundEmail.objects.filter(pk__in=ids).update(status=Status.SENT, next_attempt_at=None)
    # send_due()'s rows: queued, held until their round.
    due_rows = queue_all("due")
    OutboundEmail.objects.filter(pk__in=[row.pk for row in due_rows]).update(next_attempt_at=FAR)
    drop_tasks()  # their send tasks: this mode sends them with send_due()

    worker = Process(workdir, "send-worker", WORKER)
    worker.start()
    warm = queue_one_by_one(["nurture:send-warm:0"], leads, 1)
    if not sink.wait_for([warm[0].message_id], 60):
        worker.stop()
        raise SystemExit(f"the worker sent nothing within 60 s; see {workdir}/send-worker.log")
    bare_one_connection(sink.port, bare_messages["one"][-1:])
    bare_connection_each(sink.port, bare_messages["each"][-1:])
    OutboundEmail.objects.filter(pk=due_rows[-1].pk).update(next_attempt_at=timezone.now())
    sender.send_due()

    seconds: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    expected: dict[str, list[str]] = {mode: [] for mode in ("one", "each", "due", "worker")}
    for r, chunk in enumerate(chunks):
        def one(chunk=chunk) -> None:
            bare_one_connection(sink.port, [bare_messages["one"][n] for n in chunk])
            expected["one"] += [bare_rows["one"][n].message_id for n in chunk]

        def each(chunk=chunk) -> None:
            bare_connection_each(sink.port, [bare_messages["each"][n] for n in chunk])
            expected["each"] += [bare_rows["each"][n].message_id for n in chunk]

        def due(chunk=chunk) -> None:
            OutboundEmail.objects.filter(pk__in=[due_rows[n].pk for n in chunk]).update(
                next_attempt_at=timezone.now() - timedelta(seconds=1))
            started = time.perf_counter()
            while sender.send_due():
                pass
            seconds["due"] += time.perf_counter() - started
            expected["due"] += [due_rows[n].message_id for n in chunk]

        def by_worker(chunk=chunk, r=r) -> None:
            keys = [f"nurture:send-worker:{r}:{n}" for n in chunk]
            with transaction.atomic():
                rows = queue_one_by_one(keys, leads, len(keys))
            started = time.perf_counter()
            wanted = [row.message_id for row in rows]
            if not sink.wait_for(wanted, 60 + len(wanted)):
                print(f"round {r + 1}: the worker did not send them all in time", flush=True)
            seconds["worker"] += time.perf_counter() - started
            expected["worker"] += wanted

        modes = [("one", one), ("due", due), ("each", each), ("worker", by_worker)]
        modes = modes[r % len(modes):] + modes[:r % len(modes)]
        for mode, run in modes:
            started = time.perf_counter()
            run()
            if mode in ("one", "each"):
                seconds[mode] += time.perf_counter() - started
            sent[mode] += len(chunk)
        print(f"round {r + 1}: {len(chunk):,} messages each way", flush=True)
    worker.stop()
    time.sleep(0.5)
    sink.refresh()
    rate = {mode: sent[mode] / seconds[mode] for mode in sent}
    problems = []
    for mode, wanted in expected.items():
        counts = [sink.seen.get(message_id, 0) for message_id in wanted]
        if any(count != 1 for count in counts):
            problems.append(f"{mode}: {sum(1 for c in counts if c == 0)} missing, "
                            f"{sum(1 for c in counts if c > 1)} duplicated")
    not_sent = OutboundEmail.objects.filter(
        message_id__in=expected["due"] + expected["worker"]).exclude(status=Status.SENT).count()
    if not_sent:
        problems.append(f"{not_sent} rows sent by the sender not marked sent")
    print(f"\n### Sending on {engine_name}: {args.emails:,} nurture emails each way to a local "
          f"aiosmtpd sink, {len(chunks)} rounds alternating\n")
    base = rate["one"]
    table(["sender", "messages", "s", "messages/s", "vs bare loop"], [
        [label, f"{sent[mode]:,}", f"{seconds[mode]:.1f}", f"{rate[mode]:,.0f}",
         f"{100 * rate[mode] / base:.0f}%"]
        for mode, label in (
            ("one", "baseline: bare `smtplib` loop, one connection"),
            ("each", "bare `smtplib`, a connection per message"),
            ("due", "`sender.send_due()` in this process"),
            ("worker", "`send_email` tasks (one per email), `leadgate worker --queue-name "
                       "urgent`, commit to last at the sink"))])
    # The sender's read of the next due row (sender._claim, without FOR UPDATE).
    due_read = (OutboundEmail.objects.filter(sender.IS_DUE, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at", "pk")[:1])
    plan = explain(*due_read.query.sql_with_params())
    outbox = OutboundEmail.objects.count()
    # Timed against a bare read with the index's condition written out.
    table_name = OutboundEmail._meta.db_table
    literal = (f"SELECT * FROM {table_name} WHERE status IN ('pending', 'sending') "  # noqa: S608
               "AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT 1")
    reads: dict[str, list[float]] = {"orm": [], "literal": []}
    for _ in range(50):
        started = time.perf_counter()
        list(due_read.all())  # a new query each time (a QuerySet caches its rows)
        reads["orm"].append(time.perf_counter() - started)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(literal, [timezone.now()])
            cursor.fetchall()
        reads["literal"].append(time.perf_counter() - started)
    size = sum(len(data) for _s, _r, data in bare_messages["one"]) / len(bare_messages["one"])
    print(f"- a message is {size:,.0f} bytes (tracked links, unsubscribe headers and footer); "
          f"each received exactly once: {'yes' if not problems else 'NO: ' + '; '.join(problems)}")
    print(f"- goal >= 50% of the bare loop: send_due {100 * rate['due'] / base:.0f}%, "
          f"worker {100 * rate['worker'] / base:.0f}%")
    print(f"- the sender's next-due read (sender._claim's query) over {outbox:,} outbox rows: "
          f"p50 {percentile(reads['orm'], .5) * 1000:.2f} ms; a bare SELECT with the index's "
          f"condition: p50 {percentile(reads['literal'], .5) * 1000:.2f} ms; "
          f"plan: {plan}")
    return not problems


# --- 3. kill ------------------------------------------------------------------------------


def part_kill(args, engine_name: str, workdir: Path) -> bool:
    from django.db.models import Q

    from leadgate.mail import sender
    from leadgate.mail.models import OutboundEmail

    Status = OutboundEmail.Status
    quiet_outbox()
    sink = Sink(workdir, "kill", args.sink_delay)
    os.environ["EMAIL_PORT"] = str(sink.port)
    leads = some_leads(min(args.kill, 2000))
    keys = [f"nurture:kill:{n}" for n in range(args.kill)]
    rows = queue_one_by_one(keys, leads, args.batch)
    wanted = [row.message_id for row in rows]
    scheduler = Process(workdir, "kill-scheduler", ["scheduler"])
    worker = Process(workdir, "kill-worker", WORKER, lease=args.lease)
    started = time.monotonic()
    scheduler.start()
    worker.start()
    kills: list[str] = []
    rng = random.Random(11)
    try:
        for number in range(1, args.kills + 1):
            target = args.kill * number // (args.kills + 1)
            deadline = time.monotonic() + 120 + args.kill * args.sink_delay
            while sink.received(wanted) < target and time.monotonic() < deadline:
                time.sleep(0.005)
            if worker.process is not None and worker.process.poll() is not None:
                raise SystemExit(f"the worker stopped by itself; see {workdir}/kill-worker.log")
            # At a random point of the send cycle (a claim, the transmitting
            # mark, the conversation, the record), not only after a message.
            time.sleep(rng.uniform(0, 0.05))
            worker.kill()
            kills.append(f"{sink.received(wanted):,}")
            worker.start()
        lease = args.lease or sender.LEASE.total_seconds()
        deadline = time.monotonic() + lease + 120 + args.kill * (0.1 + args.sink_delay)
        mine = OutboundEmail.objects.filter(key__in=keys)
        while mine.filter(status__in=(Status.PENDING, Status.SENDING)).exists():
            if time.monotonic() > deadline:
                print("- NOT drained in time", flush=True)
                break
            time.sleep(0.5)
        drained = time.monotonic() - started
    finally:
        worker.stop()
        scheduler.stop()
    time.sleep(0.5)
    sink.refresh()
    sink.stop()
    counts = {message_id: sink.seen.get(message_id, 0) for message_id in wanted}
    statuses = dict(OutboundEmail.objects.filter(key__in=keys).values_list("message_id",
                                                                            "status"))
    lost = set(OutboundEmail.objects.filter(key__in=keys, status=Status.FAILED,
                                            last_error__startswith=sender.LOST[:20])
               .values_list("message_id", flat=True))
    duplicates = sum(1 for count in counts.values() if count > 1)
    once = sum(1 for count in counts.values() if count == 1)
    sent_not_received = sum(1 for message_id, status in statuses.items()
                            if status == Status.SENT and not counts[message_id])
    never_sent = sum(1 for message_id, status in statuses.items()
                     if status != Status.SENT and message_id not in lost)
    lost_received = sum(1 for message_id in lost if counts[message_id])
    leftover = OutboundEmail.objects.filter(Q(key__in=keys), ~Q(status=Status.SENT)).exclude(
        message_id__in=lost).values_list("status", "last_error")[:3]
    lease_text = (f"{args.lease:g} s (--lease)" if args.lease
                  else f"{sender.LEASE.total_seconds():g} s (the sender's)")
    print(f"\n### Kill on {engine_name}: {args.kill:,} nurture emails, the urgent worker "
          f"SIGKILLed {args.kills} times\n")
    table(["what", "count"], [
        ["nurture emails queued (one send task each)", f"{args.kill:,}"],
        ["worker SIGKILLed (then restarted at once) with this many at the sink",
         ", ".join(kills)],
        ["received exactly once", f"{once:,}"],
        ["**duplicates** (received more than once)", f"{duplicates}"],
        ["**missing**: marked sent, not received", f"{sent_not_received}"],
        ["**missing**: never sent (pending, sending, failed otherwise)", f"{never_sent}"],
        ["failed \"lost while sending\" (at most once, allowed)",
         f"{len(lost)} ({lost_received} of them reached the sink)"],
    ])
    print(f"- lease {lease_text}; sink answers each message after {args.sink_delay * 1000:g} ms; "
          f"drained {drained:.0f} s after the worker first started")
    if leftover:
        print(f"- not sent: {list(leftover)}")
    ok = not duplicates and not sent_not_received and not never_sent
    print(f"- goal 0 duplicates, 0 missing: {'met' if ok else 'NOT met'}")
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
    if sys.argv[1:2] == ["--sink"]:
        run_sink(sys.argv[2], float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
        return
    if sys.argv[1:2] == ["--leadgate-lease"]:
        run_leadgate(float(sys.argv[2]), sys.argv[3:])
        return
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


def machine() -> str:
    """The machine and versions, and how busy it is (other work shares the cores)."""
    import platform

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite"
                       else "SHOW server_version")
        version = cursor.fetchone()[0]
    database = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, Django "
            f"{django.get_version()}, {database} {version}; load average (1 min) "
            f"{os.getloadavg()[0]:.1f} at the start")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
