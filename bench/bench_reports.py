"""Benchmark the reports: every registered report, cold and warm, over a year
of a database of a million leads. The goal (issue 15): each answers in < 2 s
on PostgreSQL and < 5 s on SQLite, cold, for a year with filters.

    .venv/bin/python bench/bench_reports.py [--leads 1000000] [--database-url URL]
        [--seed 1] [--keep] [--analyze] [--evict] [--profile DIR]
    .venv/bin/python bench/bench_reports.py --one SLUG --filters QUERY --user ID
        [--sqlite PATH | --database-url URL] [--profile FILE]

Runs against a fresh SQLite file in a temporary directory (or against an EMPTY
database given by --database-url). Steps:

1. Fill (seeded, raw SQL executemany in batches of 10,000 rows; table and
   column names from the models' _meta; not measured against a goal): three
   teams of eight qualifiers, four sales reps, a manager and a marketer; eight
   sources with five campaigns each and their monthly costs; company targets
   for every month and metric; N/5 accounts; N leads created over the last 24
   months (ids in order of arrival, as in a real database), each walked
   through the lifecycle (leads/lifecycle.py) cycle by cycle: its inquiries,
   stage changes, first-response SLA clock (response times from seconds to
   days, by qualifier and hour of day; breached clocks), touches with
   dispositions, qualification verdicts, handoffs (accepted, rejected with a
   reason, pending) and outcomes (opportunity, won, lost, with amounts):
   about 7 records a lead. (No routing Assignment rows: the reports do not
   read them; facts.compute() does, for the owner of a past cycle.)
2. `reports.facts.rebuild()`: the summary table (one row per lead and cycle),
   timed: rows/s.
3. Baseline, measured in the same run: one grouped COUNT over the summary
   table for the filter set's period (`SELECT furthest, COUNT(*) ... WHERE
   entered_at in the period [AND source AND team] GROUP BY furthest`), cold
   (in a new process) and warm: the floor of a report.
4. Every report of `reports.catalog.REPORTS`, each filter set in a new
   process (`--one`): Django set up, the filters built by `FilterForm` from a
   query string, then `report.compute(filters, manager)` timed once (cold)
   and once more (warm); the child also reports its SQL statements, their
   time and the slowest one. Filter sets: (a) the last 12 months; (b) the
   last 12 months, one source and one team; (c) (b) counted by stages
   reached in the period (`basis=reached`; reports without that basis
   compute as for (b)).

"Cold" is a new process with a new database connection: no Python-level or
SQLite page cache, but the operating system's file cache (and PostgreSQL's
shared buffers) as the previous steps left them. `--evict` also drops the
SQLite file from the OS cache before each cold run (posix_fadvise), a disk
read as after a reboot. Leadgate never runs ANALYZE on SQLite, so neither
does this bench unless `--analyze` is given; on PostgreSQL it runs ANALYZE
after the fill and after the rebuild (what autovacuum does soon after).

The exit code is 0 when every report computed, whether or not it met the
goal (a measurement); non-zero when one raised.
"""

# ruff: noqa: S608 - the SQL is built from the models' _meta names, not from input
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import math
import os
import random
import subprocess
import sys
import time
import traceback
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import finish, fresh_environment  # noqa: E402 - bench/ is the script's folder

FILL_BATCH = 10_000
DAY = 86_400
SPAN_DAYS = 730  # leads over the last 24 months
GOALS = {"postgresql": 2.0, "sqlite": 5.0}

TEAMS = [("Americas", "America/New_York", -5), ("EMEA", "Europe/Berlin", 1),
         ("APAC", "Asia/Singapore", 8)]
QUALIFIERS_PER_TEAM = 8
SALES_REPS = 4
# Country -> weight and team (index in TEAMS).
COUNTRIES = [("US", 30, 0), ("CA", 5, 0), ("BR", 4, 0), ("MX", 3, 0), ("GB", 10, 1),
             ("DE", 10, 1), ("FR", 7, 1), ("NL", 4, 1), ("ES", 3, 1), ("IT", 3, 1),
             ("SE", 2, 1), ("IN", 7, 2), ("JP", 4, 2), ("AU", 5, 2), ("SG", 3, 2)]
INDUSTRIES = [("Software", 20), ("Manufacturing", 12), ("Finance", 10), ("Healthcare", 9),
              ("Retail", 8), ("Education", 6), ("Logistics", 6), ("Energy", 4),
              ("Media", 4), ("Government", 3), ("", 8)]
# name, kind, share of leads, cost per lead, quality (conversion factor),
# share of hot requests, inquiry channel.
SOURCES = [
    ("Website", "web", 0.24, 35, 1.15, 0.30, "form"),
    ("Paid search", "paid", 0.18, 90, 1.0, 0.25, "form"),
    ("Paid social", "paid", 0.12, 70, 0.75, 0.10, "form"),
    ("Events", "event", 0.08, 160, 1.1, 0.05, "import"),
    ("Partners", "partner", 0.07, 60, 1.3, 0.10, "api"),
    ("Purchased lists", "list", 0.12, 8, 0.45, 0.0, "import"),
    ("Referrals", "referral", 0.06, 25, 1.6, 0.20, "form"),
    ("Outbound", "outbound", 0.13, 40, 0.8, 0.0, "manual"),
]
CAMPAIGNS_PER_SOURCE = 5
DQ_REASONS = ["no budget", "student", "competitor", "too small", "wrong country", "spam"]
NURTURE_REASONS = ["not ready: timing", "no project this year", "asked for information only"]
LOST_REASONS = ["price", "competitor", "no decision", "timing", "no budget"]
REJECT_REASONS = [("not_a_fit", 35), ("bad_timing", 30), ("no_budget", 20),
                  ("duplicate_opportunity", 10), ("other", 5)]
FAILED_CALL = [("no_answer", 40), ("voicemail_left", 30), ("busy", 8), ("gatekeeper", 12),
               ("wrong_number", 3)]
TOUCH_CHANNELS = [("call", 62), ("email", 33), ("social", 5)]
# The hour of a UTC day a lead arrives (weights): business hours of the three
# regions overlap in the European afternoon.
HOURS = [2, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 10, 11, 11, 10, 8, 6, 5, 4, 3, 3, 2]
# Median first-response minutes of each qualifier (in team order): some answer
# in a couple of minutes, some after hours.
SPEEDS = [1, 2, 3, 5, 8, 12, 25, 60]


def cumulative(pairs: list[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values, weights, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        weights.append(total)
    return values, weights


# --- Filling -------------------------------------------------------------------------------

class Writer:
    """Raw executemany inserts into a model's table: the columns given per row,
    every other concrete column its field default (so a new field with a
    default needs no change here), flushed every FILL_BATCH rows."""

    def __init__(self, model: Any, names: list[str]) -> None:
        from django.db import connection

        meta = model._meta
        given = [meta.get_field(name) for name in names]
        rest = [f for f in meta.concrete_fields if f not in given and not f.primary_key]
        self.constants = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        columns = [f.column for f in given + rest]
        qn = connection.ops.quote_name
        self.table = meta.db_table
        self.sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))})")
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, *values: Any) -> None:
        self.rows.append(values + self.constants)
        if len(self.rows) >= FILL_BATCH:
            self.flush()

    def flush(self) -> None:
        from django.db import connection

        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


class Stamps:
    """Epoch seconds as the text each backend stores or parses: naive UTC on
    SQLite (what the ORM writes there), UTC with its offset elsewhere. By hand,
    each day formatted once: millions of isoformat() calls would dominate."""

    def __init__(self, sqlite: bool) -> None:
        self.suffix = "" if sqlite else "+00:00"
        self.days: dict[int, str] = {}

    def day(self, day: int) -> str:
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
        return text

    def __call__(self, seconds: float | None) -> str | None:
        if seconds is None:
            return None
        day, second = divmod(int(seconds), DAY)
        hour, rest = divmod(second, 3600)
        return f"{self.day(day)} {hour:02d}:{rest // 60:02d}:{rest % 60:02d}{self.suffix}"


class People:
    """The users, teams, sources and campaigns, made with the ORM (a few dozen rows)."""

    def __init__(self, rng: random.Random, start_day: date) -> None:
        from django.contrib.auth.models import Group

        from leadgate.intake.models import Campaign, Source
        from leadgate.leads.lifecycle import Role
        from leadgate.leads.models import Team, User
        from leadgate.routing.models import SlaPolicy

        groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
        self.teams: list[int] = []
        self.team_offset: dict[int, int] = {}
        self.qualifiers: list[list[int]] = []  # per team
        self.speed: dict[int, float] = {}  # median first response, seconds
        for index, (name, zone, offset) in enumerate(TEAMS):
            team = Team.objects.create(name=name, time_zone=zone, is_default=index == 0)
            self.teams.append(team.pk)
            self.team_offset[team.pk] = offset
            members = []
            speeds = SPEEDS[:]
            rng.shuffle(speeds)
            for n in range(QUALIFIERS_PER_TEAM):
                user = User.objects.create_user(
                    username=f"q{index * QUALIFIERS_PER_TEAM + n + 1:02d}",
                    first_name=f"Qualifier{index * QUALIFIERS_PER_TEAM + n + 1}",
                    last_name=name, team=team, time_zone=zone)
                user.groups.add(groups[Role.QUALIFIER])
                members.append(user.pk)
                self.speed[user.pk] = speeds[n] * 60.0
            self.qualifiers.append(members)
        self.reps = []
        for n in range(SALES_REPS):
            user = User.objects.create_user(username=f"rep{n + 1}", first_name=f"Rep{n + 1}",
                                            last_name="Sales")
            user.groups.add(groups[Role.SALES])
            self.reps.append(user.pk)
        manager = User.objects.create_user(username="manager", first_name="Mona",
                                           last_name="Manager", is_staff=True)
        manager.groups.add(groups[Role.MANAGER])
        self.manager = manager.pk
        marketer = User.objects.create_user(username="marketing", first_name="Mark",
                                            last_name="Eting")
        marketer.groups.add(groups[Role.MARKETING])
        policies = {p.segment: p for p in SlaPolicy.objects.all()}
        self.policy = {segment: (p.pk, p.minutes * 60) for segment, p in policies.items()}
        # Sources and campaigns: (source id, campaign ids, cost per lead, quality,
        # hot share, channel); campaigns of a source get uneven shares.
        self.sources: list[tuple[int, list[int], list[float], float, float, float, str]] = []
        source_pairs = []
        for name, kind, share, cpl, quality, hot, channel in SOURCES:
            source = Source.objects.create(name=name, kind=kind)
            ids, weights, total = [], [], 0.0
            for n in range(CAMPAIGNS_PER_SOURCE):
                campaign = Campaign.objects.create(name=f"{name} {n + 1}", source=source,
                                                   starts_on=start_day)
                total += rng.uniform(0.5, 2.0)
                ids.append(campaign.pk)
                weights.append(total)
            self.sources.append((source.pk, ids, weights, cpl, quality, hot, channel))
            source_pairs.append((len(self.sources) - 1, share))
        self.source_values, self.source_weights = cumulative(source_pairs)


class Filler:
    """Walks every lead through the lifecycle and writes what it leaves behind."""

    def __init__(self, people: People, rng: random.Random, now: float, sqlite: bool) -> None:
        from leadgate.intake.models import Inquiry
        from leadgate.leads.models import Lead, StageChange
        from leadgate.leads.records import Handoff, Outcome, Touch
        from leadgate.routing.models import SlaClock
        from leadgate.workspace.models import Qualification

        self.p, self.rng, self.now = people, rng, now
        self.at = Stamps(sqlite)
        self.lead_w = Writer(Lead, [
            "id", "first_name", "last_name", "email", "company_name", "domain", "country",
            "account", "source", "campaign", "stage", "cycle", "stage_changed_at", "owner",
            "team", "created_at", "updated_at", "processed_at"])
        self.stage_w = Writer(StageChange, ["lead", "cycle", "from_stage", "to_stage", "at",
                                            "by", "reason"])
        self.inquiry_w = Writer(Inquiry, ["lead", "cycle", "channel", "source", "campaign",
                                          "is_hot", "received_at", "matched_by"])
        self.touch_w = Writer(Touch, ["lead", "cycle", "channel", "direction", "disposition",
                                      "duration_seconds", "actor", "at"])
        self.clock_w = Writer(SlaClock, ["lead", "cycle", "policy", "owner", "state",
                                         "started_at", "due_at", "stopped_at",
                                         "response_seconds", "breached_at"])
        self.handoff_w = Writer(Handoff, ["lead", "cycle", "from_user", "to_user", "status",
                                          "created_at", "decided_at", "reject_reason",
                                          "decided_by", "due_at", "decision_reason"])
        self.outcome_w = Writer(Outcome, ["lead", "cycle", "kind", "amount", "reason", "by",
                                          "at"])
        self.verdict_w = Writer(Qualification, ["lead", "cycle", "verdict", "reason",
                                                "recontact_on", "by", "at"])
        self.writers = [self.lead_w, self.stage_w, self.inquiry_w, self.touch_w, self.clock_w,
                        self.handoff_w, self.outcome_w, self.verdict_w]
        self.countries, self.country_weights = cumulative([(c[0], c[1]) for c in COUNTRIES])
        self.team_of_country = {c[0]: people.teams[c[2]] for c in COUNTRIES}
        self.rejects, self.reject_weights = cumulative(REJECT_REASONS)
        self.failed_calls, self.failed_call_weights = cumulative(FAILED_CALL)
        self.channels, self.channel_weights = cumulative(TOUCH_CHANNELS)
        self.hours, self.hour_weights = cumulative(list(enumerate(HOURS)))
        self.members = {team: people.qualifiers[i] for i, team in enumerate(people.teams)}
        # Per (campaign, month): leads that came in (the costs follow them); per
        # (month, metric): what came in and got reached (the targets follow them).
        self.campaign_month: Counter[tuple[int, int]] = Counter()
        self.month_metric: Counter[tuple[int, str]] = Counter()
        self.month_revenue: Counter[int] = Counter()
        self.month_of_day: dict[int, int] = {}
        self.last_reason = ""  # of the last stage move written

    def month(self, seconds: float) -> int:
        day = int(seconds) // DAY
        found = self.month_of_day.get(day)
        if found is None:
            at = datetime.fromtimestamp(day * DAY, UTC)
            found = self.month_of_day[day] = at.year * 12 + at.month - 1
        return found

    def flush(self) -> None:
        for writer in self.writers:
            writer.flush()

    # --- one lead -----------------------------------------------------------------------

    def arrivals(self, leads: int) -> list[float]:
        """When each lead came in, oldest first: ids follow arrival, as in a
        database that took its leads one by one (and so do the summary
        table's rows, which rebuild() writes in lead order)."""
        rng = self.rng
        today = int(self.now) // DAY
        found = []
        for _ in range(leads):
            hour = self.hours[_pick(rng, self.hour_weights)]
            at = float((today - rng.randrange(SPAN_DAYS)) * DAY + hour * 3600
                       + rng.randrange(3600))
            found.append(at if at <= self.now else self.now - rng.randrange(3600))
        found.sort()
        return found

    def lead(self, lead_id: int, created: float, account: tuple[int, str, str] | None) -> None:
        rng, p = self.rng, self.p
        country = account[2] if account and account[2] else \
            self.countries[_pick(rng, self.country_weights)]
        team = self.team_of_country[country]
        owner = rng.choice(self.members[team])
        source_index = p.source_values[_pick(rng, p.source_weights)]
        source = p.sources[source_index]
        campaign = source[1][_pick(rng, source[2])]
        quality = source[4] * math.exp(rng.gauss(0, 0.35))
        first_source, first_campaign = source[0], campaign
        t, cycle, stage, last_move = created, 1, "", created
        while True:
            stage, last_move = self.cycle(lead_id, cycle, stage, t, owner, team, source,
                                          campaign, quality)
            if stage not in ("won", "lost", "disqualified") or rng.random() > 0.12:
                break
            back = last_move + rng.uniform(30, 300) * DAY
            if back >= self.now:
                break
            cycle, t = cycle + 1, back
            source = p.sources[p.source_values[_pick(rng, p.source_weights)]]
            campaign = source[1][_pick(rng, source[2])]
        at = self.at
        account_id, company, _c = account or (None, "", "")
        domain = f"co{account_id}.example" if account_id else ""
        self.lead_w.add(lead_id, "Ada", f"Lovelace{lead_id}",
                        f"ada{lead_id}@{domain or 'mail.example'}", company, domain, country,
                        account_id, first_source, first_campaign, stage, cycle, at(last_move),
                        owner, team, at(created), at(last_move), at(created + 60))

    def cycle(self, lead_id: int, cycle: int, before: str, start: float, owner: int, team: int,
              source: tuple, campaign: int, quality: float) -> tuple[str, float]:
        """One cycle from its first inquiry: returns (stage at the end, when it moved there)."""
        rng, p, at, now = self.rng, self.p, self.at, self.now
        hot = rng.random() < source[5]
        channel = source[6]
        self.stage_w.add(lead_id, cycle, before, "inquiry", at(start), None,
                         "received" if cycle == 1 else "returned: new cycle")
        self.inquiry_w.add(lead_id, cycle, channel, source[0], campaign, hot, at(start),
                           "new" if cycle == 1 else "email")
        month = self.month(start)
        self.campaign_month[campaign, month] += 1
        self.month_metric[month, "inquiries"] += 1
        if rng.random() < 0.12:  # the person asked again within the cycle
            again = start + rng.uniform(0.5, 40) * DAY
            if again < now:
                self.inquiry_w.add(lead_id, cycle, "form", source[0], campaign, False,
                                   at(again), "email")

        # The first-response clock and the attempts it is stopped by.
        segment = "hot_inbound" if hot else ("imported" if channel == "import" else "inbound")
        policy, allowed = p.policy.get(segment) or p.policy["inbound"]
        clock_start = start + rng.randrange(1, 30)
        touched = rng.random() < 0.88
        # Outside business hours (team time) the clock waits for the morning,
        # as SLA policies count business hours, and so does the qualifier.
        local = (int(clock_start) + p.team_offset[team] * 3600) % DAY
        wait = 0.0 if 9 * 3600 <= local < 18 * 3600 else float((9 * 3600 - local) % DAY)
        response = wait + p.speed[owner] * math.exp(rng.gauss(0, 1.2)) + rng.uniform(5, 60)
        first_touch = clock_start + response
        if first_touch > now:
            touched = False
        due = clock_start + wait + allowed
        if not touched:
            state, breached = ("running", None) if due > now else ("breached", due)
            self.clock_w.add(lead_id, cycle, policy, owner, state, at(clock_start), at(due),
                             None, None, at(breached))
        elif first_touch <= due:
            self.clock_w.add(lead_id, cycle, policy, owner, "met", at(clock_start), at(due),
                             at(first_touch), int(response), None)
        else:
            self.clock_w.add(lead_id, cycle, policy, owner, "breached", at(clock_start),
                             at(due), None, None, at(due))
        speed = (1.35 if response < 300 else 1.15 if response < 3600 else
                 1.0 if response < DAY else 0.7) if touched else 0.0
        attempts: list[float] = []
        if touched:
            n = 1
            while n < 8 and rng.random() < 0.25:
                n += 1
            t = first_touch
            for _ in range(n):
                if t > now:
                    break
                attempts.append(t)
                t += rng.uniform(0.1, 3) * DAY

        # The walk through the stages: each step (target, when), until the
        # lead stays, the cycle closes or the next step lies in the future.
        stage, t = "inquiry", start
        connected_at: float | None = None
        connect = 0.0  # the call that gets through, when the move to working is made
        rejected = returned = 0
        handoff_from = 0.0
        for _step in range(14):
            roll = rng.random()
            target, when, by, reason = None, 0.0, None, ""
            if stage == "inquiry":
                if roll < min(0.9, 0.4 * quality):
                    target, when = "mql", t + rng.uniform(0, 1) * DAY
                elif attempts and roll < min(0.95, 0.4 * quality + 0.15 * speed):
                    connect = attempts[rng.randrange(len(attempts))] + 30
                    target, when, by = "working", connect + 60, owner
                elif roll < 0.4 * quality + 0.15 * speed + 0.1:
                    target, when, reason = ("nurture", t + rng.uniform(3, 30) * DAY,
                                            rng.choice(NURTURE_REASONS))
                elif roll < 0.4 * quality + 0.15 * speed + 0.17:
                    target, when, reason = ("disqualified", t + rng.uniform(0.1, 10) * DAY,
                                            rng.choice(DQ_REASONS))
            elif stage == "mql":
                if attempts and roll < min(0.95, 0.55 * speed):
                    connect = max(t, attempts[rng.randrange(len(attempts))]) + 30
                    target, when, by = "working", connect + 60, owner
                elif roll < 0.55 * speed + 0.15:
                    target, when, reason = ("nurture", t + rng.uniform(3, 30) * DAY,
                                            rng.choice(NURTURE_REASONS))
                elif roll < 0.55 * speed + 0.25:
                    target, when, by, reason = ("disqualified", t + rng.uniform(2, 20) * DAY,
                                                owner, "unresponsive")
            elif stage == "working":
                by = owner
                qualify = min(0.9, 0.2 * quality * max(speed, 0.7))
                if roll < qualify:
                    target, when = "qualified", t + rng.uniform(1, 21) * DAY
                elif roll < qualify + 0.22:
                    target, when, reason = ("nurture", t + rng.uniform(3, 45) * DAY,
                                            rng.choice(NURTURE_REASONS))
                elif roll < qualify + 0.5:
                    target, when, reason = ("disqualified", t + rng.uniform(2, 30) * DAY,
                                            rng.choice(DQ_REASONS))
            elif stage == "qualified":
                rep = rng.choice(p.reps)
                decided = t + rng.uniform(0.05, 4) * DAY
                if decided > now:
                    self.handoff_w.add(lead_id, cycle, owner, rep, "pending", at(t), None, "",
                                       None, at(t + DAY), "")
                    break
                if roll < (0.75 if rejected == 0 else 0.85):
                    self.handoff_w.add(lead_id, cycle, owner, rep, "accepted", at(t),
                                       at(decided), "", rep, at(t + DAY), "")
                    target, when, by = "accepted", decided, rep
                    handoff_from = float(rep)
                else:
                    code = self.rejects[_pick(rng, self.reject_weights)]
                    self.handoff_w.add(lead_id, cycle, owner, rep, "rejected", at(t),
                                       at(decided), code, rep, at(t + DAY), "not now")
                    target, when, by, reason = "rejected", decided, rep, code
                    rejected += 1
            elif stage == "rejected":
                by = owner
                if roll < 0.45:
                    target, when = "working", t + rng.uniform(0.05, 3) * DAY
                elif roll < 0.75:
                    target, when, reason = ("nurture", t + rng.uniform(1, 10) * DAY,
                                            rng.choice(NURTURE_REASONS))
                else:
                    target, when, reason = ("disqualified", t + rng.uniform(1, 10) * DAY,
                                            rng.choice(DQ_REASONS))
            elif stage == "accepted":
                by = int(handoff_from) or None
                if roll < 0.6:
                    target, when = "opportunity", t + rng.uniform(3, 30) * DAY
                elif roll < 0.75:
                    target, when, reason = ("lost", t + rng.uniform(5, 40) * DAY,
                                            rng.choice(LOST_REASONS))
                elif roll < 0.85:
                    target, when, reason = ("nurture", t + rng.uniform(5, 40) * DAY,
                                            "bad timing")
            elif stage == "opportunity":
                by = int(handoff_from) or None
                if roll < min(0.8, 0.38 * quality):
                    target, when = "won", t + rng.uniform(14, 120) * DAY
                elif roll < min(0.8, 0.38 * quality) + 0.42:
                    target, when, reason = ("lost", t + rng.uniform(14, 120) * DAY,
                                            rng.choice(LOST_REASONS))
            elif stage == "nurture":
                if returned == 0 and roll < 0.18:
                    target, when, reason = "mql", t + rng.uniform(20, 200) * DAY, "returned"
                    returned += 1
                elif roll < 0.24:
                    target, when, by, reason = ("disqualified", t + rng.uniform(30, 300) * DAY,
                                                owner, "no longer reachable")
            if target is None or when > now:
                break
            if target == "working" and connected_at is None:
                connected_at = connect
            self.stage_w.add(lead_id, cycle, stage, target, at(when), by, reason)
            self.last_reason = reason
            self._side_effects(lead_id, cycle, stage, target, when, owner, reason, source,
                               campaign, handoff_from)
            stage, t = target, when
            if target in ("won", "lost", "disqualified"):
                break
        self._touches(lead_id, cycle, owner, attempts, connected_at, stage, t)
        return stage, t

    def _side_effects(self, lead_id: int, cycle: int, before: str, target: str, when: float,
                      owner: int, reason: str, source: tuple, campaign: int,
                      handoff_from: float) -> None:
        rng, at = self.rng, self.at
        month = self.month(when)
        if target == "mql":
            self.month_metric[month, "mqls"] += 1
            if before == "nurture":  # came back: a new inquiry in the same cycle
                self.inquiry_w.add(lead_id, cycle, "form", source[0], campaign, False,
                                   at(when - 60), "email")
        elif target == "qualified":
            self.verdict_w.add(lead_id, cycle, "sales_ready", "", None, owner, at(when - 600))
        elif target == "nurture" and before == "working":
            recontact = self.at.day(int(when) // DAY + 90)
            self.verdict_w.add(lead_id, cycle, "long_term", "", recontact, owner,
                               at(when - 600))
        elif target == "disqualified" and before in ("working", "mql"):
            verdict = "unresponsive" if reason == "unresponsive" else "not_a_fit"
            self.verdict_w.add(lead_id, cycle, verdict, reason, None, owner, at(when - 600))
        elif target == "accepted":
            self.month_metric[month, "sals"] += 1
        elif target == "opportunity":
            self.month_metric[month, "opportunities"] += 1
            amount = Decimal(int(25_000 * math.exp(rng.gauss(0, 0.8))))
            self._amount = amount
            self.outcome_w.add(lead_id, cycle, "opportunity", amount, "",
                               int(handoff_from) or None, at(when))
        elif target == "won":
            amount = Decimal(int(float(getattr(self, "_amount", 25_000)) *
                                 rng.uniform(0.8, 1.1)))
            self.month_metric[month, "won"] += 1
            self.month_revenue[month] += int(amount)
            self.outcome_w.add(lead_id, cycle, "won", amount, "", int(handoff_from) or None,
                               at(when))
        elif target == "lost":
            self.outcome_w.add(lead_id, cycle, "lost", None, reason, int(handoff_from) or None,
                               at(when))

    def _touches(self, lead_id: int, cycle: int, owner: int, attempts: list[float],
                 connected_at: float | None, stage: str, last: float) -> None:
        rng, at, now = self.rng, self.at, self.now
        if connected_at is not None:
            attempts = [a for a in attempts if a < connected_at - 30]
        for when in attempts:
            channel = self.channels[_pick(rng, self.channel_weights)]
            if channel == "call":
                disposition = self.failed_calls[_pick(rng, self.failed_call_weights)]
                duration = rng.randrange(5, 40)
            else:
                disposition, duration = "sent", 0
            self.touch_w.add(lead_id, cycle, channel, "outbound", disposition, duration, owner,
                             at(when))
        if connected_at is not None:
            meeting = stage in ("qualified", "accepted", "opportunity", "won", "lost") \
                or rng.random() < 0.1
            self.touch_w.add(lead_id, cycle, "call", "outbound",
                             "meeting_booked" if meeting else "connected",
                             rng.randrange(60, 1800), owner, at(connected_at))
            if rng.random() < 0.3 and connected_at + DAY < now:  # a reply by email
                self.touch_w.add(lead_id, cycle, "email", "inbound", "replied", 0, None,
                                 at(connected_at + rng.uniform(0.1, 1) * DAY))
        elif attempts and stage == "disqualified" and rng.random() < 0.9 \
                and self.last_reason == "unresponsive":
            # Closed as unresponsive: the attempt plan of six, mostly kept.
            t = attempts[-1]
            for _ in range(6 - len(attempts)):
                t += rng.uniform(0.5, 3) * DAY
                if t >= min(now, last):
                    break
                self.touch_w.add(lead_id, cycle, "call", "outbound", "no_answer",
                                 rng.randrange(5, 40), owner, at(t))


def _pick(rng: random.Random, cumulative_weights: list[float]) -> int:
    """The index of a weighted choice (cumulative weights)."""
    target = rng.random() * cumulative_weights[-1]
    low, high = 0, len(cumulative_weights) - 1
    while low < high:
        mid = (low + high) // 2
        if cumulative_weights[mid] <= target:
            low = mid + 1
        else:
            high = mid
    return low


def big_tables() -> list[Any]:
    from leadgate.intake.models import Inquiry
    from leadgate.leads.models import Account, Lead, StageChange
    from leadgate.leads.records import Handoff, Outcome, Touch
    from leadgate.routing.models import SlaClock
    from leadgate.workspace.models import Qualification

    return [Account, Lead, StageChange, Inquiry, Touch, SlaClock, Handoff, Outcome,
            Qualification]


def drop_indexes(cursor: Any, sqlite: bool) -> list[str]:
    """The secondary indexes of the big tables, dropped (built once at the end
    rather than row by row); returns the statements that make them again."""
    tables = [m._meta.db_table for m in big_tables()]
    marks = ", ".join(["%s"] * len(tables))
    if sqlite:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
                       f"NULL AND tbl_name IN ({marks})", tables)
    else:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                       f"({marks}) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                       tables)
    found = cursor.fetchall()
    for name, _sql in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def fill(leads: int, seed: int, now: datetime) -> dict[str, int]:
    """Write the data set; returns rows per table."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from leadgate.intake.models import CampaignCost
    from leadgate.leads.models import Account, Lead
    from leadgate.lib.normalize import company_key
    from leadgate.reports.models import Target

    rng = random.Random(seed)
    sqlite = connection.vendor == "sqlite"
    # Batches of 10,000 leads hold SQLite's write lock for seconds, which its
    # backend logs as a warning each time: nobody else writes this database.
    logging.getLogger("leadgate.db").setLevel(logging.ERROR)
    stamp = now.replace(microsecond=0).timestamp()
    first_day = (now - timedelta(days=SPAN_DAYS + 1)).date().replace(day=1)
    people = People(rng, first_day)
    filler = Filler(people, rng, stamp, sqlite)
    replica = False
    with connection.cursor() as cursor:
        if sqlite:
            # A throwaway database: no fsync, no FK checks (ids consistent by
            # construction), a big page cache.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
        else:
            try:  # no FK triggers while filling (superuser only; else checked)
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
                replica = True
            except Exception:  # noqa: BLE001 - checked FKs are only slower
                replica = False
        indexes = drop_indexes(cursor, sqlite)

    accounts = max(1, leads // 5)
    account_w = Writer(Account, ["id", "name", "name_key", "domain", "industry", "employees",
                                 "country", "created_at"])
    industries, industry_weights = cumulative(INDUSTRIES)
    countries, country_weights = cumulative([(c[0], c[1]) for c in COUNTRIES])
    infos: list[tuple[int, str, str]] = []
    with transaction.atomic():
        for i in range(1, accounts + 1):
            name = f"Company {i} {rng.choice(['Ltd', 'GmbH', 'Inc', 'SA', 'BV', 'Pty'])}"
            country = countries[_pick(rng, country_weights)] if rng.random() < 0.95 else ""
            employees = int(math.exp(rng.uniform(math.log(2), math.log(20_000))))
            account_w.add(i, name, company_key(name), f"co{i}.example",
                          industries[_pick(rng, industry_weights)],
                          employees if rng.random() < 0.9 else None, country,
                          filler.at(stamp - rng.randrange(SPAN_DAYS * DAY)))
            infos.append((i, name, country))
        account_w.flush()

    started = time.perf_counter()
    arrivals = filler.arrivals(leads)
    for first in range(1, leads + 1, FILL_BATCH):
        with transaction.atomic():
            for lead_id in range(first, min(first + FILL_BATCH, leads + 1)):
                account = infos[rng.randrange(accounts)] if rng.random() < 0.8 else None
                filler.lead(lead_id, arrivals[lead_id - 1], account)
            filler.flush()
        done = min(first + FILL_BATCH - 1, leads)
        if done % 100_000 == 0 or done == leads:
            print(f"  filled {done:,} leads ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)

    # Costs follow each campaign's leads of the month; targets a little above
    # what each month brought (some met, most not).
    cost_w = Writer(CampaignCost, ["campaign", "period_start", "period_end", "amount"])
    target_w = Writer(Target, ["month", "team", "metric", "value", "set_by", "set_at"])
    cpl = {c: source[3] for source in people.sources for c in source[1]}
    months = sorted({m for _c, m in filler.campaign_month})
    with transaction.atomic():
        for month in months:
            start = date(month // 12, month % 12 + 1, 1)
            end = date((month + 1) // 12, (month + 1) % 12 + 1, 1) - timedelta(days=1)
            for campaign in sorted(cpl):
                n = filler.campaign_month.get((campaign, month), 0)
                amount = Decimal(f"{max(100.0, n * cpl[campaign] * rng.uniform(0.85, 1.15)):.2f}")
                cost_w.add(campaign, start.isoformat(), end.isoformat(), amount)
            for metric in ("inquiries", "mqls", "sals", "opportunities", "won", "revenue",
                           "cost"):
                if metric == "revenue":
                    value = filler.month_revenue.get(month, 0)
                elif metric == "cost":
                    value = sum(filler.campaign_month.get((c, month), 0) * cpl[c] for c in cpl)
                else:
                    value = filler.month_metric.get((month, metric), 0)
                target_w.add(start.isoformat(), None, metric,
                             Decimal(f"{max(1.0, value * rng.uniform(1.0, 1.25)):.2f}"),
                             people.manager, filler.at(stamp))
        cost_w.flush()
        target_w.flush()

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in indexes:
            cursor.execute(sql)
        if sqlite:
            cursor.execute("PRAGMA cache_size=-2000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            if replica:
                cursor.execute("SET session_replication_role = origin")
            for sql in connection.ops.sequence_reset_sql(no_style(), [Account, Lead]):
                cursor.execute(sql)
            cursor.execute("ANALYZE")
    print(f"  indexes made again in {time.perf_counter() - started:.0f} s", file=sys.stderr,
          flush=True)
    logging.getLogger("leadgate.db").setLevel(logging.NOTSET)
    counts = {w.table: w.count for w in [account_w, *filler.writers, cost_w, target_w]}
    return counts


# --- Measuring -------------------------------------------------------------------------------

def filter_sets(people: dict[str, int]) -> list[tuple[str, str, str]]:
    """(key, label, query string) of the filter sets."""
    both = f"period=last_12_months&source={people['source']}&team={people['team']}"
    return [("a", "(a) last 12 months", "period=last_12_months"),
            ("b", "(b) last 12 months, 1 source, 1 team", both),
            ("c", "(c) as (b), basis=reached", both + "&basis=reached")]


def run_one(args: argparse.Namespace) -> int:
    """The child: one report (or the baseline) with one filter set, cold then
    warm, as one JSON line on stdout."""
    if args.sqlite:
        os.environ["LEADGATE_SQLITE_PATH"] = args.sqlite
        os.environ.setdefault("LEADGATE_DATA_DIR", str(Path(args.sqlite).parent))
        os.environ.pop("DATABASE_URL", None)
    elif args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict
    from django.utils import timezone

    from leadgate.leads.models import User
    from leadgate.reports.catalog import REPORTS
    from leadgate.reports.filters import FilterForm

    user = User.objects.get(pk=args.user)
    queries: list[tuple[float, str]] = []
    fetching = [0.0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - started, sql))

    # Fetching is database time too: SQLite steps through a grouped query's
    # sorted rows (and aggregates them) as they are fetched.
    def timed_fetch(name: str) -> Any:
        def fetch(self: Any, *args: Any) -> Any:
            started = time.perf_counter()
            try:
                with self.db.wrap_database_errors:
                    return getattr(self.cursor, name)(*args)
            finally:
                fetching[0] += time.perf_counter() - started
        return fetch

    from django.db.backends.utils import CursorWrapper

    for name in ("fetchone", "fetchmany", "fetchall"):
        setattr(CursorWrapper, name, timed_fetch(name))

    with timezone.override(user.display_time_zone):
        form = FilterForm(QueryDict(args.filters))
        if not form.is_valid():
            print(f"invalid filters {args.filters!r}: {form.errors_by_field()}", file=sys.stderr)
            return 2
        filters = form.filters()
        if args.one == "baseline":
            def compute() -> Any:
                return baseline_query(filters)
        else:
            report = REPORTS[args.one]

            def compute() -> Any:
                return report.compute(filters, user)
        seconds = []
        shown: list[dict[str, Any]] = []
        for run in range(2):
            queries.clear()
            fetching[0] = 0.0
            started = time.perf_counter()
            with connection.execute_wrapper(timed):
                if run == 0 and args.profile:
                    import cProfile

                    profiler = cProfile.Profile()
                    result = profiler.runcall(compute)
                    profiler.dump_stats(args.profile)
                else:
                    result = compute()
            seconds.append(time.perf_counter() - started)
            slowest = max(queries, default=(0.0, ""))
            executing = sum(q for q, _ in queries)
            shown.append({"queries": len(queries), "sql": round(executing + fetching[0], 4),
                          "execute": round(executing, 4), "fetch": round(fetching[0], 4),
                          "slowest": round(slowest[0], 4), "slowest_sql": slowest[1][:400]})
    rows = (sum(result.values()) if isinstance(result, dict) else
            sum(len(table.rows) for table in result.tables))
    print(json.dumps({"slug": args.one, "cold": seconds[0], "warm": seconds[1], "rows": rows,
                      "cold_sql": shown[0], "warm_sql": shown[1]}))
    return 0


def baseline_query(filters: Any) -> dict[int, int]:
    """SELECT furthest, COUNT(*) over the summary table in the period (and
    the source and team of the filter set, if any): the floor of a report."""
    from django.db import connection

    from leadgate.reports.models import CycleFact

    meta = CycleFact._meta
    qn = connection.ops.quote_name

    def col(name: str) -> str:
        return qn(meta.get_field(name).column)

    where = [f"{col('entered_at')} >= %s", f"{col('entered_at')} < %s"]
    params: list[Any] = [connection.ops.adapt_datetimefield_value(filters.since),
                         connection.ops.adapt_datetimefield_value(filters.until)]
    if filters.sources:
        where.append(f"{col('source')} IN ({', '.join(['%s'] * len(filters.sources))})")
        params += list(filters.sources)
    if filters.team is not None:
        where.append(f"{col('team')} = %s")
        params.append(filters.team)
    sql = (f"SELECT {col('furthest')}, COUNT(*) FROM {qn(meta.db_table)} "
           f"WHERE {' AND '.join(where)} GROUP BY {col('furthest')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def evict(path: str) -> None:
    """Drop the SQLite file (and its WAL) from the operating system's cache."""
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def child(slug: str, query: str, user: int, profile: str | None,
          sqlite_path: str | None) -> tuple[dict[str, Any] | None, str]:
    """Run `--one` in a new process: (its JSON, or None when it failed; stderr)."""
    if sqlite_path:
        evict(sqlite_path)
    command = [sys.executable, __file__, "--one", slug, "--filters", query, "--user", str(user)]
    if profile:
        command += ["--profile", profile]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        return None, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database to use instead "
                        "of SQLite (with --one: the database to read)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--analyze", action="store_true",
                        help="SQLite: run ANALYZE after the rebuild (Leadgate never does)")
    parser.add_argument("--evict", action="store_true",
                        help="SQLite: drop the file from the OS cache before each cold run")
    parser.add_argument("--profile", help="a folder: a cProfile of each cold run in it "
                        "(with --one: the file)")
    parser.add_argument("--sets", default="a,b,c", help="filter sets to run (a,b,c)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--filters", help=argparse.SUPPRESS)
    parser.add_argument("--user", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sqlite", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        try:
            return run_one(args)
        except Exception:  # noqa: BLE001 - the parent reports it
            traceback.print_exc()
            return 1

    workdir = fresh_environment("leadgate-bench-reports-", args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from leadgate.intake.models import Source
    from leadgate.leads.models import Team, User
    from leadgate.reports import facts
    from leadgate.reports.catalog import REPORTS
    from leadgate.reports.models import CycleFact

    vendor_name = connection.vendor
    call_command("migrate", verbosity=0)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores)")
    now = timezone.now()
    started = time.perf_counter()
    counts = fill(args.leads, args.seed, now)
    fill_seconds = time.perf_counter() - started
    records = sum(n for table, n in counts.items()
                  if table not in ("leads_account", "leads_lead", "intake_campaigncost",
                                   "reports_target"))
    print(f"fill on {vendor_name}: {fill_seconds:.1f} s, {sum(counts.values()):,} rows "
          f"({records:,} records besides leads and accounts)")
    for table, count in counts.items():
        print(f"  {table:<24}{count:>12,}")

    # PostgreSQL with autovacuum off (as on a test server): the planner would
    # keep the summary table's statistics from when it was empty, estimate
    # each `lead_id IN (500 ids)` of refresh() at the whole table and scan it
    # for every batch (a rebuild that slows down as the table grows). Do what
    # autoanalyze does: ANALYZE it when 10% more rows than at the last one.
    analyze_as_autovacuum = False
    if vendor_name == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            analyze_as_autovacuum = cursor.fetchone()[0] == "off"
        if analyze_as_autovacuum:
            print("autovacuum is off on this server: the summary table is analyzed as "
                  "autoanalyze would (each time it has grown by 10%)")
    table = connection.ops.quote_name(CycleFact._meta.db_table)
    started = time.perf_counter()
    done = [0, 0]  # leads done, leads done at the last ANALYZE

    def progress(n: int) -> None:
        done[0] += n
        if done[0] % 100_000 < n:
            print(f"  rebuilt {done[0]:,} leads ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        if analyze_as_autovacuum and done[0] >= 1.1 * done[1] + 50:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")
            done[1] = done[0]

    written = facts.rebuild(progress)
    rebuild_seconds = time.perf_counter() - started
    print(f"facts.rebuild(): {written:,} rows in {rebuild_seconds:.1f} s "
          f"({written / rebuild_seconds:,.0f} rows/s, {args.leads / rebuild_seconds:,.0f} "
          "leads/s)")
    with connection.cursor() as cursor:
        if vendor_name == "sqlite":
            if args.analyze:
                cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("ANALYZE")
    sqlite_path = (connection.settings_dict["NAME"] if vendor_name == "sqlite" and args.evict
                   else None)
    chosen = {
        "source": Source.objects.get(name="Paid search").pk,
        "team": Team.objects.get(name="EMEA").pk,
        "manager": User.objects.get(username="manager").pk,
    }
    connection.close()

    # The code measured: report modules are being written while benches run,
    # and each child imports them when it starts.
    for slug, report in REPORTS.items():
        path = Path(inspect.getsourcefile(type(report)) or "")
        stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        print(f"  code of {slug}: {path.relative_to(ROOT)}, sha1 "
              f"{hashlib.sha1(path.read_bytes()).hexdigest()[:10]}, modified {stamp}")  # noqa: S324
    goal = GOALS.get(vendor_name, GOALS["postgresql"])
    wanted = set(args.sets.split(","))
    sets = [s for s in filter_sets(chosen) if s[0] in wanted]
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    base: dict[str, dict[str, Any]] = {}
    for key, _label, query in sets:
        if key == "c" and "b" in base:
            base["c"] = base["b"]  # the same rows: the baseline has no basis
            continue
        found, err = child("baseline", query, chosen["manager"], None, sqlite_path)
        if found is None:
            print(err, file=sys.stderr)
            raise SystemExit("the baseline failed")
        base[key] = found
    rows: list[tuple[str, str, dict[str, Any] | None]] = []
    failed: list[str] = []
    for slug in REPORTS:
        for key, label, query in sets:
            profile = str(profile_dir / f"{slug}-{key}.prof") if profile_dir else None
            found, err = child(slug, query, chosen["manager"], profile, sqlite_path)
            if found is None:
                failed.append(f"{slug} {key}")
                print(f"{slug} {label}: FAILED\n{err[-3000:]}", file=sys.stderr)
            else:
                print(f"  {slug} {label}: cold {found['cold']:.2f} s, warm {found['warm']:.2f} s",
                      file=sys.stderr, flush=True)
            rows.append((slug, key, found))

    load = os.getloadavg()
    labels = {key: label for key, label, _q in sets}
    print()
    print(f"reports at {args.leads:,} leads ({written:,} summary rows) on {vendor_name}; "
          f"goal {goal:.0f} s cold; load average at the end {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} ({os.cpu_count()} cores)")
    print("| report | filters | cold s | warm s | cold vs baseline | queries | SQL s (cold) "
          "| slowest query s | goal | met |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key in base:
        if key == "c":
            continue
        b = base[key]
        print(f"| baseline: grouped COUNT over CycleFact | {labels[key]} | {b['cold']:.3f} | "
              f"{b['warm']:.3f} | 1.0x | 1 | {b['cold_sql']['sql']:.3f} | "
              f"{b['cold_sql']['slowest']:.3f} | | |")
    met = 0
    for slug, key, found in rows:
        if found is None:
            print(f"| {slug} | {labels[key]} | FAILED | | | | | | {goal:.0f} s | no |")
            continue
        ratio = found["cold"] / base[key]["cold"] if base[key]["cold"] else float("inf")
        ok = found["cold"] < goal
        met += ok
        print(f"| {slug} | {labels[key]} | {found['cold']:.2f} | {found['warm']:.2f} | "
              f"{ratio:,.0f}x | {found['cold_sql']['queries']} | {found['cold_sql']['sql']:.2f} "
              f"| {found['cold_sql']['slowest']:.2f} | {goal:.0f} s | "
              f"{'yes' if ok else '**no**'} |")
    print(f"\nverdict: {met} of {len(rows)} report runs within the {goal:.0f} s goal on "
          f"{vendor_name}")
    for slug, key, found in rows:
        if found is not None and found["cold"] >= goal:
            print(f"  over the goal: {slug} {labels[key]}: slowest statement "
                  f"{found['cold_sql']['slowest']:.2f} s of {found['cold_sql']['sql']:.2f} s SQL "
                  f"in {found['cold']:.2f} s: {found['cold_sql']['slowest_sql'][:300]}")
    print(f"fill {fill_seconds:.1f} s; rebuild {rebuild_seconds:.1f} s "
          f"({written / rebuild_seconds:,.0f} rows/s)")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    finish(workdir, args.keep)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
