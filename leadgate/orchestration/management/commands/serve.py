"""`leadgate serve`: the web app (gunicorn), the background workers (one for
urgent work, one per core for the rest, one for web imports) and the
periodic-job scheduler together, for a single machine, under a supervisor
that restarts a process that stops unexpectedly. Larger set-ups run
`leadgate web`, `leadgate worker` and `leadgate scheduler` as separate
services instead (docs/deploy.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from leadgate.leads.queue import DEFAULT_QUEUE, IMPORTS_QUEUE, URGENT_QUEUE
from leadgate.mail.transport import describe_transport
from leadgate.orchestration import web

# A process that stops this soon after it started failed to start; this many
# such failures in a row and the service stops rather than restart forever.
QUICK_EXIT_SECONDS = 10.0
MAX_QUICK_FAILURES = 5
MAX_RESTART_DELAY = 30.0
WORKER_NICE = 5
# How long the web app may take to answer /healthz after it starts (it loads
# every view and the phone metadata first: wsgi._warm_up).
READY_WITHIN_SECONDS = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    nice: int = 0
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_failures: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        # Several processes share the cores: each runs OpenMP/BLAS on one thread
        # (a model's threads waiting for busy cores made scoring 6x slower).
        env = {"OMP_NUM_THREADS": "1", **os.environ}
        nice = self.nice
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.argv, env=env, preexec_fn=(lambda: os.nice(nice)) if nice else None)
        self.started_at, self.restart_at = time.monotonic(), None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Command(BaseCommand):
    help = "Run the web app, the background workers and the scheduler on this machine."

    def add_arguments(self, parser: CommandParser) -> None:
        web.add_arguments(parser)
        parser.add_argument(
            "--task-workers", type=int, default=settings.LEADGATE_WORKER_PROCESSES,
            help="task worker processes, besides one kept for urgent work and one for "
            "web imports (default: LEADGATE_WORKER_PROCESSES, 0: one per CPU)",
        )
        parser.add_argument(
            "--no-worker", action="store_true",
            help="serve the web app only (no task worker, no scheduler)",
        )

    def children(self, options: dict[str, Any]) -> list[Child]:
        children = [Child("web", web.gunicorn_argv(options))]
        if options["no_worker"]:
            return children
        leadgate = [sys.executable, "-m", "leadgate"]
        worker = [*leadgate, "worker", "--interval", "0.2", "--no-startup-delay"]
        # One worker takes only urgent work (SLA breaches, webhooks, email), so it
        # never waits behind a long task; the others take urgent work first.
        children.append(Child("urgent worker", [*worker, "--queue-name", URGENT_QUEUE]))
        count = options["task_workers"] or os.cpu_count() or 1
        # Background work yields the processor and, on SQLite, the write lock to
        # people waiting on a page or an API answer (a lower priority, not a
        # limit: idle cores and an idle database are still used).
        for number in range(1, count + 1):
            children.append(Child(f"worker {number}", [
                *worker, "--queue-name", f"{URGENT_QUEUE},{DEFAULT_QUEUE}", "--background"],
                nice=WORKER_NICE))
        # Imports and previews started in the web app: one at a time, in a worker
        # of their own, so a big file never holds up the work after intake.
        children.append(Child("imports worker", [
            *worker, "--queue-name", IMPORTS_QUEUE, "--background"], nice=WORKER_NICE))
        children.append(Child("scheduler", [*leadgate, "scheduler"]))
        return children

    def say(self, text: str) -> None:
        self.stdout.write(f"leadgate: {text}")
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        children = self.children(options)
        stopping = False

        def stop(signum: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for child in children:
            child.start()
        url = f"http://{options['host']}:{options['port']}/"
        if self.wait_until_ready(children[0], f"{url}healthz", lambda: stopping):
            workers = sum(1 for child in children if "worker" in child.name)
            background = f"; {workers} task workers and the scheduler" if workers else ""
            self.say(f"serving at {url}{background} (Ctrl-C stops it)")
            self.say(describe_transport())
        failed = self.supervise(children, lambda: stopping)
        for child in children:
            if child.running():
                assert child.process is not None
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.say("stopped")
        if failed:
            sys.exit(1)

    def wait_until_ready(self, web: Child, healthz: str, stopping: Any) -> bool:
        """Wait until the web app answers `healthz`, so that "serving at" is
        printed when a browser or a client is answered at once (requests sent
        earlier waited in the listen queue for the app to load). False when
        the web app stopped or did not answer in time (the supervisor then
        restarts it, or gives up)."""
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while not stopping() and time.monotonic() < deadline:
            if not web.running():
                return False
            try:
                with urllib.request.urlopen(healthz, timeout=2) as answer:  # noqa: S310 - our own URL
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.2)
        if not stopping():
            self.say(f"the web app did not answer {healthz} within {READY_WITHIN_SECONDS:g} s")
        return False

    def supervise(self, children: list[Child], stopping: Any) -> bool:
        """Restart children that stop, until told to stop (False) or until one
        keeps failing at start (True)."""
        while not stopping():
            now = time.monotonic()
            for child in children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.start()
                        self.say(f"{child.name} restarted")
                    continue
                assert child.process is not None
                code = child.process.poll()
                if code is None:
                    continue
                ran = now - child.started_at
                child.quick_failures = child.quick_failures + 1 if ran < QUICK_EXIT_SECONDS else 1
                if child.quick_failures >= MAX_QUICK_FAILURES:
                    self.say(f"{child.name} stopped {child.quick_failures} times right after "
                             f"starting (exit code {code}); stopping the service")
                    return True
                delay = min(MAX_RESTART_DELAY, 2.0 ** (child.quick_failures - 1))
                self.say(f"{child.name} stopped unexpectedly (exit code {code}); "
                         f"restarting in {delay:g} s")
                child.restart_at = now + delay
            time.sleep(0.2)
        return False
