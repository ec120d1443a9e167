"""The data set of bench_reports.py: who works the leads (`People`: teams,
qualifiers, sales reps, sources, campaigns) and each lead walked through the
lifecycle cycle by cycle (`Filler`), written with raw SQL executemany in
batches (`Writer`; table and column names from the models' _meta). Seeded.
`reports_fill.fill()` drives it.
"""

# ruff: noqa: S608 - the SQL is built from the models' _meta names, not from input
from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from common import Writer  # bench/ is the scripts' folder

DAY = 86_400
SPAN_DAYS = 730  # leads over the last 24 months

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
            hour = self.hours[pick(rng, self.hour_weights)]
            at = float((today - rng.randrange(SPAN_DAYS)) * DAY + hour * 3600
                       + rng.randrange(3600))
            found.append(at if at <= self.now else self.now - rng.randrange(3600))
        found.sort()
        return found

    def lead(self, lead_id: int, created: float, account: tuple[int, str, str] | None) -> None:
        rng, p = self.rng, self.p
        country = account[2] if account and account[2] else \
            self.countries[pick(rng, self.country_weights)]
        team = self.team_of_country[country]
        owner = rng.choice(self.members[team])
        source_index = p.source_values[pick(rng, p.source_weights)]
        source = p.sources[source_index]
        campaign = source[1][pick(rng, source[2])]
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
            source = p.sources[p.source_values[pick(rng, p.source_weights)]]
            campaign = source[1][pick(rng, source[2])]
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
                    code = self.rejects[pick(rng, self.reject_weights)]
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
            channel = self.channels[pick(rng, self.channel_weights)]
            if channel == "call":
                disposition = self.failed_calls[pick(rng, self.failed_call_weights)]
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



def pick(rng: random.Random, cumulative_weights: list[float]) -> int:
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
