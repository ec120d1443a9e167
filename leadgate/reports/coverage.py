"""Follow-up coverage: was every lead worked, and worked long enough?

Two kinds of figures, and the notes say which is which:
- of the leads that came in during the period (cohorts, with the segment
  filters): touched at all, attempts per lead, closed as unresponsive (and
  with fewer attempts than the attempt policy asks);
- as things stand now (the segment filters, not the period): open leads
  nobody touched, by age; leads in nurture and whether each has a next step;
  leads sales accepted and then did nothing with.

"Closed as unresponsive" is the move to nurture that the unresponsive verdict
writes (workspace.touches: Qualification.Verdict.UNRESPONSIVE, then
`advance(lead, nurture, reason="unresponsive after N attempts")`, the reason
nurture's reaction reads as its trigger), or any move to nurture whose reason
starts so (a manager's move by hand skips the attempt check: that is the one
to catch). Its attempts are the outbound touches of the cycle up to the move,
as the attempt policy counts them (workspace/attempts.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Lead, StageChange, Task, Touch, User
from leadgate.nurture.models import Enrollment
from leadgate.workspace import attempts as attempt_policy

from .filters import Filters
from .models import CycleFact
from .registry import Chart, Column, Report, Result, Table, register

DAY = timedelta(days=1)
ATTEMPT_BUCKETS = ["0", "1", "2", "3", "4", "5", "6+"]
# Untouched open leads by how long ago their cycle began.
AGES = [("Under 1 day", 1), ("1–7 days", 7), ("7–30 days", 30), ("30 days or more", None)]
# Accepted by sales and nothing since for this long: "never acted on".
IDLE_DAYS = 14
LISTED = 50
ACCEPTED = FUNNEL.index(Stage.ACCEPTED)
ON_DESK_MOST = FUNNEL.index(Stage.WORKING)
UNRESPONSIVE = "unresponsive"


def person_name(user: User | None) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.username


def lead_name(first: str, last: str, email: str, pk: int) -> str:
    """As Lead.__str__: the name, else the email, else the number."""
    return " ".join(part for part in (first, last) if part) or email or f"Lead {pk}"


def day_text(at: datetime) -> str:
    """"Mar 5, 2026" in the viewer's time zone."""
    local = timezone.localtime(at)
    return f"{local:%b} {local.day}, {local.year}"


def share(k: int, n: int) -> float | None:
    return k / n if n else None


def unresponsive_closures(facts: QuerySet[CycleFact], since: datetime) -> QuerySet[Any]:
    """Moves to nurture as unresponsive in the cycles of `facts` (which began
    on or after `since`: no move of theirs is older), with `tries`: the
    cycle's outbound touches up to the move."""
    tries = (Touch.objects.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"),
                                  direction=Touch.Direction.OUTBOUND, at__lte=OuterRef("at"))
             .order_by().values("lead_id").annotate(n=Count("pk")).values("n"))
    in_scope = facts.filter(lead_id=OuterRef("lead_id"), cycle=OuterRef("cycle"))
    return (StageChange.objects.filter(to_stage=Stage.NURTURE, at__gte=since,
                                       reason__istartswith=UNRESPONSIVE)
            .filter(Exists(in_scope))
            .annotate(tries=Coalesce(Subquery(tries, output_field=IntegerField()), 0)))


@register
class FollowUpCoverage(Report):
    slug = "coverage"
    title = "Follow-up coverage"
    summary = ("Whether every lead was worked: touched at all, how many attempts, closed as "
               "unresponsive too soon, left untouched, nurtured without a next step, "
               "accepted by sales and then left.")

    def compute(self, filters: Filters, user: User) -> Result:
        now = timezone.now()
        facts = filters.apply(CycleFact.objects.all())
        current = CycleFact.objects.filter(filters.segment())
        result = Result()
        attempts, touched, leads = self._attempts(facts)
        least = attempt_policy.min_attempts()
        closures = unresponsive_closures(facts, filters.since)
        closed = closures.aggregate(n=Count("pk"), short=Count("pk", filter=Q(tries__lt=least)))
        listing = self._unresponsive(closures, least, closed["short"])
        untouched, untouched_now, open_now = self._untouched(current, now)
        nurture, in_nurture, stepped = self._nurture(current)
        accepted, idle, still_accepted = self._accepted(current, now)
        result.tables = [
            self._summary(leads, touched, closed["n"], closed["short"], least, untouched_now,
                          open_now, in_nurture, stepped, idle, still_accepted),
            attempts, listing, untouched, nurture, accepted]
        result.notes.append(
            "Touches, attempts and unresponsive closures: leads that came in during the period "
            "(cohorts). Untouched leads, nurture and sales: as things stand now, for the "
            "segment chosen (the period is not applied).")
        if closed["short"]:
            many = closed["short"] != 1
            result.notes.append(
                f"{closed['short']:,} {'leads were' if many else 'lead was'} closed as "
                f"unresponsive with fewer than {least} attempts: the attempt policy asks for "
                f"{least}. They are listed below.")
        result.charts = self._charts(attempts, untouched)
        return result

    def _summary(self, leads: int, touched: int, closed: int, short: int, least: int,
                 untouched: int, open_now: int, in_nurture: int, stepped: int, idle: int,
                 accepted: int) -> Table:
        table = Table("summary", "Coverage at a glance", [
            Column("figure", "", "text"), Column("leads", "Leads"),
            Column("share", "Share", "percent"), Column("of", "Share of", "text")],
            note="Leads are counted per cycle: a returning lead's new cycle is a lead again.")
        table.rows = [
            {"figure": "Came in during the period", "leads": leads, "share": None, "of": ""},
            {"figure": "Touched at all", "leads": touched, "share": share(touched, leads),
             "of": "leads that came in"},
            {"figure": "Never touched", "leads": leads - touched,
             "share": share(leads - touched, leads), "of": "leads that came in"},
            {"figure": "Closed as unresponsive", "leads": closed, "share": share(closed, leads),
             "of": "leads that came in"},
            {"figure": f"… with fewer than {least} attempts (should be none)", "leads": short,
             "share": share(short, closed), "of": "closed as unresponsive"},
            {"figure": "Open and never touched, now", "leads": untouched,
             "share": share(untouched, open_now), "of": "open leads now"},
            {"figure": "In nurture now", "leads": in_nurture, "share": None, "of": ""},
            {"figure": "… with no next step (should be none)", "leads": in_nurture - stepped,
             "share": share(in_nurture - stepped, in_nurture), "of": "leads in nurture"},
            {"figure": f"Accepted by sales, nothing done for {IDLE_DAYS}+ days", "leads": idle,
             "share": share(idle, accepted), "of": "accepted, no outcome yet"},
        ]
        return table

    def _attempts(self, facts: QuerySet[CycleFact]) -> tuple[Table, int, int]:
        # One row of counts (leads, still open, touched per bucket), not a
        # grouped query: SQLite would sort the period's rows for 14 groups.
        buckets = [Q(attempts=i) for i in range(len(ATTEMPT_BUCKETS) - 1)]
        buckets.append(Q(attempts__gte=len(ATTEMPT_BUCKETS) - 1))
        kinds = [Q(), Q(is_open=True), Q(touches__gt=0)]
        found = facts.aggregate(**{f"n{i}_{j}": Count("pk", filter=bucket & kind)
                                   for i, bucket in enumerate(buckets)
                                   for j, kind in enumerate(kinds)})
        counts = [[found[f"n{i}_{j}"] for j in range(len(kinds))]  # leads, open, touched
                  for i in range(len(buckets))]
        leads = sum(c[0] for c in counts)
        touched = sum(c[2] for c in counts)
        table = Table("attempts", "Attempts per lead", [
            Column("attempts", "Attempts", "text"), Column("leads", "Leads"),
            Column("share", "Share", "percent"), Column("open", "Still open"),
            Column("closed", "Closed or moved on")],
            note="Attempts: the outbound touches of the cycle (calls, emails, messages), as "
                 "the attempt policy counts them. Touched at all also counts the lead's own "
                 "calls and replies logged as inbound touches. An automatic acknowledgement "
                 "email (when switched on) is a touch and an attempt here too.")
        for label, (n, still_open, _touched) in zip(ATTEMPT_BUCKETS, counts, strict=True):
            table.rows.append({"attempts": label, "leads": n, "share": share(n, leads),
                               "open": still_open, "closed": n - still_open})
        table.total = {"attempts": "All", "leads": leads, "share": 1.0 if leads else None,
                       "open": sum(c[1] for c in counts),
                       "closed": leads - sum(c[1] for c in counts)}
        return table, touched, leads

    def _unresponsive(self, closures: QuerySet[Any], least: int, short: int) -> Table:
        table = Table("unresponsive",
                      f"Closed as unresponsive with fewer than {least} attempts: {short}", [
                          Column("lead", "Lead", "text"), Column("page", "Lead page", "text"),
                          Column("closed", "Closed on", "text"),
                          Column("by", "Closed by", "text"), Column("tries", "Attempts"),
                          Column("reason", "Reason given", "text")],
                      note=f"The attempt policy asks for {least} attempts over "
                           f"{attempt_policy.min_channels()} channels and about "
                           f"{attempt_policy.min_days():g} days before a lead is closed as "
                           "unresponsive. A closure is the move to nurture as unresponsive "
                           "(the verdict's, or a move by hand with such a reason); attempts "
                           "are those of the cycle up to it. "
                           + (f"The {LISTED} latest of {short}." if short > LISTED else ""))
        # The aggregate has counted them: none, nothing to list. Else every
        # closure, the short ones picked here: with `tries` filtered or sorted
        # on in SQL (or the leads' names joined in), PostgreSQL estimates the
        # correlated count once per candidate move, thinks the query costly
        # and compiles it (JIT, over a second), where it runs in milliseconds.
        found = closures.order_by().values_list("pk", "lead_id", "at", "by_id", "tries",
                                                "reason") if short else []
        rows = [row[1:] for row in sorted((row for row in found if row[4] < least),
                                          key=lambda row: (row[2], row[0]),
                                          reverse=True)[:LISTED]]
        names = {pk: (first, last, email) for pk, first, last, email in
                 Lead.objects.filter(pk__in={row[0] for row in rows})
                 .values_list("pk", "first_name", "last_name", "email")} if rows else {}
        people = {user.pk: user for user in
                  User.objects.filter(pk__in={row[2] for row in rows if row[2]})}
        for lead_id, at, by_id, tries, reason in rows:
            first, last, email = names.get(lead_id, ("", "", ""))
            table.rows.append({"lead": lead_name(first, last, email, lead_id),
                               "page": f"/leads/{lead_id}/", "closed": day_text(at),
                               "by": person_name(people.get(by_id)), "tries": tries,
                               "reason": reason})
        return table

    def _untouched(self, current: QuerySet[CycleFact], now: datetime
                   ) -> tuple[Table, int, int]:
        # The age bands, newest first: each from its start to the next's.
        starts = [now - days * DAY for _label, days in AGES if days is not None]
        ages = [Q(entered_at__gte=start) if i == 0 else
                Q(entered_at__gte=start, entered_at__lt=starts[i - 1])
                for i, start in enumerate(starts)] + [Q(entered_at__lt=starts[-1])]
        desk = Q(exit="", furthest__lte=ON_DESK_MOST) | Q(exit=Stage.REJECTED)
        places = [desk, Q(exit=Stage.NURTURE), ~desk & ~Q(exit=Stage.NURTURE)]
        # Every open lead in one pass, counted into one row (how many are
        # open; the untouched ones per age and place): grouped instead,
        # SQLite sorts every open row to form a dozen groups.
        found = current.filter(is_open=True).aggregate(
            open_now=Count("pk"),
            **{f"n{i}_{j}": Count("pk", filter=Q(touches=0) & age & place)
               for i, age in enumerate(ages) for j, place in enumerate(places)})
        open_now = found["open_now"]
        counts = [[found[f"n{i}_{j}"] for j in range(len(places))] for i in range(len(AGES))]
        table = Table("untouched", "Open leads nobody has touched, by age", [
            Column("age", "Came in", "text"), Column("leads", "Untouched"),
            Column("desk", "On a qualifier's desk"), Column("nurture", "In nurture"),
            Column("sales", "With sales")],
            note="As of now, for the segment chosen (not the period): open leads whose "
                 "current cycle has no touch at all, by the time since the cycle began.")
        for (label, _days), (desk_n, nurture_n, sales_n) in zip(AGES, counts, strict=True):
            table.rows.append({"age": label, "leads": desk_n + nurture_n + sales_n,
                               "desk": desk_n, "nurture": nurture_n, "sales": sales_n})
        total = [sum(c[i] for c in counts) for i in range(3)]
        table.total = {"age": "All", "leads": sum(total), "desk": total[0],
                       "nurture": total[1], "sales": total[2]}
        return table, sum(total), open_now

    def _nurture(self, current: QuerySet[CycleFact]) -> tuple[Table, int, int]:
        status = Enrollment.Status
        active = Enrollment.objects.filter(lead_id=OuterRef("lead_id"), status=status.ACTIVE,
                                           next_due_at__isnull=False)
        resting = Enrollment.objects.filter(lead_id=OuterRef("lead_id"), status=status.RESTING,
                                            rest_until__isnull=False)
        task = Task.objects.filter(lead_id=OuterRef("lead_id"), done_at__isnull=True)
        counts = {"active": 0, "resting": 0, "task": 0, "none": 0}
        for has_active, has_rest, has_task, n in (
                current.filter(is_open=True, exit=Stage.NURTURE)
                .annotate(a=Exists(active), r=Exists(resting), t=Exists(task))
                .values("a", "r", "t").annotate(n=Count("pk")).order_by()
                .values_list("a", "r", "t", "n")):
            kind = ("active" if has_active else "resting" if has_rest else
                    "task" if has_task else "none")
            counts[kind] += n
        total = sum(counts.values())
        table = Table("nurture", "Leads in nurture now: their next step", [
            Column("step", "Next step", "text"), Column("leads", "Leads"),
            Column("share", "Share", "percent")],
            note="As of now, for the segment chosen. A next step: an active cadence with its "
                 "next step due, a cadence resting until its next cycle (nurture's own check "
                 "counts both as covered), or an open task. Each lead is counted once, in the "
                 "first row that fits.")
        for key, label in (("active", "Cadence running, next step due"),
                           ("resting", "Cadence resting, next cycle scheduled"),
                           ("task", "No cadence, an open task"),
                           ("none", "Nothing scheduled")):
            table.rows.append({"step": label, "leads": counts[key],
                               "share": share(counts[key], total)})
        table.total = {"step": "In nurture", "leads": total, "share": 1.0 if total else None}
        return table, total, total - counts["none"]

    def _accepted(self, current: QuerySet[CycleFact], now: datetime) -> tuple[Table, int, int]:
        since = now - IDLE_DAYS * DAY
        waiting = current.filter(is_open=True, accepted_at__isnull=False, furthest=ACCEPTED,
                                 exit="")
        idle = Q(accepted_at__lt=since) & (Q(last_touch_at__isnull=True) |
                                           Q(last_touch_at__lte=F("accepted_at")))
        rows = list(waiting.values("sales_rep_id")
                    .annotate(n=Count("pk"),
                              idle=Sum(Case(When(idle, then=Value(1)), default=Value(0),
                                            output_field=IntegerField())),
                              oldest=Min("accepted_at", filter=idle))
                    .order_by().values_list("sales_rep_id", "n", "idle", "oldest"))
        people = {user.pk: person_name(user) for user in
                  User.objects.filter(pk__in={row[0] for row in rows if row[0]})}
        table = Table("accepted", f"Accepted by sales, nothing done for {IDLE_DAYS}+ days", [
            Column("rep", "Sales rep", "text"), Column("waiting", "Accepted, no outcome yet"),
            Column("idle", f"Nothing for {IDLE_DAYS}+ days"),
            Column("share", "Share", "percent"),
            Column("longest", "Longest wait", "days")],
            note=f"As of now, for the segment chosen. Accepted and still there: no opportunity, "
                 f"won or lost recorded and no move since. Nothing done: accepted more than "
                 f"{IDLE_DAYS} days ago with no touch logged on the lead since the acceptance. "
                 "Longest wait: days since the oldest such acceptance.")
        for rep, n, idle_n, oldest in sorted(
                rows, key=lambda row: (-(row[2] or 0), people.get(row[0], "~").lower())):
            table.rows.append({
                "rep": people.get(rep, "No sales rep") if rep else "No sales rep",
                "waiting": n, "idle": idle_n or 0, "share": share(idle_n or 0, n),
                "longest": None if oldest is None else (now - oldest).total_seconds() / 86400})
        waiting_n = sum(row[1] for row in rows)
        idle_total = sum(row[2] or 0 for row in rows)
        oldest_all = min((row[3] for row in rows if row[3] is not None), default=None)
        table.total = {"rep": "All", "waiting": waiting_n, "idle": idle_total,
                       "share": share(idle_total, waiting_n),
                       "longest": None if oldest_all is None
                       else (now - oldest_all).total_seconds() / 86400}
        return table, idle_total, waiting_n

    def _charts(self, attempts: Table, untouched: Table) -> list[Chart]:
        return [
            Chart("attempts-chart", {
                "type": "stacked", "format": "count", "title": "Attempts per lead",
                "labels": [row["attempts"] for row in attempts.rows],
                "datasets": [{"label": "Still open", "data": [r["open"] for r in attempts.rows]},
                             {"label": "Closed or moved on",
                              "data": [r["closed"] for r in attempts.rows]}]}),
            Chart("untouched-chart", {
                "type": "stacked", "format": "count",
                "title": "Open leads nobody has touched, by age",
                "labels": [row["age"] for row in untouched.rows],
                "datasets": [{"label": "On a qualifier's desk",
                              "data": [r["desk"] for r in untouched.rows]},
                             {"label": "In nurture", "data": [r["nurture"] for r in
                                                              untouched.rows]},
                             {"label": "With sales", "data": [r["sales"] for r in
                                                              untouched.rows]}]}),
        ]
