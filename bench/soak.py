"""Traffic for soak runs against the real service (`leadgate serve` with its
workers and scheduler), and the checks of what it stored. Used by
bench/bench_serve.py and by the short soak test in the suite.

Every lead sent is a new person with a unique email. Each client thread keeps
its own keep-alive connection and sends a mix: single API posts with an
`Idempotency-Key` (some sent twice, as a client retrying after a timeout
would), bulk posts, public web-form posts and, when a logged-in qualifier is
given, touches logged on the desk and handoffs (a touch with the
sales-ready verdict, then the handoff to a sales rep). Every answer is counted by status; every
lead the service acknowledged is remembered so the checks can look for it.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

FIRST = ("Ada Grace Alan Linus Margaret Barbara Edsger Donald Frances Ken Dennis Radia "
         "Sophie Hedy Katherine Tim Vint Bjarne Guido Anita Jean Karen Lynn Mary").split()
LAST = ("Lovelace Hopper Turing Torvalds Hamilton Liskov Dijkstra Knuth Allen Thompson "
        "Ritchie Perlman Wilson Lamarr Johnson Cerf Stroustrup Rossum Borg Bartik").split()
COMPANIES = 300  # leads share accounts, as they do in life

# What one client does per turn, by weight.
MIX = {"api": 70, "bulk": 5, "form": 15, "touch": 10}
# Kinds whose success is a redirect (a form posted as a browser does, not by
# htmx): soak counts their 302 as success, any other 3xx as a failure.
REDIRECTED = ("handoff",)
RETRY_SHARE = 0.1  # API posts sent a second time with the same Idempotency-Key
BULK_SIZE = 10


@dataclass
class Stats:
    """What the clients saw; merged from every thread under a lock."""

    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> count
    latencies: dict[str, list[float]] = field(default_factory=dict)
    acknowledged: dict[str, int | None] = field(default_factory=dict)  # email -> lead id
    sent_at: dict[str, float] = field(default_factory=dict)  # email -> epoch seconds
    replays: Counter = field(default_factory=Counter)  # "same" / "different"
    handed_off: dict[int, int] = field(default_factory=dict)  # lead id -> rep id
    started: float = 0.0
    finished: float = 0.0

    def merge(self, other: Stats) -> None:
        self.statuses.update(other.statuses)
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.acknowledged.update(other.acknowledged)
        self.sent_at.update(other.sent_at)
        self.replays.update(other.replays)
        self.handed_off.update(other.handed_off)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def failures(self) -> Counter:
        return Counter({(kind, status): n for (kind, status), n in self.statuses.items()
                        if not (200 <= status < 300 or (kind in REDIRECTED and status == 302))})

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


IDLE_AT_MOST = 1.5  # seconds a client reuses an idle connection (gunicorn keeps 2)


class Client:
    """One thread's connection and the requests it can make."""

    def __init__(self, port: int, key: str, form_key: str, tag: str, number: int,
                 session: Session | None = None, lead_ids: list[int] | None = None,
                 seed: int = 0, handoffs: list[dict] | None = None,
                 rep: int | None = None) -> None:
        self.port, self.key, self.form_key, self.tag = port, key, form_key, tag
        self.number, self.session, self.lead_ids = number, session, lead_ids or []
        # Leads to hand off ({"lead", "framework", "answers"}), shared by the
        # clients (list.pop is atomic), and the sales rep to hand them to.
        self.handoffs, self.rep = handoffs if handoffs is not None else [], rep
        self.rng = random.Random(seed * 1000 + number)
        self.stats = Stats()
        self.serial = 0
        self.connection = self._connect()
        self.used_at = time.monotonic()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def person(self) -> dict[str, str]:
        self.serial += 1
        company = self.rng.randrange(COMPANIES)
        email = f"soak.{self.tag}.{self.number}.{self.serial}@company{company}.example"
        digits = f"{abs(hash(email)) % 10**8:08d}"
        return {"first_name": self.rng.choice(FIRST), "last_name": self.rng.choice(LAST),
                "email": email, "phone": f"+44 20 7{digits[:3]} {digits[3:7]}",
                "company": f"Company {company}", "title": "Head of Operations",
                "country": "GB", "message": "Please call me about pricing."}

    def send(self, kind: str, method: str, path: str, body: bytes | None,
             headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        started = time.perf_counter()
        if time.monotonic() - self.used_at > IDLE_AT_MOST:
            # As an HTTP client library does: gunicorn closes a keep-alive
            # connection left idle for 2 s, and a request sent on it then fails
            # before the server reads it (paced clients wait that long).
            self.connection.close()
            self.connection = self._connect()
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
            status, answer = response.status, {k.lower(): v for k, v in response.getheaders()}
            if answer.get("connection", "").lower() == "close":
                self.connection.close()
                self.connection = self._connect()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = self._connect()
            status, answer, data = 0, {}, b""
        self.used_at = time.monotonic()
        self.stats.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        self.stats.statuses[(kind, status)] += 1
        return status, answer, data

    def api_headers(self, **extra: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}",
                **extra}

    # --- the kinds of request ---------------------------------------------------

    def api(self) -> int:
        lead = self.person()
        body = json.dumps(lead).encode()
        headers = self.api_headers(**{"Idempotency-Key": uuid.uuid4().hex})
        self.stats.sent_at[lead["email"]] = time.time()
        status, _answer, data = self.send("api", "POST", "/api/v1/leads", body, headers)
        if 200 <= status < 300:
            lead_id = json.loads(data)["lead"]
            self.stats.acknowledged[lead["email"]] = lead_id
            if self.rng.random() < RETRY_SHARE:
                again, answer, data = self.send("api retry", "POST", "/api/v1/leads", body,
                                                headers)
                same = (200 <= again < 300 and answer.get("idempotent-replayed") == "true"
                        and json.loads(data)["lead"] == lead_id)
                self.stats.replays["same" if same else "different"] += 1
        return 1

    def api_async(self) -> int:
        """POST /leads with Prefer: respond-async: a 202 and an arrival to read
        back; the lead itself is made by a worker (checked by email at the end)."""
        lead = self.person()
        headers = self.api_headers(**{"Idempotency-Key": uuid.uuid4().hex,
                                      "Prefer": "respond-async"})
        self.stats.sent_at[lead["email"]] = time.time()
        status, _answer, _data = self.send("api async", "POST", "/api/v1/leads",
                                           json.dumps(lead).encode(), headers)
        if status == 202:
            self.stats.acknowledged[lead["email"]] = None  # no lead id yet
        elif 200 <= status < 300:
            self.stats.statuses[("api async not 202", status)] += 1
        return 1

    def bulk(self) -> int:
        leads = [self.person() for _ in range(BULK_SIZE)]
        now = time.time()
        for lead in leads:
            self.stats.sent_at[lead["email"]] = now
        status, _answer, data = self.send(
            "bulk", "POST", "/api/v1/leads/bulk", json.dumps({"leads": leads}).encode(),
            self.api_headers(**{"Idempotency-Key": uuid.uuid4().hex}))
        if 200 <= status < 300:
            for lead, result in zip(leads, json.loads(data)["results"], strict=True):
                if result["status"] in ("created", "merged"):
                    self.stats.acknowledged[lead["email"]] = result["lead"]
                else:
                    self.stats.statuses[("bulk item", 500)] += 1
        return BULK_SIZE

    def form(self) -> int:
        lead = self.person()
        fields = {"email": lead["email"], "first_name": lead["first_name"],
                  "last_name": lead["last_name"], "company": lead["company"],
                  "phone": lead["phone"]}
        self.stats.sent_at[lead["email"]] = time.time()
        status, _answer, _data = self.send(
            "form", "POST", f"/f/{self.form_key}", urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        if 200 <= status < 300:
            self.stats.acknowledged[lead["email"]] = None  # the public answer names no id
        return 1

    def touch(self) -> int:
        if self.session is None or not self.lead_ids:
            return self.api()
        lead_id = self.rng.choice(self.lead_ids)
        due = time.strftime("%Y-%m-%dT10:00", time.gmtime(time.time() + 86400 * 2))
        fields = {"channel": "call", "disposition": "no_answer", "direction": "outbound",
                  "notes": "soak", "next_title": "Call again", "next_due": due,
                  "csrfmiddlewaretoken": self.session.csrf}
        status, _answer, _data = self.send(
            "touch", "POST", f"/leads/{lead_id}/touch", urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.session.cookie,
             "Referer": f"http://127.0.0.1:{self.port}/leads/{lead_id}/",
             "X-CSRFToken": self.session.csrf, "HX-Request": "true"})  # as the desk sends it
        return 0

    def desk_headers(self, lead_id: int) -> dict[str, str]:
        assert self.session is not None
        return {"Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.session.cookie,
                "Referer": f"http://127.0.0.1:{self.port}/leads/{lead_id}/",
                "X-CSRFToken": self.session.csrf}

    def handoff(self) -> int:
        """Qualify a lead sales-ready on the desk (a touch with the verdict and
        the framework's short-term answers met), then hand it off to the rep
        (the review page's form; a redirect to the lead is success). Once the
        leads to hand off are used up, a touch."""
        try:
            lead = self.handoffs.pop()
        except IndexError:
            lead = None
        if lead is None or self.session is None or self.rep is None:
            return self.touch()
        lead_id = lead["lead"]
        fields = {"channel": "call", "disposition": "connected", "direction": "outbound",
                  "notes": "soak: sales-ready", "verdict": "sales_ready",
                  "framework": lead["framework"], "csrfmiddlewaretoken": self.session.csrf}
        for key, value in lead["answers"].items():
            fields[f"answer_{key}"], fields[f"met_{key}"] = value, "on"
        status, _answer, _data = self.send(
            "handoff touch", "POST", f"/leads/{lead_id}/touch",
            urllib.parse.urlencode(fields).encode(),
            {**self.desk_headers(lead_id), "HX-Request": "true"})
        if not 200 <= status < 300:
            return 0
        fields = {"summary": "Ready for a demo this quarter.", "to_user": str(self.rep),
                  "note": "soak", "csrfmiddlewaretoken": self.session.csrf}
        headers = {**self.desk_headers(lead_id), "Referer":
                   f"http://127.0.0.1:{self.port}/sales/handoff/{lead_id}/"}
        status, answer, _data = self.send(
            "handoff", "POST", f"/sales/handoff/{lead_id}/",
            urllib.parse.urlencode(fields).encode(), headers)
        if status == 302 and answer.get("location", "").endswith(f"/leads/{lead_id}/"):
            self.stats.handed_off[lead_id] = self.rep
        elif status == 302:  # to the login page, say: not handed off
            self.stats.statuses[("handoff not done", 302)] += 1
        return 0

    def turn(self, mix: dict[str, int]) -> int:
        kinds, weights = zip(*mix.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        return int(getattr(self, kind)())


@dataclass
class Session:
    cookie: str
    csrf: str


def log_in(port: int, username: str, password: str) -> Session:
    """A logged-in browser session (cookies and CSRF token) for desk requests."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    page = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    assert csrf and cookie, "no CSRF token on the login page"
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": csrf.group(1)})
    connection.request("POST", "/login/", body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookie.group(1)}", "Referer": f"http://127.0.0.1:{port}/login/"})
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    assert response.status == 302 and session, f"login failed ({response.status})"
    token = cookie.group(1)
    return Session(cookie=f"csrftoken={token}; sessionid={session.group(1)}", csrf=token)


def run_clients(make: Callable[[int], Client], clients: int, *, seconds: float | None = None,
                leads: int | None = None, rate: float | None = None,
                mix: dict[str, int] | None = None) -> Stats:
    """Run `clients` threads until `seconds` pass or about `leads` leads were
    sent; with `rate`, paced to that many leads per second in all."""
    mix = mix or MIX
    total = Stats()
    lock = threading.Lock()
    sent = [0]
    barrier = threading.Barrier(clients + 1)
    deadline: list[float] = [0.0]

    def work(number: int) -> None:
        client = make(number)
        barrier.wait()
        start = time.monotonic()
        while time.monotonic() < deadline[0]:
            with lock:
                if leads is not None and sent[0] >= leads:
                    break
                so_far = sent[0]
            if rate:
                due = start + so_far / rate
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
            n = client.turn(mix)
            with lock:
                sent[0] += n
        client.connection.close()
        with lock:
            total.merge(client.stats)

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + (seconds if seconds is not None else 3600)
    barrier.wait()
    total.started = time.time()
    for thread in threads:
        thread.join()
    total.finished = time.time()
    return total


def bare(port: int, clients: int, seconds: float) -> Stats:
    """The floor: `POST /bench/bare` (bench settings only), one row per request."""
    class Bare(Client):
        def turn(self, mix: dict[str, int]) -> int:
            lead = self.person()
            self.send("bare", "POST", "/bench/bare", json.dumps(lead).encode(),
                      {"Content-Type": "application/json"})
            return 1

    return run_clients(lambda n: Bare(port, "", "", "bare", n), clients, seconds=seconds)


# --- what the service stored ---------------------------------------------------

def check_stored(stats: Stats) -> dict[str, object]:
    """Every acknowledged lead stored exactly once, and how far each got. Run
    in a process with Django set up on the service's database."""
    from django.db.models import Count, Exists, OuterRef

    from leadgate.enrich.models import Enrichment
    from leadgate.leads.models import Lead
    from leadgate.routing.models import Assignment, SlaClock
    from leadgate.scoring.models import LeadScore

    emails = list(stats.acknowledged)
    found: dict[str, list[int]] = {}
    rows: list[dict] = []
    for start in range(0, len(emails), 500):
        part = emails[start:start + 500]
        for lead in (Lead.objects.filter(email__in=part)
                     .annotate(inquiries_n=Count("inquiries", distinct=True),
                               enriched=Exists(Enrichment.objects.filter(lead=OuterRef("pk"))),
                               scored=Exists(LeadScore.objects.filter(lead=OuterRef("pk"))),
                               routed=Exists(Assignment.objects.filter(lead=OuterRef("pk"))),
                               clocked=Exists(SlaClock.objects.filter(lead=OuterRef("pk"))))
                     .values("pk", "email", "inquiries_n", "created_at", "processed_at",
                             "enriched", "scored", "routed", "clocked")):
            found.setdefault(lead["email"], []).append(lead["pk"])
            rows.append(lead)
    lost = [email for email in emails if email not in found]
    duplicated = [email for email, ids in found.items() if len(ids) > 1]
    wrong_id = [email for email, lead_id in stats.acknowledged.items()
                if lead_id is not None and email in found and lead_id not in found[email]]
    extra_inquiries = sum(1 for row in rows if row["inquiries_n"] != 1)
    processed = [row for row in rows if row["processed_at"] and row["enriched"]
                 and row["scored"] and row["routed"] and row["clocked"]]
    waits = [(row["processed_at"] - row["created_at"]).total_seconds() for row in processed]
    return {"acknowledged": len(emails), "stored": len(rows), "lost": len(lost),
            "duplicated": len(duplicated), "wrong id": len(wrong_id),
            "inquiries not once": extra_inquiries, "processed": len(processed),
            "waits": waits, "lost sample": lost[:5]}


def unprocessed(emails: list[str]) -> int:
    """Of these people, how many are not yet a processed lead (a lead sent with
    respond-async is not a lead at all until a worker takes it)."""
    from leadgate.leads.models import Lead

    wanted = sorted(set(emails))
    done = sum(Lead.objects.filter(email__in=wanted[start:start + 500],
                                   processed_at__isnull=False)
               .values("email").distinct().count()
               for start in range(0, len(wanted), 500))
    return len(wanted) - done


def wait_processed(emails: list[str], timeout: float) -> float | None:
    """Seconds until every one of these leads is processed, or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if unprocessed(emails) == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def breach_lateness(since: object) -> dict[str, float]:
    """How late SLA breaches were acted on (breached_at - due_at) and the
    largest gap between two runs of the breach check, since `since`."""
    from django_tasks_db.models import DBTaskResult

    from leadgate.routing.models import SlaClock

    late = [(clock.breached_at - clock.due_at).total_seconds()
            for clock in SlaClock.objects.filter(breached_at__isnull=False, due_at__gte=since)
            if clock.stopped_at is None]
    starts = sorted(DBTaskResult.objects.filter(
        task_path="leadgate.routing.tasks.check_breaches", started_at__gte=since)
        .values_list("started_at", flat=True))
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    return {"breaches": len(late), "max lateness s": max(late, default=0.0),
            "checks": len(starts), "max gap s": max(gaps, default=0.0)}
