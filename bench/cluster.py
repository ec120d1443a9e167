"""A Leadgate cluster on loopback, one OS process per role, as a set-up on
several hosts runs it (docs/deploy.md): its own PostgreSQL database, its
own `redis-server` (so it can be restarted), N `leadgate web` processes on
ports of their own, M `leadgate worker` processes on Redis (RQ), one
`leadgate scheduler`, an SMTP sink (aiosmtpd) as the mail server and a
webhook receiver. Used by tests/test_scale_out.py (faults) and
bench/bench_scale.py (throughput as processes grow).

Every process runs with PGAPPNAME=leadgate-<name> (libpq sends it as the
connection's application_name), so `terminate_backends("worker1")` can cut
exactly one process's database connections, as a failover or an
administrator would.

    cluster = Cluster(workdir, admin_url="postgres://postgres@127.0.0.1:5432/postgres")
    cluster.create()                 # database + Redis + sinks, migrate
    cluster.set_up(demo_leads=200)   # demo data, API key, web form, webhook
    cluster.start(webs=2, workers=2)
    cluster.kill("worker1"); cluster.restart("worker1")
    cluster.stop(); cluster.destroy()
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from cluster_scripts import (  # noqa: E402 - bench/ is put on the path above
    CHECK_MORE,
    CHECK_SINKS,
    SETUP,
    SETUP_MORE,
)
from soak import Client, Session  # noqa: E402

LEADGATE = [sys.executable, "-m", "leadgate"]
REDIS_SERVER = "/usr/bin/redis-server"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ROUTED = ("rule", "account_owner", "rotation", "pool")  # Assignment.Why of intake routing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


# --- what the cluster talks to --------------------------------------------------

class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback: the event ids it was sent, by lead, and
    how many copies of each event arrived."""

    daemon_threads = True

    def __init__(self) -> None:
        self.events: dict[int, set[str]] = {}
        self.copies: Counter = Counter()  # event id -> deliveries received
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def start(self) -> Receiver:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            lead = body.get("data", {}).get("lead", {}).get("id")
            if lead is not None:
                self.server.events.setdefault(lead, set()).add(body["id"])
            self.server.copies[body["id"]] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)


class MailSink:
    """A real SMTP server (aiosmtpd, in this process): every message's
    Message-ID and recipients, as received."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.lock = threading.Lock()
        self.message_ids: Counter = Counter()
        self.recipients: Counter = Counter()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        content = (envelope.original_content or envelope.content).decode("utf8", "replace")
        found = MESSAGE_ID.search(content.split("\r\n\r\n", 1)[0])
        with self.lock:
            self.message_ids[found.group(1) if found else "-"] += 1
            self.recipients.update(address.lower() for address in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


# --- a client that retries, as a real one does -----------------------------------

RETRY_FOR = 60.0  # seconds a client keeps retrying one request


class RetryingClient(Client):
    """bench/soak.py's client, sending over several web processes (one to
    start with, the next one after a failed connection, as a load balancer
    or a client with a list of servers does) and retrying what failed:

    - a request refused before it reached a server (connection refused), or
      answered 503 (with its Retry-After), or 502/504: again, the same body;
    - a request whose answer never came (reset, timeout): again only when
      it carries an Idempotency-Key (API posts); a form post or a touch may
      have been done, and a browser does not resend it by itself;
    - 409 on a keyed request (its first copy still running): again.

    Every answer and every failure is counted in stats.statuses by (kind,
    status), a failed connection as status 0 under "<kind> (refused)",
    "<kind> (reset)" or "<kind> (timeout)"; `retried` counts the retries."""

    def __init__(self, ports: list[int], *args, **kwargs) -> None:
        self.ports = ports
        number = args[3]
        self.at = number % len(ports)
        super().__init__(ports[self.at], *args, **kwargs)

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def _next_port(self) -> None:
        self.connection.close()
        self.at = (self.at + 1) % len(self.ports)
        self.port = self.ports[self.at]
        self.connection = self._connect()

    def _once(self, method: str, path: str, body: bytes | None,
              headers: dict[str, str]) -> tuple[int, str, dict[str, str], bytes]:
        if time.monotonic() - self.used_at > 1.5:  # gunicorn closes idle keep-alives
            self.connection.close()
            self.connection = self._connect()
        sent = False
        try:
            if self.connection.sock is None:
                self.connection.connect()
            sent = True
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
            answer = {k.lower(): v for k, v in response.getheaders()}
            if answer.get("connection", "").lower() == "close":
                self.connection.close()
                self.connection = self._connect()
            return response.status, "", answer, data
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = self._connect()
            if not sent or isinstance(error, ConnectionRefusedError):
                why = "refused"
            elif isinstance(error, TimeoutError):
                why = "timeout"
            else:
                why = "reset"
            return 0, why, {}, b""
        finally:
            self.used_at = time.monotonic()

    def send(self, kind: str, method: str, path: str, body: bytes | None,
             headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        keyed = "Idempotency-Key" in headers
        started = time.perf_counter()
        give_up = time.monotonic() + RETRY_FOR
        attempt = 0
        while True:
            status, why, answer, data = self._once(method, path, body, headers)
            self.stats.statuses[(f"{kind} ({why})" if why else kind, status)] += 1
            again = (why == "refused" or status in (502, 503, 504)
                     or (keyed and (why in ("reset", "timeout") or status == 409)))
            if not again or time.monotonic() > give_up:
                break
            attempt += 1
            self.stats.replays[f"retried {kind}"] += 1
            if why:
                self._next_port()
                if "Referer" in headers:  # the desk's requests name their page
                    headers = {**headers, "Referer": re.sub(
                        r"127\.0\.0\.1:\d+", f"127.0.0.1:{self.port}", headers["Referer"])}
            try:
                pause = float(answer.get("retry-after", ""))
            except ValueError:
                pause = min(2.0, 0.1 * 2 ** attempt)
            time.sleep(min(pause, 5.0))
        self.stats.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        return status, answer, data


# --- the cluster ------------------------------------------------------------------

@dataclass
class Role:
    name: str  # web1, worker2, scheduler
    argv: list[str]
    port: int | None = None
    process: subprocess.Popen | None = None
    log: object = None
    starts: int = 0


class Cluster:
    """The processes of one Leadgate set-up on this machine."""

    def __init__(self, workdir: Path, *, admin_url: str = ADMIN_URL, web_workers: int = 1,
                 web_threads: int = 8, extra_env: dict[str, str] | None = None,
                 settings_module: str | None = None) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.admin_url = admin_url
        self.web_workers, self.web_threads = web_workers, web_threads
        self.db_name = f"leadgate_cluster_{uuid.uuid4().hex[:10]}"
        self.database_url = urllib.parse.urlparse(admin_url)._replace(
            path=f"/{self.db_name}").geturl()
        self.redis_port = free_port()
        self.redis: subprocess.Popen | None = None
        self.mail = MailSink()
        self.receiver = Receiver()
        self.roles: dict[str, Role] = {}
        self.key = self.form_key = ""
        self.desk_leads: list[int] = []
        self.handoffs: list[dict] = []  # {"lead", "framework", "answers"}: SETUP_MORE's
        self.handoff_pool: list[dict] = []
        self.rep: list | None = None  # [id, email] of the sales rep handed to
        self.nurture_steps: list[list[int]] = []  # [enrollment, step, cycle]
        drop = ("DATABASE_URL", "REDIS_URL", "LEADGATE_TASK_BACKEND", "PGAPPNAME",
                "DJANGO_SETTINGS_MODULE", "EMAIL_BACKEND")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            DATABASE_URL=self.database_url, LEADGATE_TASK_BACKEND="rq",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            LEADGATE_DATA_DIR=str(workdir),
            PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]),
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(self.mail.port),
            # The sink is on loopback: a conversation takes milliseconds, and a
            # sender killed mid-send must not hold its email past the drain.
            EMAIL_TIMEOUT="5", LEADGATE_EMAIL_LEASE_SECONDS="30",
            LEADGATE_AUTO_ACK="1", LEADGATE_WEBHOOK_ALLOW_PRIVATE="1",
            LEADGATE_FORM_RATE_LIMIT="1000000", OMP_NUM_THREADS="1",
            # A killed worker is noticed after 6 quiet heartbeats; a lead whose
            # steps did not finish is queued again this long after it arrived.
            LEADGATE_WORKER_HEARTBEAT_SECONDS="1", LEADGATE_INTAKE_RETRY_AFTER_SECONDS="15")
        if settings_module:
            self.env["DJANGO_SETTINGS_MODULE"] = settings_module
        self.env.update(extra_env or {})

    # --- set-up ---

    def create(self) -> None:
        """The database (migrated), Redis, the SMTP sink and the webhook receiver."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.db_name}"')
        self.start_redis()
        self.mail.start()
        self.receiver.start()
        self.leadgate("migrate", "-v0")

    def set_up(self, demo_leads: int | None = None, handoffs: int = 0,
               nurture: int = 0) -> None:
        """`leadgate demo` (when asked), an API key, a web form and a webhook;
        with `handoffs`/`nurture`, SETUP_MORE's leads to hand off and nurture
        steps to make due (the demo's enrollments: `demo_leads` wanted)."""
        if demo_leads:
            self.leadgate("demo", "--leads", str(demo_leads), "--quiet")
        self.key = self.leadgate("apikey", "create", "--name", "cluster", "--scopes",
                                 "intake,read").strip().splitlines()[-1]
        code = SETUP.format(url=self.receiver.url)
        if handoffs or nurture:
            code += SETUP_MORE.format(handoffs=handoffs, nurture=nurture)
        out = self.leadgate("shell", "-c", code)
        lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
        self.form_key = lines["FORM"].strip()
        self.desk_leads = [int(n) for n in lines.get("LEADS", "").split(",") if n.strip()]
        self.handoffs = json.loads(lines.get("HANDOFFS", "[]"))
        self.handoff_pool = list(reversed(self.handoffs))  # clients pop() from it
        self.rep = json.loads(lines.get("REP", "null"))
        self.nurture_steps = json.loads(lines.get("NURTURE", "[]"))

    def make_due(self, enrollments: list[int], every: float) -> None:
        """The next steps of these enrollments come due one after another,
        `every` seconds apart from now (the nurture sweep takes them)."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True,
                             application_name="leadgate-setup") as connection:
            for number, enrollment in enumerate(enrollments):
                connection.execute(
                    "UPDATE nurture_enrollment SET next_due_at = now() + %s * interval '1 second'"
                    " WHERE id = %s", [number * every, enrollment])

    def leadgate(self, *args: str, app: str = "setup", timeout: float = 600) -> str:
        result = subprocess.run([*LEADGATE, *args], env={**self.env, "PGAPPNAME":
                                f"leadgate-{app}"}, cwd=ROOT, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if result.returncode:
            raise RuntimeError(f"leadgate {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.leadgate("shell", "-c", code, app="check")

    # --- Redis ---

    def start_redis(self) -> None:
        self.redis_log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - Redis's life
        self.redis = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=self.redis_log, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for(self.redis_answers, 10, 0.05):
            raise RuntimeError(f"redis-server did not start; see {self.workdir}/redis.log")

    def redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()  # as a crash: nothing saved (--save "" anyway)
            self.redis.wait()
            self.redis_log.close()

    def restart_redis(self, down: float = 0.5) -> None:
        """Redis crashes and comes back empty: every job waiting in it is gone."""
        self.stop_redis()
        time.sleep(down)
        self.start_redis()

    # --- the processes ---

    def start(self, webs: int = 2, workers: int = 2, scheduler: bool = True,
              ready: float = 90) -> None:
        for number in range(1, webs + 1):
            port = free_port()
            self.add(f"web{number}", ["web", "--port", str(port), "--workers",
                                      str(self.web_workers), "--threads",
                                      str(self.web_threads)], port)
        for number in range(1, workers + 1):
            self.add(f"worker{number}", ["worker", "--queues", "urgent,default,imports"])
        if scheduler:
            self.add("scheduler", ["scheduler", "--interval", "0.5"])
        for name in self.roles:
            self.spawn(name)
        if workers:
            self.wait_ready(ready)
        else:  # /readyz wants a worker: the web processes answering will do
            self.wait_healthy(ready)

    def wait_healthy(self, timeout: float = 90) -> None:
        def healthy(port: int) -> bool:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            except (OSError, http.client.HTTPException):
                return False

        if not wait_for(lambda: all(healthy(port) for port in self.ports), timeout):
            raise RuntimeError(f"the web processes did not answer within {timeout:g} s")

    def add(self, name: str, args: list[str], port: int | None = None) -> None:
        self.roles[name] = Role(name, [*LEADGATE, *args], port)

    def spawn(self, name: str) -> None:
        role = self.roles[name]
        if role.log is None:
            role.log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - its life
        role.starts += 1
        role.log.write(f"--- start {role.starts} at {time.time():.3f}\n".encode())
        role.log.flush()
        role.process = subprocess.Popen(
            role.argv, env={**self.env, "PGAPPNAME": f"leadgate-{name}"}, cwd=ROOT,
            stdout=role.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def ports(self) -> list[int]:
        return [role.port for role in self.roles.values() if role.port is not None]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the role's whole process group (a web process is
        gunicorn's master and its workers): SIGKILL is a crash."""
        process = self.roles[name].process
        assert process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def restart(self, name: str) -> None:
        """Start the role again (after a kill, or stopping it first)."""
        process = self.roles[name].process
        if process is not None and process.poll() is None:
            self.kill(name, signal.SIGTERM)
        self.spawn(name)

    def terminate_backends(self, name: str) -> int:
        """pg_terminate_backend() every database connection of one role's
        process(es); how many were cut."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = %s",
                [self.db_name, f"leadgate-{name}"]).fetchall()
        return sum(1 for (done,) in rows if done)

    def readyz(self, port: int) -> tuple[int | None, dict]:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            body = response.read()
            connection.close()
            return response.status, json.loads(body or b"{}")
        except (OSError, http.client.HTTPException, ValueError):
            return None, {}

    def ready(self) -> bool:
        return all(self.readyz(port)[0] == 200 for port in self.ports)

    def wait_ready(self, timeout: float = 90) -> None:
        """Until every web process answers /readyz 200 (so a worker is heard of too)."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            for role in self.roles.values():
                if role.process is not None and role.process.poll() is not None:
                    raise RuntimeError(f"{role.name} stopped (exit {role.process.returncode}): "
                                       f"{self.output(role.name)[-2000:]}")
            if time.monotonic() > deadline:
                answers = {port: self.readyz(port) for port in self.ports}
                raise RuntimeError(f"not ready within {timeout:g} s: {answers}")
            time.sleep(0.2)

    def output(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def running(self) -> dict[str, bool]:
        return {name: role.process is not None and role.process.poll() is None
                for name, role in self.roles.items()}

    # --- clients ---

    def client(self, tag: str, number: int, session: Session | None = None,
               seed: int = 0) -> RetryingClient:
        return RetryingClient(self.ports, self.key, self.form_key, tag, number, session,
                              self.desk_leads, seed=seed, handoffs=self.handoff_pool,
                              rep=self.rep[0] if self.rep else None)

    def report(self, acknowledged: dict[str, int | None], *,
               handoff_leads: list[int] | None = None,
               nurture: list[list[int]] | None = None) -> dict:
        """CHECK_SINKS for these acknowledged leads, run on the cluster's
        database; with CHECK_MORE for these handoff leads and nurture steps."""
        path = self.workdir / f"acknowledged-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(acknowledged))
        code = CHECK_SINKS.format(path=str(path), routed=ROUTED)
        if handoff_leads is not None or nurture is not None:
            extra = self.workdir / f"extra-{uuid.uuid4().hex}.json"
            extra.write_text(json.dumps({"handoff leads": handoff_leads or [],
                                         "nurture": nurture or []}))
            code += CHECK_MORE.format(extra=str(extra))
        out = self.shell(code + '\nprint("REPORT", json.dumps(report, default=str))\n')
        return json.loads(out.split("REPORT ", 1)[1])

    # --- the end ---

    def stop(self, forget: bool = False) -> None:
        """Stop every role's processes (SIGTERM, then SIGKILL after 20 s);
        with `forget`, drop the roles too, for start() to begin afresh."""
        for role in self.roles.values():
            if role.process is not None and role.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(role.process.pid, signal.SIGTERM)
        for role in self.roles.values():
            if role.process is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                role.process.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(role.process.pid, signal.SIGKILL)
            role.process.wait()
            if role.log is not None:
                role.log.close()
                role.log = None
        if forget:
            self.roles.clear()

    def destroy(self) -> None:
        """Stop everything and drop the database."""
        import psycopg

        self.stop()
        self.stop_redis()
        with contextlib.suppress(Exception):
            self.mail.stop()
        with contextlib.suppress(Exception):
            self.receiver.stop()
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
