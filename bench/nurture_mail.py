"""Parts 2 (sending) and 3 (kill) of bench_nurture.py (its docstring says
what they measure), and what they run: the SMTP sink that counts messages by
Message-ID, and `leadgate` commands in processes of their own. Run as a
script only by them: `--sink PATH --sink-delay S` (the sink) and
`--leadgate-lease SECONDS ARGS` (a worker with a shorter lease)."""

from __future__ import annotations

import asyncio
import math
import os
import random
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from common import free_port, percentile
from nurture_kit import (
    FAR,
    ROOT,
    WORKER,
    drop_tasks,
    explain,
    nurture_email,
    queue_one_by_one,
    quiet_outbox,
    some_leads,
    table,
)

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



if __name__ == "__main__":
    if sys.argv[1:2] == ["--sink"]:
        run_sink(sys.argv[2], float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
    elif sys.argv[1:2] == ["--leadgate-lease"]:
        run_leadgate(float(sys.argv[2]), sys.argv[3:])
