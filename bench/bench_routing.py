"""Benchmark routing (issue 5): fairness of the team rotation, and its speed.

    .venv/bin/python bench/bench_routing.py [--leads 10000] [--intake-leads 1000]
        [--database-url URL] [--keep]

Runs against a fresh SQLite file in a temporary directory (or against an EMPTY
database given by --database-url). Each scenario has its own team of 8
qualifiers, available around the clock (team hours {"mon-sun": "00:00-24:00"},
no caps), and its own N leads (bulk_create, stage inquiry, the team set, not
timed), routed one by one with `route(lead)` as after_intake does:

  (a) equal weights: per-qualifier counts; goal max - min <= 1;
  (b) weights 2:1 (4 qualifiers of weight 2, 4 of weight 1): the ratio of the
      mean counts; goal 2.0 within 1%;
  (c) one qualifier out of office (an Absence) for the first half, back for
      the second: their count in the second half against the fair share
      (half / 8); goal: not flooded (at most the fair share + 1).

Speed: route() latency per lead (p50/p95/p99, leads/s) in each scenario, the
queries one route() runs, and the whole after_intake() per lead (p50/p95) for
--intake-leads leads made by receive() (form channel, a tenth of them hot)
and sent to a fourth team as the default team: what stands between a form
post and the qualifier's screen (goal in the issue: about a second).

Baseline, measured in the same run: a bare
`Lead.objects.filter(pk=...).update(owner=...)` per lead (autocommit, so one
transaction each, like route()), round robin over the qualifiers: the floor of
any assignment.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import finish, fresh_environment  # noqa: E402 - bench/ is the script's folder

QUALIFIERS = 8
ALWAYS = {"mon-sun": "00:00-24:00"}
INTAKE_TEAM = "bench-intake"
FAIR_GOAL = 1  # max - min with equal weights
RATIO_GOAL, RATIO_TOLERANCE = 2.0, 0.01
DESK_GOAL_MS = 1000.0  # "a hot lead reaches the right qualifier's screen in about a second"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def make_team(name: str, weights: list[float]) -> tuple[Any, list[Any]]:
    """A team open around the clock and one qualifier (with a seat) per weight."""
    from django.contrib.auth.models import Group

    from leadgate.leads.models import Team, User
    from leadgate.routing.models import Seat

    group = Group.objects.get(name="qualifier")
    team = Team.objects.create(name=name, time_zone="UTC", hours=ALWAYS)
    users = []
    for n, weight in enumerate(weights):
        user = User.objects.create(username=f"{name}-{n + 1}", team=team)
        user.set_unusable_password()  # no password hashing: 8 users, not a login test
        user.save(update_fields=["password"])
        user.groups.add(group)
        Seat.objects.create(user=user, weight=weight)
        users.append(user)
    return team, users


def make_leads(team: Any, count: int, tag: str) -> list[Any]:
    """`count` new leads on the team's desk (bulk_create), oldest first."""
    from leadgate.leads.models import Lead

    Lead.objects.bulk_create(
        [Lead(first_name="Ada", last_name=f"{tag}{n}", email=f"{tag}{n}@bench.example",
              company_name=f"{tag} Co {n}", stage="inquiry", team=team)
         for n in range(count)],
        batch_size=2000)
    return list(Lead.objects.filter(team=team).order_by("pk"))


def route_all(leads: list[Any]) -> tuple[list[int | None], list[float]]:
    """route() each lead in turn: (owner id per lead, seconds per lead)."""
    from leadgate.routing.assign import route

    owners: list[int | None] = []
    seconds: list[float] = []
    clock = time.perf_counter
    for lead in leads:
        started = clock()
        assignment = route(lead)
        seconds.append(clock() - started)
        owners.append(assignment.to_user_id if assignment is not None else None)
    return owners, seconds


def baseline(leads: list[Any], users: list[Any]) -> list[float]:
    """The floor of any assignment: one bare UPDATE of the owner per lead."""
    from leadgate.leads.models import Lead

    seconds = []
    clock = time.perf_counter
    for n, lead in enumerate(leads):
        owner = users[n % len(users)]
        started = clock()
        Lead.objects.filter(pk=lead.pk).update(owner=owner)
        seconds.append(clock() - started)
    return seconds


def queries_per_route(team: Any) -> int:
    """How many SQL statements one route() of a new lead runs (after warm-up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leadgate.routing.assign import route

    lead = make_leads(team, 1, "q")[-1]
    with CaptureQueriesContext(connection) as captured:
        route(lead)
    return len(captured.captured_queries)


def intake(count: int) -> tuple[list[float], list[float], list[int | None]]:
    """receive() `count` form posts, then after_intake() each lead: (receive
    seconds, after_intake seconds, owner per lead). The task backend only
    stores the queued task (django_tasks_db); the bench runs it itself."""
    from leadgate.intake.pipeline import receive
    from leadgate.leads.models import Lead
    from leadgate.orchestration.tasks import after_intake

    received, processed, owners = [], [], []
    clock = time.perf_counter
    ids = []
    for n in range(count):
        payload = {"first_name": "Grace", "last_name": f"Intake{n}",
                   "email": f"grace.intake{n}@company{n % 97}.example",
                   "company": f"Company {n % 97}", "title": "VP Sales" if n % 3 else "Engineer",
                   "country": "US"}
        started = clock()
        result = receive(payload, channel="form", is_hot=n % 10 == 0)
        received.append(clock() - started)
        ids.append(result.lead.pk)
    for lead_id in ids:
        started = clock()
        after_intake.call(lead_id)
        processed.append(clock() - started)
        owners.append(Lead.objects.filter(pk=lead_id).values_list("owner_id", flat=True)[0])
    return received, processed, owners


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000, help="leads per fairness scenario")
    parser.add_argument("--intake-leads", type=int, default=1_000,
                        help="leads through receive() and after_intake()")
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    workdir = fresh_environment("leadgate-bench-", args.database_url)
    # Leads made by receive() have no team: they go to the default team.
    os.environ["LEADGATE_DEFAULT_TEAM"] = INTAKE_TEAM
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from leadgate.routing.models import Absence, Assignment

    call_command("migrate", verbosity=0)
    n = args.leads
    half = n // 2
    timings: list[tuple[str, list[float]]] = []

    # Baseline first, on its own team and leads.
    base_team, base_users = make_team("bench-baseline", [1.0] * QUALIFIERS)
    base_seconds = baseline(make_leads(base_team, n, "base"), base_users)
    timings.append(("baseline: bare UPDATE owner", base_seconds))

    # (a) equal weights.
    equal_team, equal_users = make_team("bench-equal", [1.0] * QUALIFIERS)
    owners, seconds = route_all(make_leads(equal_team, n, "eq"))
    equal_counts = Counter(owners)
    timings.append(("(a) route(), equal weights", seconds))
    first_tenth = statistics.median(seconds[: max(1, n // 10)]) * 1000
    last_tenth = statistics.median(seconds[-max(1, n // 10):]) * 1000
    queries = queries_per_route(equal_team)

    # (b) weights 2:1.
    weights = [2.0] * (QUALIFIERS // 2) + [1.0] * (QUALIFIERS - QUALIFIERS // 2)
    weighted_team, weighted_users = make_team("bench-weighted", weights)
    owners, seconds = route_all(make_leads(weighted_team, n, "wt"))
    weighted_counts = Counter(owners)
    timings.append(("(b) route(), weights 2:1", seconds))

    # (c) one qualifier away for the first half, back for the second.
    away_team, away_users = make_team("bench-absence", [1.0] * QUALIFIERS)
    away = away_users[0]
    today = timezone.localdate(timezone.now(), timezone=timezone.get_default_timezone())
    absence = Absence.objects.create(user=away, starts_on=today - timedelta(days=1),
                                     ends_on=today + timedelta(days=1), note="bench")
    away_leads = make_leads(away_team, n, "ab")
    owners_1, seconds_1 = route_all(away_leads[:half])
    absence.delete()
    owners_2, seconds_2 = route_all(away_leads[half:])
    timings.append(("(c) route(), absence then back", seconds_1 + seconds_2))
    first_counts, second_counts = Counter(owners_1), Counter(owners_2)
    # Of the first 8 leads after the return, how many went to the returner.
    burst = sum(1 for owner in owners_2[:QUALIFIERS] if owner == away.pk)

    # after_intake(): the whole path after a form post.
    intake_team, intake_users = make_team(INTAKE_TEAM, [1.0] * QUALIFIERS)
    received, processed, intake_owners = intake(args.intake_leads)
    timings.append(("receive() (form post, no HTTP)", received))
    timings.append(("after_intake() per lead", processed))
    desk = [a + b for a, b in zip(received, processed, strict=True)]
    timings.append(("receive() + after_intake()", desk))
    intake_ids = {user.pk for user in intake_users}
    intake_misrouted = sum(1 for owner in intake_owners if owner not in intake_ids)

    # --- The tables ---------------------------------------------------------------
    base_p50 = statistics.median(base_seconds)
    print()
    print(f"routing on {connection.vendor}: {n:,} leads per scenario, {QUALIFIERS} qualifiers "
          f"per team, {args.intake_leads:,} leads through intake; "
          f"{Assignment.objects.count():,} assignments recorded")
    print(f"{'step':<34}{'leads':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'leads/s':>10}{'p50 vs base':>13}")
    for step, values in timings:
        ms = [v * 1000 for v in values]
        rate = len(values) / sum(values)
        print(f"{step:<34}{len(values):>8,}{statistics.median(ms):>9.2f}"
              f"{percentile(ms, .95):>9.2f}{percentile(ms, .99):>9.2f}{rate:>10,.0f}"
              f"{statistics.median(values) / base_p50:>12.1f}x")
    print(f"route() p50, first tenth of (a): {first_tenth:.2f} ms, last tenth: "
          f"{last_tenth:.2f} ms (open leads owned by the team grow from 0 to {n:,})")
    print(f"queries per route() of a new lead: {queries} (baseline: 1)")

    print()
    print(f"{'qualifier':<12}{'(a) equal':>11}{'(b) weight':>12}{'(b) count':>11}"
          f"{'(c) 1st half':>14}{'(c) 2nd half':>14}")
    for k in range(QUALIFIERS):
        note = " (away 1st half)" if k == 0 else ""
        print(f"{k + 1:<12}{equal_counts[equal_users[k].pk]:>11,}{weights[k]:>12.0f}"
              f"{weighted_counts[weighted_users[k].pk]:>11,}"
              f"{first_counts[away_users[k].pk]:>14,}{second_counts[away_users[k].pk]:>14,}"
              f"{note}")
    unrouted = sum(counter[None] for counter in (equal_counts, weighted_counts,
                                                 first_counts, second_counts))
    print(f"leads left unrouted (pool or None): {unrouted}; intake leads not on an intake "
          f"qualifier: {intake_misrouted}")

    # --- Verdicts -----------------------------------------------------------------
    equal_values = [equal_counts[user.pk] for user in equal_users]
    spread = max(equal_values) - min(equal_values)
    heavy = [weighted_counts[u.pk] for u, w in zip(weighted_users, weights, strict=True)
             if w == 2.0]
    light = [weighted_counts[u.pk] for u, w in zip(weighted_users, weights, strict=True)
             if w == 1.0]
    ratio = statistics.mean(heavy) / statistics.mean(light)
    deviation = abs(ratio - RATIO_GOAL) / RATIO_GOAL
    pair_ratios = [h / lo for h in heavy for lo in light if lo]
    fair = (n - half) / QUALIFIERS
    back = second_counts[away.pk]
    route_ms = [v * 1000 for _, values in timings[1:4] for v in values]
    route_p95 = percentile(route_ms, .95)
    desk_p95 = percentile([v * 1000 for v in desk], .95)

    def verdict(ok: bool) -> str:
        return "MEETS" if ok else "MISSES"

    print()
    print(f"verdict: fairness equal weights: max-min = {spread} (goal <= {FAIR_GOAL}): "
          f"{verdict(spread <= FAIR_GOAL)}")
    print(f"verdict: weights 2:1: ratio {ratio:.4f} (goal {RATIO_GOAL} ± 1%; deviation "
          f"{deviation:.2%}; per pair {min(pair_ratios):.3f}..{max(pair_ratios):.3f}): "
          f"{verdict(deviation <= RATIO_TOLERANCE)}")
    print(f"verdict: back from leave: {back:,} leads in the second half vs fair share "
          f"{fair:,.1f} ({burst} of the first {QUALIFIERS} after the return; none while away: "
          f"{first_counts[away.pk] == 0}): "
          f"{verdict(back <= fair + 1 and first_counts[away.pk] == 0)} (not flooded)")
    print(f"verdict: route p95 {route_p95:.2f} ms "
          f"({route_p95 / percentile([v * 1000 for v in base_seconds], .95):.1f}x the bare "
          f"update's p95), {len(route_ms) / (sum(route_ms) / 1000):,.0f} leads/s")
    print(f"verdict: receive() + after_intake() p95 {desk_p95:.1f} ms (goal: on the desk in "
          f"about {DESK_GOAL_MS / 1000:.0f} s, without HTTP and the live push): "
          f"{verdict(desk_p95 < DESK_GOAL_MS)}")
    connection.close()
    finish(workdir, args.keep)


if __name__ == "__main__":
    main()
