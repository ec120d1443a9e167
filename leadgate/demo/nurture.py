"""Demo nurture: the cadences marketing built, and the nurture history of
every lead the seed walked through nurture.

`seed_nurture()` runs after the leads are written. It makes three cadences
the way the nurture pages do (`cadences.create_cadence` and `save_steps`, as
the marketing user, so their templates are checked), then replays, for each
time a lead was in nurture, what the engine would have done since: enrolled
seconds after it entered, each step taken when `timing.due_after` says (the
engine's own calendar: business days and send windows in the lead's time
zone), rests between cycles, the next track, the quarterly touch. Rows are
built in memory and written in bulk, a chunk of leads per transaction, like
the seed: going through `engine.enroll` and `run_due` a lead at a time would
cost minutes at a million leads.

What it leaves: past email steps as outbox rows already `sent` (never queued:
the demo emails nobody), their opens and clicks by people (with the marketing
activities engagement scoring counts) and by scanners (marked as bots); past
call and LinkedIn steps as tasks the owner did, with the touch they logged; a
lead still in nurture with a live enrollment (its next step due, or resting
until the next cycle); a lead that left nurture with its enrollment exited
for the reason it left (back as an MQL after a click, an unsubscribe, a
bounce, or moved out by hand); some came back after replying, the reply on
their timeline. The cadences' words are in nurture_words.py.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from jinja2 import Template

from leadgate.intake.models import Activity
from leadgate.leads.lifecycle import Role, Stage
from leadgate.leads.models import Lead, StageChange, Task, Touch, User
from leadgate.lib.instances import Instances
from leadgate.mail.models import EmailEvent, OutboundEmail, Suppression
from leadgate.mail.tracking import HONEYPOT, links_of
from leadgate.nurture import cadences, engine, templating, timing
from leadgate.nurture.models import Cadence, CadenceVersion, Enrollment, Step, StepRun
from leadgate.routing.models import Assignment

from .nurture_words import CADENCES, FIRST
from .rows import insert_rows

Status, Trigger, Exit = Enrollment.Status, Enrollment.Trigger, Enrollment.Exit
# Parents first, so foreign keys hold inside each chunk's transaction.
MODELS = (Enrollment, OutboundEmail, Task, StepRun, EmailEvent, Activity, Touch, Suppression)
CHUNK = 10_000  # leads per transaction
_INSTANCES = Instances()


# Why each kind of lead entered nurture, from the stage it came from.
TRIGGERS: dict[str, str] = {Stage.WORKING: Trigger.LONG_TERM,
                             Stage.ACCEPTED: Trigger.LONG_TERM,
                             Stage.REJECTED: Trigger.SALES_REJECTED}
# People's mail clients, and the scanners that open every email on delivery.
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0 Safari/537.36 Edg/124.0", "Mozilla/5.0 (Macintosh; Intel Mac OS X "
          "10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)", "Mozilla/5.0 (Windows NT 5.1; "
          "rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
          "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)"]
SCANNER = "Mimecast-URL-Protect/1.0"
OPEN_RATE, CLICK_RATE, BOT_RATE = 0.34, 0.04, 0.18
MINUTE, HOUR, DAY = 60, 3600, 86400
# A due step is taken within about a second (engine.SWEEP_SECONDS).
SWEEP = timedelta(seconds=1)
CALL_NOTES = {"connected": "Checked in: still no project before next year; happy to hear "
                           "from us.", "voicemail_left": "", "no_answer": ""}
# What a re-engaged lead wrote back, when a reply (not a click) brought it back.
REPLIES = ["Timing is better now: can we talk next week?", "We have budget for this in Q3. "
           "Who should I speak to?", "Forwarding to our head of sales ops, please include her.",
           "Interesting numbers. Do you have a case study for a team of our size?"]


@dataclass
class Track:
    """A cadence's current version as the replay needs it: steps, and each
    variant's templates compiled once (the engine renders per email)."""

    cadence: Cadence
    version_id: int
    steps: list[Step]
    words: dict[tuple[int, str], tuple[Template, Template, Template, list[str]]] = field(
        default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)  # email step id -> A/B labels


def create_cadences(by: User | None, at: datetime) -> dict[str, Track]:
    """The demo's cadences, dated `at` (before any lead was nurtured), by
    name. One already there is kept (a database wiped of its leads keeps its
    cadences); a role another cadence holds is left to it."""
    made: dict[str, Cadence] = {}
    for name, description, role, following, steps in CADENCES:
        cadence = Cadence.objects.filter(name=name).first()
        if cadence is None:
            cadence = cadences.create_cadence(
                name, by=by, description=description,
                role="" if cadences.role_taken(role) else role,
                next_cadence=made.get(following or ""))
        cadences.save_steps(cadence, steps, by=by, note="first version")
        made[name] = cadence
    Cadence.objects.filter(pk__in=[c.pk for c in made.values()]).update(created_at=at)
    tracks = {}
    for name, cadence in made.items():
        version = cadence.current_version()
        assert version is not None
        CadenceVersion.objects.filter(pk=version.pk).update(created_at=at)
        track = Track(cadence, version.pk, version.ordered_steps())
        for step in track.steps:
            if step.kind in Step.EMAILS:
                track.labels[str(step.pk)] = [variant.label for variant in step.variants.all()]
            for variant in step.variants.all():
                # Compiled once (templating.render parses per call); checked by save_steps.
                track.words[(step.pk, variant.label)] = (
                    templating.environment(False).from_string(variant.subject),
                    templating.environment(False).from_string(variant.text_body),
                    templating.environment(True).from_string(variant.html_body),
                    links_of(variant.html_body) if settings.LEADGATE_EMAIL_TRACKING else [])
        tracks[name] = track
    return tracks


@dataclass
class Episode:
    """A stay in nurture: entered at `start` in the lead's cycle `cycle`, left
    at `end` for `to` (None: still there) with the move's reason."""

    lead_id: int
    cycle: int
    start: datetime
    came_from: str
    end: datetime | None = None
    to: str = ""
    reason: str = ""


def _episodes(lo: int, hi: int) -> list[Episode]:
    """Every stay in nurture of the leads lo <= id < hi, from their stage changes."""
    moves = (StageChange.objects.filter(lead_id__gte=lo, lead_id__lt=hi)
             .filter(Q(to_stage=Stage.NURTURE) | Q(from_stage=Stage.NURTURE))
             .order_by("lead_id", "at", "pk")
             .values_list("lead_id", "cycle", "from_stage", "to_stage", "at", "reason"))
    found: list[Episode] = []
    open_: dict[int, Episode] = {}
    for lead_id, cycle, came_from, to, at, reason in moves:
        if to == Stage.NURTURE:
            open_[lead_id] = Episode(lead_id, cycle, at, came_from)
            found.append(open_[lead_id])
        elif lead_id in open_:
            episode = open_.pop(lead_id)
            episode.end, episode.to, episode.reason = at, to, reason
    return found


LEAD_FIELDS = ("id", "first_name", "last_name", "email", "email_invalid", "title",
               "company_name", "phone", "country", "time_zone", "owner_id", "team_id",
               "account_id", "team__time_zone", "account__name", "account__industry",
               "account__city", "account__country", "account__website", "account__employees",
               "owner__first_name", "owner__last_name", "owner__email")


def _person(row: dict[str, Any]) -> SimpleNamespace:
    """The lead as templating.context_for and timing.calendar_for read it."""
    account = SimpleNamespace(**{name: row[f"account__{name}"] for name in
                                 ("name", "industry", "city", "country", "website",
                                  "employees")}) if row["account_id"] else None
    owner = SimpleNamespace(first_name=row["owner__first_name"] or "",
                            last_name=row["owner__last_name"] or "",
                            email=row["owner__email"] or "") if row["owner_id"] else None
    team = SimpleNamespace(time_zone=row["team__time_zone"] or "")
    return SimpleNamespace(**{name: row[name] for name in LEAD_FIELDS if "__" not in name},
                           account=account, owner=owner, team=team)


class _Replay:
    """The rows of one chunk of leads, built in memory and written in one go."""

    def __init__(self, tracks: dict[str, Track], ids: dict, rng: random.Random, now: datetime):
        self.ids, self.rng, self.now = ids, rng, now
        self.tracks = {track.cadence.pk: track for track in tracks.values()}
        self.first = tracks[FIRST]
        self.rows: dict[type, list] = {model: [] for model in MODELS}
        self.calendars: dict[tuple, timing.Calendar] = {}
        self.following: dict[tuple[int, bool], tuple[Track, str]] = {}
        self.dues: dict[tuple[int, timing.Calendar, datetime], datetime] = {}
        self.rendered: dict[tuple[int, str], tuple[str, str, str]] = {}
        # Each lead's owners over time, when it changed hands (an SLA escalation).
        self.handovers: dict[int, list[tuple[datetime, int | None]]] = {}

    def owner_at(self, lead: SimpleNamespace, at: datetime) -> int | None:
        """Who owned the lead at `at`: the last assignment by then, else its owner."""
        owner = lead.owner_id
        for when, to in self.handovers.get(lead.id, ()):
            if when > at:
                break
            owner = to
        return owner

    def _add(self, model, **fields):
        pk = self.ids[model]
        self.ids[model] = pk + 1
        obj = _INSTANCES.new(model, id=pk, **fields)
        self.rows[model].append(obj)
        return obj

    def _later(self, at: datetime, low: float, high: float) -> datetime:
        return at + timedelta(seconds=self.rng.uniform(low, high))

    def _calendar(self, lead: SimpleNamespace) -> timing.Calendar:
        key = (lead.time_zone, lead.team.time_zone, lead.country,
               getattr(lead.account, "country", ""))
        if key not in self.calendars:
            self.calendars[key] = timing.calendar_for(lead)
        return self.calendars[key]

    def _due(self, step: Step, calendar: timing.Calendar, previous: datetime) -> datetime:
        """timing.due_after, remembered: a step taken at its window's opening
        (most are) starts the next from the same instant for many leads."""
        key = (step.pk, calendar, previous)
        if key not in self.dues:
            self.dues[key] = timing.due_after(step, calendar, previous)
        return self.dues[key]

    def _next_track(self, track: Track, number: int) -> tuple[Track, str]:
        """engine.next_cadence for the cycle after `number` (one query per
        cadence and stage of the cycles, not per lead)."""
        key = (track.cadence.pk, number < settings.LEADGATE_NURTURE_MAX_CYCLES)
        if key not in self.following:
            # next_cadence reads the enrollment's number and cadence only.
            stub = SimpleNamespace(number=number, version=SimpleNamespace(cadence=track.cadence))
            cadence, trigger = engine.next_cadence(stub)  # type: ignore[arg-type]
            self.following[key] = (self.tracks.get(cadence.pk, track), trigger)
        return self.following[key]

    def replay(self, episode: Episode, lead: SimpleNamespace, last_number: int, *,
               final: bool) -> int:
        """The enrollments of one stay in nurture, as the engine would have
        made them; the last nurture cycle number used. `final`: the lead's
        last stay (only then may it have unsubscribed or bounced: a later
        stay would email a suppressed address)."""
        calendar, context = self._calendar(lead), templating.context_for(lead)
        self.rendered.clear()  # the words of this lead's emails and tasks (cycles repeat them)
        end = min(episode.end or self.now, self.now)
        track, trigger = self.first, TRIGGERS.get(episode.came_from, Trigger.MANUAL)
        started, number = self._later(episode.start, 2, 30), last_number + 1
        sent: list[OutboundEmail] = []
        while True:
            enrollment = self._add(
                Enrollment, lead_id=lead.id, lead_cycle=episode.cycle, number=number,
                version_id=track.version_id, trigger=trigger, status=Status.ACTIVE, position=0,
                variants={pk: self.rng.choice(labels) for pk, labels in track.labels.items()},
                enrolled_by_id=None, started_at=started, last_step_at=None, ended_at=None,
                next_due_at=None, rest_until=None, exit_reason="", exit_detail="")
            previous = started
            for step in track.steps:
                due = self._due(step, calendar, previous)
                if due > end:
                    enrollment.next_due_at = due
                    break
                previous = due + SWEEP  # the sweep takes it
                self._step(enrollment, step, track, lead, context, previous, end, sent)
                enrollment.position += 1
                enrollment.last_step_at = previous
            else:
                days = (settings.LEADGATE_NURTURE_REST_DAYS
                        if number < settings.LEADGATE_NURTURE_MAX_CYCLES
                        else settings.LEADGATE_NURTURE_QUARTERLY_DAYS)
                enrollment.status = Status.RESTING
                enrollment.rest_until = previous + timedelta(days=days)
                if enrollment.rest_until <= end:  # the next cycle started
                    enrollment.status, enrollment.ended_at = Status.FINISHED, enrollment.rest_until
                    started, enrollment.rest_until = enrollment.rest_until + SWEEP, None
                    track, trigger = self._next_track(track, number)
                    number += 1
                    continue
            if episode.end is not None:
                self._exit(enrollment, episode, lead, sent, final=final)
            return number

    def _step(self, enrollment: Enrollment, step: Step, track: Track, lead: SimpleNamespace,
              context: dict, at: datetime, end: datetime, sent: list[OutboundEmail]) -> None:
        run = {"enrollment_id": enrollment.pk, "step_id": step.pk, "cycle": enrollment.number,
               "at": at, "detail": "", "email_id": None, "task_id": None, "variant": ""}
        if step.kind == Step.Kind.AUTO_EMAIL:
            if not lead.email or lead.email_invalid:
                self._add(StepRun, status=StepRun.Status.SKIPPED,
                          **{**run, "detail": "no valid email address"})
                return
            label = enrollment.variants[str(step.pk)]
            email = self._email(enrollment, step, track.words[(step.pk, label)], lead, context,
                                at)
            sent.append(email)
            self._add(StepRun, status=StepRun.Status.DONE,
                      **{**run, "email_id": email.pk, "variant": label})
        elif step.makes_task:
            task = self._task(enrollment, step, track, lead, context, at, end)
            self._add(StepRun, status=StepRun.Status.DONE, **{**run, "task_id": task.pk})
        else:
            self._add(StepRun, status=StepRun.Status.DONE, **run)

    def _email(self, enrollment: Enrollment, step: Step, words: tuple, lead: SimpleNamespace,
               context: dict, at: datetime) -> OutboundEmail:
        """A past nurture email: in the outbox as sent (never to be sent again)."""
        subject, text, html, links = words
        key = (step.pk, enrollment.variants[str(step.pk)])
        if key not in self.rendered:
            self.rendered[key] = (" ".join(subject.render(**context).split())[:255],
                                  text.render(**context), html.render(**context))
        subject_line, body, html_body = self.rendered[key]
        sent_at = min(self._later(at, 2, 15), self.now)
        pk = self.ids[OutboundEmail]
        email = self._add(
            OutboundEmail, key=f"nurture:{enrollment.pk}:{step.pk}:{enrollment.number}",
            kind=OutboundEmail.Kind.NURTURE, lead_id=lead.id, from_email="", to=[lead.email],
            subject=subject_line, body=body, html_body=html_body, attachments=[],
            headers={}, message_id=f"<nurture.{pk}.{self.rng.getrandbits(48):012x}@"
                                   "leadgate.example>",
            status=OutboundEmail.Status.SENT, attempts=1, next_attempt_at=None,
            claimed_until=None, last_error="", links=list(links), transmitting_at=sent_at,
            created_at=at, sent_at=sent_at)
        if links:
            self._engage(email, lead.id)
        return email

    def _event(self, email: OutboundEmail, kind: str, at: datetime, *, url: str = "",
               agent: str = "", bot: str = "", detail: str = "") -> None:
        event = self._add(EmailEvent, email_id=email.pk, kind=kind, at=at, url=url,
                          user_agent=agent, bot=bot, detail=detail)
        if not bot and kind in (EmailEvent.Kind.OPENED, EmailEvent.Kind.CLICKED):
            # The activity the nurture reaction records for a person's open or click.
            self._add(Activity, lead_id=email.lead_id, at=at, campaign_id=None, sender="mail",
                      kind=(Activity.Kind.EMAIL_OPEN if kind == EmailEvent.Kind.OPENED
                            else Activity.Kind.EMAIL_CLICK),
                      detail=(url or email.subject)[:500], external_id=f"demo:{event.pk}",
                      received_at=at)

    def _engage(self, email: OutboundEmail, lead_id: int) -> None:
        """Opens and clicks: some by the person, hours or days later; some by a
        mail scanner on delivery, which tracking marks as a bot's."""
        rng, sent_at = self.rng, email.sent_at
        assert sent_at is not None
        urls = [url for url in email.links if url != HONEYPOT]
        if rng.random() < BOT_RATE:
            seconds = settings.LEADGATE_EMAIL_BOT_SECONDS
            self._event(email, EmailEvent.Kind.OPENED, self._later(sent_at, 0.5, 3),
                        agent=rng.choice(AGENTS), bot=f"within {seconds} s of sending")
            if urls and rng.random() < 0.5:
                self._event(email, EmailEvent.Kind.CLICKED, self._later(sent_at, 60, 600),
                            url=rng.choice(urls), agent=SCANNER,
                            bot="scanner user agent (mimecast)")
        if rng.random() >= OPEN_RATE:
            return
        opened = sent_at + timedelta(seconds=rng.expovariate(1 / (9 * HOUR)) + 5 * MINUTE)
        if opened > self.now:
            return
        agent = rng.choice(AGENTS)
        self._event(email, EmailEvent.Kind.OPENED, opened, agent=agent)
        clicked = self._later(opened, 20, 5 * MINUTE)
        if urls and rng.random() < CLICK_RATE / OPEN_RATE and clicked <= self.now:
            self._event(email, EmailEvent.Kind.CLICKED, clicked, url=urls[0], agent=agent)

    def _task(self, enrollment: Enrollment, step: Step, track: Track, lead: SimpleNamespace,
              context: dict, at: datetime, end: datetime) -> Task:
        """The owner's task for a call or LinkedIn step, done since (with the
        touch they logged), or closed when the lead left nurture first."""
        if (step.pk, "A") not in self.rendered:
            self.rendered[(step.pk, "A")] = (track.words[(step.pk, "A")][0].render(**context),
                                             "", "")
        title = self.rendered[(step.pk, "A")][0]
        done = self._later(at, 20 * MINUTE, 2 * DAY)
        if done > end:
            done = end  # done before now: the desk shows open tasks of leads on it only
        owner = self.owner_at(lead, at)
        task = self._add(Task, lead_id=lead.id, assignee_id=owner,
                         kind=Task.Kind.NURTURE, title=f"Nurture: {title}"[:200], due_at=at,
                         done_at=done, created_by_id=None, created_at=at)
        if done < end and owner:
            social = step.kind == Step.Kind.SOCIAL
            outcome = "sent" if social else self.rng.choice(list(CALL_NOTES))
            self._add(Touch, lead_id=lead.id, cycle=enrollment.lead_cycle,
                      channel=Touch.Channel.SOCIAL if social else Touch.Channel.CALL,
                      direction=Touch.Direction.OUTBOUND, disposition=outcome,
                      duration_seconds=(self.rng.randint(180, 600) if outcome == "connected"
                                        else 0 if social else self.rng.randint(15, 40)),
                      notes=CALL_NOTES.get(outcome, ""), actor_id=owner, at=done)
        return task

    def _exit(self, enrollment: Enrollment, episode: Episode, lead: SimpleNamespace,
              sent: list[OutboundEmail], *, final: bool) -> None:
        """The enrollment live when the lead left nurture exits with the reason."""
        assert episode.end is not None
        last = next((email for email in reversed(sent)
                     if email.sent_at and email.sent_at < episode.end - timedelta(hours=1)),
                    None)
        reason, detail = Exit.LEFT_NURTURE, f"moved to {episode.to}"
        signal = episode.end - timedelta(seconds=self.rng.uniform(5 * MINUTE, HOUR))
        words = episode.reason.lower()
        if episode.to == Stage.MQL:
            reason, detail = Exit.MQL, "engagement score crossed the MQL rule"
            if last is not None and self.rng.random() < 0.3:
                # A reply (on the timeline as the lead's email) tipped the score.
                text = self.rng.choice(REPLIES)
                self._event(last, EmailEvent.Kind.REPLIED, signal, detail=text)
                self._add(Touch, lead_id=lead.id, cycle=enrollment.lead_cycle,
                          channel=Touch.Channel.EMAIL, direction=Touch.Direction.INBOUND,
                          disposition=Touch.Disposition.REPLIED, notes=text, at=signal)
                self._add(Activity, lead_id=lead.id, at=signal, campaign_id=None, sender="mail",
                          kind=Activity.Kind.EMAIL_REPLY, detail=text,
                          external_id=f"demo:reply:{last.pk}", received_at=signal)
            elif last is not None and last.links:
                # What brought it back: a click, not an open alone.
                self._event(last, EmailEvent.Kind.CLICKED, signal, url=last.links[0],
                            agent=self.rng.choice(AGENTS))
        elif final and last is not None and ("unsubscribed" in words or "bounced" in words):
            kind, reason, why = ((EmailEvent.Kind.UNSUBSCRIBED, Exit.UNSUBSCRIBED,
                                  Suppression.Reason.UNSUBSCRIBED) if "unsubscribed" in words
                                 else (EmailEvent.Kind.BOUNCED, Exit.BOUNCED,
                                       Suppression.Reason.HARD_BOUNCE))
            self._event(last, kind, signal, detail="550 5.1.1 mailbox unavailable"
                        if kind == EmailEvent.Kind.BOUNCED else "")
            detail = f"{lead.email}: {Exit(reason).label.lower()}"
            self._add(Suppression, address=lead.email.lower(), reason=why, lead_id=lead.id,
                      email_id=last.pk, by_id=None, note="", created_at=signal)
        enrollment.status, enrollment.ended_at = Status.EXITED, episode.end
        enrollment.exit_reason, enrollment.exit_detail = reason, detail[:300]
        enrollment.next_due_at = enrollment.rest_until = None

    def write(self) -> None:
        # One address is suppressed once, whichever of its leads it came from.
        self.rows[Suppression] = list({row.address: row for row in
                                       reversed(self.rows[Suppression])}.values())
        for model in MODELS:
            if model is Suppression:  # a few rows; an address may be there already
                model.objects.bulk_create(self.rows[model], ignore_conflicts=True)
            else:
                insert_rows(model, self.rows[model])


def _enrollments_in_keys() -> int:
    """The highest enrollment id in the keys of nurture emails: a database
    wiped of its leads keeps their emails (the lead is set null), and a new
    enrollment with an old id would queue an email under a key taken."""
    keys = (OutboundEmail.objects.filter(kind=OutboundEmail.Kind.NURTURE,
                                         key__startswith="nurture:")
            .values_list("key", flat=True))
    return max((int(key.split(":")[1]) for key in keys.iterator()
                if key.split(":")[1].isdigit()), default=0)


def seed_nurture(now: datetime, seed: int, *, since: datetime) -> dict[str, int]:
    """The demo's cadences (dated `since`) and the nurture history of every
    lead that was in nurture, up to `now`. Counts of the rows made, by model."""
    marketer = User.objects.filter(groups__name=Role.MARKETING).order_by("pk").first()
    tracks = create_cadences(marketer, since)
    ids = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in MODELS}
    ids[Enrollment] = max(ids[Enrollment], _enrollments_in_keys() + 1)
    first_ids = dict(ids)
    bounds = Lead.objects.aggregate(lo=Min("id"), hi=Max("id"))
    for lo in range(bounds["lo"] or 1, (bounds["hi"] or 0) + 1, CHUNK):
        episodes = _episodes(lo, lo + CHUNK)
        if not episodes:
            continue
        # A lead's nurture cycles go on counting across its stays in one buying cycle.
        last_numbers: dict[tuple[int, int], int] = defaultdict(int)
        leads = {row["id"]: _person(row) for row in Lead.objects.filter(
            pk__gte=lo, pk__lt=lo + CHUNK, pk__in={episode.lead_id for episode in episodes})
            .values(*LEAD_FIELDS)}
        replay = _Replay(tracks, ids, random.Random(f"{seed}:nurture:{lo}"), now)
        for lead_id, at, to in (Assignment.objects.filter(lead_id__gte=lo, lead_id__lt=lo + CHUNK)
                                .order_by("lead_id", "at", "pk")
                                .values_list("lead_id", "at", "to_user_id")):
            replay.handovers.setdefault(lead_id, []).append((at, to))
        finals = {episode.lead_id: episode for episode in episodes}  # each lead's last
        for episode in episodes:
            key = (episode.lead_id, episode.cycle)
            last_numbers[key] = replay.replay(episode, leads[episode.lead_id],
                                              last_numbers[key],
                                              final=finals[episode.lead_id] is episode)
        with transaction.atomic():
            replay.write()
    # Keys were assigned here, so PostgreSQL's sequences must catch up.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(MODELS)):
            cursor.execute(sql)
    return {model.__name__: ids[model] - first_ids[model] for model in MODELS}
