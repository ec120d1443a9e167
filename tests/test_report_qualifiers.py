"""Qualifier (SDR) performance, checked against a plain recomputation from the
record tables (Touch, Qualification, Handoff, StageChange, Outcome, SlaClock)
of a known history: two qualifiers of one team (alice, bob) and one of
another (charlie), with calls, voicemails, emails, social, meetings and SMS,
every verdict, handoffs accepted and rejected with reasons, wins, response
clocks met and breached, and some work before the period."""

import csv
import io
import math
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from leadgate.handoff.flow import accept, reject, send
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.models import Inquiry, Source
from leadgate.intake.pipeline import receive
from leadgate.leads import events
from leadgate.leads.models import Handoff, Lead, StageChange, Touch
from leadgate.reports.models import Target
from leadgate.reports.tasks import fill_missing_facts
from leadgate.routing.models import Assignment, SlaClock, SlaPolicy
from leadgate.routing.sla import start_clock
from leadgate.workspace.models import Qualification
from leadgate.workspace.touches import log_touch
from tests.factories import MET_BANT, make_lead, make_source, make_user

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
PERIOD = "period=custom&start=2026-01-01&end=2026-12-31"
CHANNELS = ["call", "voicemail", "email", "social", "meeting", "sms"]
# The dispositions in which the lead was reached, written out here on purpose.
REACHED = {"connected", "call_back", "not_interested", "meeting_booked", "replied"}
REASON_LABELS = {"no_budget": "No budget", "bad_timing": "Bad timing", "not_a_fit": "Not a fit"}
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
NAMES = {"alice": "Alice Archer", "bob": "bob", "charlie": "Charlie Chen"}


def touch(lead, user, at, channel, disposition, seconds=0, direction="outbound", **verdict):
    with time_machine.travel(at, tick=False):
        more = verdict or {"next_step": ("Try again", at + DAY)}
        log_touch(lead, user, channel=channel, disposition=disposition, direction=direction,
                  duration_seconds=seconds, at=at, **more)
    lead.refresh_from_db()


def ready(lead, user, at, channel="call", disposition="connected", seconds=0,
          direction="outbound"):
    """The sales-ready verdict on a touch, then the handoff to sam an hour later."""
    touch(lead, user, at, channel, disposition, seconds, direction, verdict="sales_ready",
          answers=MET_BANT)
    with time_machine.travel(at + HOUR, tick=False):
        return send(lead, by=user, to_user=ready.rep, dossier=None)


def decide(handoff, at, reason=""):
    with time_machine.travel(at, tick=False):
        if reason:
            reject(handoff, by=ready.rep, reason=reason)
        else:
            accept(handoff, by=ready.rep)


def story(kind, lead, q, t, amount=Decimal(0), reason="no_budget"):
    """One lead's path from its first touch; `t` is when its clock started."""
    if kind == "won":
        touch(lead, q, t + 10 * timedelta(minutes=1), "call", "no_answer")  # met
        touch(lead, q, t + DAY, "call", "connected", 200)  # a conversation
        handoff = ready(lead, q, t + 2 * DAY, "meeting", "connected", 1800)
        decide(handoff, t + 3 * DAY)
        with time_machine.travel(t + 20 * DAY, tick=False):
            record_outcome(lead, kind="won", by=ready.rep, amount=amount)
    elif kind == "rejected":
        touch(lead, q, t + 2 * HOUR, "email", "sent")  # breached
        touch(lead, q, t + DAY, "email", "replied", direction="inbound")
        decide(ready(lead, q, t + 2 * DAY, "call", "connected", 30), t + 3 * DAY, reason)
    elif kind == "booked":
        touch(lead, q, t + 5 * timedelta(minutes=1), "voicemail", "voicemail_left")
        touch(lead, q, t + DAY, "social", "sent")
        touch(lead, q, t + 2 * DAY, "call", "meeting_booked", 120)
        decide(ready(lead, q, t + 3 * DAY, "sms", "replied", direction="inbound"), t + 4 * DAY)
    elif kind == "not_fit":
        touch(lead, q, t + 30 * timedelta(minutes=1), "sms", "sent")
        touch(lead, q, t + DAY, "call", "not_interested", 90, verdict="not_a_fit",
              reason="no need")
    elif kind == "long_term":
        touch(lead, q, t + 3 * HOUR, "call", "call_back", 45)  # breached
        touch(lead, q, t + 2 * DAY, "call", "connected", 75, verdict="long_term",
              recontact_on=(t + 90 * DAY).date())
    elif kind == "unresponsive":
        for day, channel, disposition in ((0, "call", "no_answer"), (3, "email", "sent"),
                                          (6, "call", "busy"), (9, "call", "gatekeeper"),
                                          (12, "social", "sent")):
            touch(lead, q, t + 20 * timedelta(minutes=1) + day * DAY, channel, disposition)
        touch(lead, q, t + 13 * DAY, "call", "no_answer", verdict="unresponsive")
    elif kind == "pending":
        ready(lead, q, t + 40 * timedelta(minutes=1), "call", "connected", 100)


@pytest.fixture
def history(alice, bob, charlie, sam):
    """Each qualifier's leads, one every five days from March 2026; a lead of
    alice's worked in December 2025, before the period."""
    ready.rep = sam
    alice.first_name, alice.last_name = "Alice", "Archer"
    alice.save()
    charlie.first_name, charlie.last_name = "Charlie", "Chen"
    charlie.save()
    SlaPolicy.objects.update(business_hours=False)  # an hour is an hour
    plan = [(alice, ["won", "rejected", "booked", "not_fit", "long_term", "unresponsive",
                     "pending", "won", "rejected"]),
            (bob, ["won", "rejected", "rejected", "booked", "not_fit"]),
            (charlie, ["won", "not_fit"])]
    reasons = iter(["no_budget", "bad_timing", "no_budget", "not_a_fit"])
    webinar = make_source("Webinar")
    n = 0
    for qualifier, kinds in plan:
        for kind in kinds:
            t = START + n * 5 * DAY
            with time_machine.travel(t, tick=False):
                lead = make_lead(owner=qualifier, country="DE" if n % 2 else "FR")
                start_clock(lead, lead.inquiries.get(), now=t)
            if n % 3 == 0:  # a third of the leads came from a webinar
                lead.inquiries.update(source=webinar)
            story(kind, lead, qualifier, t, Decimal(10_000 * (n + 1)),
                  next(reasons) if kind == "rejected" else "")
            if qualifier == bob and kind == "not_fit":
                came_back = lead
            n += 1
    # Bob's disqualified lead asks again: a second cycle, which bob calls.
    again = START + 150 * DAY
    with time_machine.travel(again, tick=False):
        receive({"email": came_back.email, "first_name": came_back.first_name,
                 "last_name": came_back.last_name}, channel="api")
    came_back.refresh_from_db()
    assert came_back.cycle == 2
    touch(came_back, bob, again + HOUR, "call", "connected", 90)
    before = datetime(2025, 12, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(before, tick=False):
        lead = make_lead(owner=alice, country="FR")
        start_clock(lead, lead.inquiries.get(), now=before)
    touch(lead, alice, before + DAY, "call", "no_answer")
    touch(lead, alice, before + 5 * DAY, "call", "connected", 20, verdict="not_a_fit",
          reason="no budget")
    while events.consume("reports"):
        pass
    fill_missing_facts.call()  # make_lead() writes no event
    return {"alice": alice, "bob": bob, "charlie": charlie}


def report(client, user, query=""):
    client.force_login(user)
    answer = client.get(f"/reports/qualifiers/?{PERIOD}{query}&format=json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def tables(client, user, query=""):
    return {table["id"]: table for table in report(client, user, query)["tables"]}


def rows_by_name(table):
    return {row["qualifier"]: row for row in table["rows"]}


def in_year(at):
    return YEAR[0] <= at < YEAR[1]


def qualifier_of(lead_id, cycle):
    """Who a cycle is credited to: the sender of its last handoff, else its
    owner (the lead's owner in its current cycle; in an earlier one, who it
    was last assigned to in that cycle)."""
    handoff = Handoff.objects.filter(lead_id=lead_id, cycle=cycle).order_by(
        "created_at", "pk").last()
    if handoff is not None:
        return handoff.from_user_id
    lead = Lead.objects.get(pk=lead_id)
    if cycle == lead.cycle:
        return lead.owner_id
    assigned = Assignment.objects.filter(lead_id=lead_id, cycle=cycle).order_by(
        "at", "pk").last()
    return assigned.to_user_id if assigned is not None else None


def first_reached(stage):
    """(lead, cycle) -> when the cycle first reached `stage`, from StageChange."""
    found = {}
    for change in StageChange.objects.filter(to_stage=stage).order_by("at", "pk"):
        found.setdefault((change.lead_id, change.cycle), change.at)
    return found


# --- what they did -------------------------------------------------------------------


def test_it_counts_touches_by_channel_per_qualifier(client, history, mia):
    rows = rows_by_name(tables(client, mia)["touches"])
    for key, user in history.items():
        name = NAMES[key]
        plain = Counter(t.channel for t in Touch.objects.filter(actor=user) if in_year(t.at))
        assert {c: rows[name][c] for c in CHANNELS} == {c: plain[c] for c in CHANNELS}
        assert rows[name]["touches"] == sum(plain.values())
    assert all(rows["Alice Archer"][c] for c in CHANNELS)  # every channel is in the history


def test_it_leaves_out_what_was_done_before_the_period(client, history, mia):
    alice = history["alice"]
    early = [t for t in Touch.objects.filter(actor=alice) if not in_year(t.at)]
    assert len(early) == 2
    row = rows_by_name(tables(client, mia)["touches"])["Alice Archer"]
    assert row["touches"] == Touch.objects.filter(actor=alice).count() - 2
    verdicts = rows_by_name(tables(client, mia)["verdicts"])["Alice Archer"]
    assert verdicts["not_a_fit"] == Qualification.objects.filter(
        by=alice, verdict="not_a_fit").count() - 1


def test_it_counts_dials_connects_conversations_and_meetings_booked(client, history, mia):
    rows = rows_by_name(tables(client, mia)["calls"])
    for name, user in (("Alice Archer", history["alice"]), ("bob", history["bob"])):
        mine = [t for t in Touch.objects.filter(actor=user) if in_year(t.at)]
        dials = [t for t in mine if t.channel == "call" and t.direction == "outbound"]
        row = rows[name]
        assert row["dials"] == len(dials)
        assert (row["dials_connected"]["k"], row["dials_connected"]["n"]) == (
            sum(1 for t in dials if t.disposition in REACHED), len(dials))
        assert row["connects"] == sum(1 for t in mine if t.disposition in REACHED)
        assert row["conversations"] == sum(
            1 for t in mine if t.channel == "call" and t.disposition in REACHED
            and t.duration_seconds > 60)
        assert row["meetings_booked"] == sum(1 for t in mine if t.disposition == "meeting_booked")
    assert 0 < rows["Alice Archer"]["conversations"] < rows["Alice Archer"]["connects"]


def test_it_counts_the_verdicts_each_qualifier_gave(client, history, mia):
    rows = rows_by_name(tables(client, mia)["verdicts"])
    for name, user in (("Alice Archer", history["alice"]), ("bob", history["bob"])):
        plain = Counter(q.verdict for q in Qualification.objects.filter(by=user)
                        if q.verdict and in_year(q.at))
        for verdict in ("sales_ready", "long_term", "not_a_fit", "unresponsive"):
            assert rows[name][verdict] == plain[verdict]
        assert rows[name]["verdicts"] == sum(plain.values())
    assert all(rows["Alice Archer"][v] for v in ("sales_ready", "long_term", "not_a_fit",
                                                 "unresponsive"))


def test_it_gives_each_qualifiers_acceptance_rate_and_reject_reasons(client, history, mia):
    found = tables(client, mia)
    rows = rows_by_name(found["handoffs"])
    for name, user in (("Alice Archer", history["alice"]), ("bob", history["bob"])):
        sent = [h for h in Handoff.objects.filter(from_user=user) if in_year(h.created_at)]
        status = Counter(h.status for h in sent)
        row = rows[name]
        assert (row["handoffs"], row["accepted"], row["rejected"], row["pending"]) == (
            len(sent), status["accepted"], status["rejected"], status["pending"])
        assert (row["acceptance"]["k"], row["acceptance"]["n"]) == (
            status["accepted"], status["accepted"] + status["rejected"])
        reasons = Counter(REASON_LABELS[h.reject_reason] for h in sent
                          if h.status == "rejected")
        shown = {r["reason"]: r["rejected"] for r in found["reasons"]["rows"]
                 if r["qualifier"] == name}
        assert shown == dict(reasons)
        most = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        assert row["top_reasons"] == ", ".join(f"{label} ({n})" for label, n in most[:3])
    assert rows["Alice Archer"]["pending"] == 1 and rows["bob"]["rejected"] == 2


def test_it_credits_sals_wins_and_revenue_to_who_handed_the_lead_off(client, history, mia):
    sals, wins, revenue = Counter(), Counter(), Counter()
    for (lead_id, cycle), at in first_reached("accepted").items():
        if in_year(at):
            sals[qualifier_of(lead_id, cycle)] += 1
    for (lead_id, cycle), at in first_reached("won").items():
        if in_year(at):
            who = qualifier_of(lead_id, cycle)
            wins[who] += 1
            for outcome in Lead.objects.get(pk=lead_id).outcomes.filter(kind="won", cycle=cycle):
                revenue[who] += outcome.amount
    rows = rows_by_name(tables(client, mia)["handoffs"])
    for key, user in history.items():
        row = rows[NAMES[key]]
        assert (row["sals"], row["won"]) == (sals[user.pk], wins[user.pk])
        assert Decimal(str(row["revenue"])) == revenue[user.pk]
    assert wins[history["alice"].pk] == 2 and revenue[history["bob"].pk] > 0


def first_response(clock):
    """The clock's own figure when it was met; after a breach, seconds to the
    first outbound touch by a person."""
    if clock.response_seconds is not None or clock.breached_at is None:
        return clock.response_seconds
    touch = (Touch.objects.filter(lead_id=clock.lead_id, cycle=clock.cycle, actor__isnull=False,
                                  direction="outbound", at__gte=clock.started_at)
             .order_by("at", "pk").first())
    return None if touch is None else int((touch.at - clock.started_at).total_seconds())


def test_it_gives_the_median_first_response_and_sla_compliance(client, history, mia):
    first = {}
    for clock in SlaClock.objects.order_by("started_at", "pk"):
        first.setdefault((clock.lead_id, clock.cycle), clock)
    rows = rows_by_name(tables(client, mia)["response"])
    for name, user in (("Alice Archer", history["alice"]), ("bob", history["bob"])):
        mine = [c for c in first.values() if c.owner_id == user.pk and in_year(c.started_at)]
        row = rows[name]
        assert row["clocks"] == len(mine)
        breached = sum(1 for c in mine if c.breached_at is not None)
        assert row["breached"] == breached > 0
        assert (row["compliance"]["k"], row["compliance"]["n"]) == (len(mine) - breached,
                                                                   len(mine))
        answered = [first_response(c) for c in mine if first_response(c) is not None]
        assert row["median"] == statistics.median_low(answered)
        assert row["p80"] == sorted(answered)[math.ceil(0.8 * len(answered)) - 1]


def test_it_filters_the_leads_by_country(client, history, mia):
    rows = rows_by_name(tables(client, mia, "&country=DE")["touches"])
    alice = history["alice"]
    plain = [t for t in Touch.objects.filter(actor=alice, lead__country="DE") if in_year(t.at)]
    assert rows["Alice Archer"]["touches"] == len(plain)
    assert 0 < len(plain) < Touch.objects.filter(actor=alice).count()
    handoffs = rows_by_name(tables(client, mia, "&country=DE")["handoffs"])
    assert handoffs["Alice Archer"]["handoffs"] == Handoff.objects.filter(
        from_user=alice, lead__country="DE").count()


def test_it_filters_the_leads_by_the_source_of_their_cycle(client, history, mia):
    webinar = Source.objects.get(name="Webinar")
    from_webinar = set(Inquiry.objects.filter(source=webinar).values_list("lead_id", "cycle"))
    rows = rows_by_name(tables(client, mia, f"&source={webinar.pk}")["calls"])
    for key, user in history.items():
        plain = [t for t in Touch.objects.filter(actor=user)
                 if in_year(t.at) and (t.lead_id, t.cycle) in from_webinar]
        assert rows[NAMES[key]]["dials"] == sum(
            1 for t in plain if t.channel == "call" and t.direction == "outbound")
        assert rows[NAMES[key]]["connects"] == sum(1 for t in plain if t.disposition in REACHED)
    assert rows["Alice Archer"]["dials"] > 0


def test_it_counts_only_returning_cycles_when_asked(client, history, mia):
    rows = rows_by_name(tables(client, mia, "&cycle=returning")["touches"])
    assert {name: row["touches"] for name, row in rows.items()} == {
        NAMES[key]: sum(1 for t in Touch.objects.filter(actor=user, cycle__gt=1)
                        if in_year(t.at)) for key, user in history.items()}
    assert rows["bob"]["touches"] == 1
    first = rows_by_name(tables(client, mia, "&cycle=first")["touches"])
    assert first["bob"]["touches"] == sum(
        1 for t in Touch.objects.filter(actor=history["bob"], cycle=1) if in_year(t.at))


def test_it_shows_the_qualifiers_of_the_team_chosen(client, history, mia):
    team = history["alice"].team_id
    names = [row["qualifier"] for row in tables(client, mia, f"&team={team}")["touches"]["rows"]]
    assert names == ["Alice Archer", "bob"]


def test_it_names_people_by_their_full_name_else_their_username(client, history, mia):
    names = [row["qualifier"] for row in tables(client, mia)["touches"]["rows"]]
    assert names == ["Alice Archer", "bob", "Charlie Chen"]


# --- targets ---------------------------------------------------------------------------


def set_targets(team):
    for month, target_team, metric, value in (
            (date(2026, 3, 1), team, "sals", 10), (date(2026, 4, 1), team, "sals", 6),
            (date(2026, 3, 1), team, "revenue", 100_000),
            (date(2026, 3, 1), None, "sals", 30), (date(2026, 3, 1), None, "won", 3)):
        Target.objects.create(month=month, team=target_team, metric=metric, value=value)


def test_it_splits_the_teams_target_between_its_qualifiers(client, history, mia):
    set_targets(history["alice"].team)
    march_april = "&period=custom&start=2026-03-01&end=2026-04-30"
    client.force_login(mia)
    answer = client.get(f"/reports/qualifiers/?format=json{march_april}").json()
    rows = rows_by_name(next(t for t in answer["tables"] if t["id"] == "targets"))
    alice = rows["Alice Archer"]
    assert alice["sals_target"] == pytest.approx((10 + 6) / 2)  # two in the team
    assert alice["sals_gap"] == pytest.approx(alice["sals"] - 8)
    assert alice["won_target"] == pytest.approx(3 / 3)  # no team target: the company's
    assert alice["revenue_target"] == pytest.approx(50_000)
    assert alice["revenue_gap"] == pytest.approx(alice["revenue"] - 50_000)
    charlie = rows["Charlie Chen"]  # alone in a team without targets
    assert charlie["sals_target"] == pytest.approx(30 / 3)
    assert charlie["revenue_target"] is None and charlie["revenue_gap"] is None
    sals = Counter()
    window = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    for (lead_id, cycle), at in first_reached("accepted").items():
        if window[0] <= at < window[1]:
            sals[qualifier_of(lead_id, cycle)] += 1
    assert alice["sals"] == sals[history["alice"].pk] > 0


def test_it_counts_a_month_the_period_cuts_pro_rata(client, history, mia):
    set_targets(history["alice"].team)
    client.force_login(mia)
    answer = client.get("/reports/qualifiers/?format=json&period=custom&start=2026-03-01"
                        "&end=2026-03-16").json()
    rows = rows_by_name(next(t for t in answer["tables"] if t["id"] == "targets"))
    assert rows["bob"]["sals_target"] == pytest.approx(10 / 2 * 16 / 31)


# --- who sees what -----------------------------------------------------------------------


def test_it_shows_a_qualifier_only_their_own_row(client, history):
    bob = history["bob"]
    found = report(client, history["alice"], f"&qualifier={bob.pk}")
    for table in found["tables"]:
        assert {row["qualifier"] for row in table["rows"]} <= {"Alice Archer"}, table["id"]
        assert table["total"] is None
    assert rows_by_name(next(t for t in found["tables"] if t["id"] == "touches"))[
        "Alice Archer"]["touches"] > 0
    for chart in found["charts"]:
        assert chart["labels"] == ["Alice Archer"]


def test_it_refuses_sales_and_sends_strangers_to_log_in(client, sam):
    assert client.get("/reports/qualifiers/").status_code == 302
    client.force_login(sam)
    assert client.get("/reports/qualifiers/").status_code == 403
    assert client.get("/reports/qualifiers/?format=json").status_code == 403


def test_it_lets_a_manager_see_everyone(client, history, mia):
    assert len(tables(client, mia)["touches"]["rows"]) == 3


def test_it_answers_a_bad_filter_with_its_name(client, mia):
    client.force_login(mia)
    answer = client.get("/reports/qualifiers/?qualifier=999999&format=json")
    assert answer.status_code == 400
    assert "qualifier" in answer.json()["errors"]


# --- page, charts, CSV ---------------------------------------------------------------------


def test_it_charts_the_numbers_of_its_tables(client, history, mia):
    found = report(client, mia)
    by_id = {table["id"]: table for table in found["tables"]}
    charts = {chart["id"]: chart for chart in found["charts"]}
    handoffs = charts["handoffs-chart"]
    assert handoffs["labels"] == [row["qualifier"] for row in by_id["handoffs"]["rows"]]
    assert handoffs["datasets"][0]["data"] == [row["handoffs"] for row in
                                               by_id["handoffs"]["rows"]]
    assert handoffs["datasets"][1]["data"] == [row["sals"] for row in by_id["handoffs"]["rows"]]
    touches = charts["touches-chart"]
    assert touches["type"] == "stacked"
    for dataset, channel in zip(touches["datasets"], CHANNELS, strict=True):
        assert dataset["data"] == [row[channel] for row in by_id["touches"]["rows"]]


def test_it_exports_the_same_numbers_as_csv(client, history, mia):
    found = tables(client, mia)
    answer = client.get(f"/reports/qualifiers/?{PERIOD}&format=csv&table=handoffs")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Qualifier", "Handed off", "Accepted"]
    assert [(row[0], int(row[1]), int(row[2])) for row in rows[1:-1]] == [
        (row["qualifier"], row["handoffs"], row["accepted"]) for row in found["handoffs"]["rows"]]
    assert rows[-1][0] == "All shown"


def test_it_renders_the_page_with_names(client, history, mia):
    client.force_login(mia)
    page = client.get(f"/reports/qualifiers/?{PERIOD}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alice Archer" in text and "Touches by channel" in text


def test_it_lets_a_qualifier_open_the_page(client, alice):
    client.force_login(alice)
    assert client.get("/reports/qualifiers/").status_code == 200


def test_it_shows_an_active_qualifier_with_nothing_in_the_period(client, history, mia):
    make_user("dora", "qualifier", history["alice"].team)
    rows = rows_by_name(tables(client, mia)["touches"])
    assert rows["dora"]["touches"] == 0
