"""Speed to lead, checked against a plain recomputation from the SLA clocks,
the touches and the stage history of a known history: clocks of known
response times, some breached by the check before the call, some never
answered, across a change to daylight saving time."""

import csv
import io
import random
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadgate.handoff.flow import accept
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.models import Inquiry
from leadgate.leads.models import Lead, StageChange, Touch
from leadgate.lib.proportions import difference
from leadgate.reports import facts
from leadgate.reports.speed import FINE
from leadgate.routing.models import SlaClock, SlaPolicy
from leadgate.routing.sla import check_breaches, start_clock
from leadgate.workspace.touches import log_touch
from tests.factories import hand_off, make_lead

START = datetime(2026, 2, 2, 13, 7, tzinfo=UTC)  # a Monday; New York moves its clocks on Mar 8
LATER = START + timedelta(days=200)
PERIOD = "?period=custom&start=2026-01-01&end=2026-12-31"
# Seconds from the clock's start to the first call (None: never called).
DELAYS = [40, 180, 300, 301, 600, 1500, 1800, 2400, 3600, 3601, 5 * 3600, 30 * 3600, None]
CONNECTED = {"connected", "call_back", "not_interested", "meeting_booked", "replied"}
QUALIFIED = {"qualified", "accepted", "opportunity", "won"}
BANDS = [300, 1800, 3600, 86400]  # upper bounds of the bands before "> 24 h" and "never"


def band(seconds):
    if seconds is None:
        return 5
    return next((i for i, top in enumerate(BANDS) if seconds <= top), 4)


def call(lead, who, at, disposition="no_answer"):
    with time_machine.travel(at, tick=False):
        log_touch(lead, who, channel="call", disposition=disposition,
                  next_step=("Call again", at + timedelta(days=2)), at=at)
    lead.refresh_from_db()


def arrive(lead, at, kind):
    """A second inquiry of the lead's, as routing sees one: it starts the clock."""
    inquiry = Inquiry.objects.create(lead=lead, channel="import" if kind == "import" else "form",
                                     is_hot=kind == "hot", received_at=at)
    return start_clock(lead, inquiry, now=at)


def walk(lead, owner, rep, at, kind, delay, rng, check_first):
    clock = arrive(lead, at, kind)
    if delay is None:
        return clock
    answered = at + timedelta(seconds=delay)
    if check_first and answered > clock.due_at:
        # The breach check runs before the call: the clock closes without a response.
        with time_machine.travel(clock.due_at + timedelta(seconds=10), tick=False):
            check_breaches()
    call(lead, owner, answered, "connected" if rng.random() < 0.5 else "no_answer")
    odds = 0.85 if delay <= 300 else 0.5 if delay <= 1800 else 0.1
    if rng.random() < odds:
        with time_machine.travel(answered + timedelta(hours=3), tick=False):
            handoff = hand_off(lead, owner, rep)
        if rng.random() < 0.5:
            with time_machine.travel(answered + timedelta(days=1), tick=False):
                accept(handoff, by=rep)
                lead.refresh_from_db()
                record_outcome(lead, kind="opportunity", by=rep, amount=Decimal(20000))
                lead.refresh_from_db()
                record_outcome(lead, kind="won", by=rep, amount=Decimal(20000))
    return clock


def drain():
    """The summary table's rows of every lead, from its records."""
    facts.refresh(Lead.objects.values_list("pk", flat=True))


@pytest.fixture
def policies(db):
    """Around the clock and without escalation: due times and owners stay simple."""
    SlaPolicy.objects.update(business_hours=False, escalate=False)


@pytest.fixture
def named(alice, bob, charlie):
    alice.first_name, alice.last_name = "Alice", "Martin"
    alice.save()
    charlie.first_name, charlie.last_name = "Charlie", "Okafor"
    charlie.save()
    return alice, bob, charlie  # bob keeps no name: his username stands for it


@pytest.fixture
def history(policies, named, sam):
    """52 leads, a clock each, every delay with and without the breach check
    coming first, from three qualifiers in two teams, over ten weeks."""
    rng = random.Random(15)
    owners = list(named)
    leads = []
    for i in range(52):
        at = START + timedelta(hours=i * 21, minutes=i * 7)
        owner = owners[i % 3]
        kind = "hot" if i % 4 == 0 else "import" if i % 7 == 0 else "form"
        with time_machine.travel(at, tick=False):
            lead = make_lead(owner=owner)
        walk(lead, owner, sam, at, kind, DELAYS[i % len(DELAYS)], rng, check_first=i % 2 == 0)
        leads.append(lead)
    drain()
    return leads


def plain_clocks():
    """Per lead and cycle, from the records alone: its first clock's policy,
    start, breach, the seconds to the first touch by a person after the start,
    who owned it, and whether the cycle was contacted, qualified, won."""
    firsts = {}
    for clock in SlaClock.objects.select_related("policy").order_by("started_at", "pk"):
        firsts.setdefault((clock.lead_id, clock.cycle), clock)
    found = []
    for (lead_id, cycle), clock in firsts.items():
        touches = Touch.objects.filter(lead_id=lead_id, cycle=cycle)
        human = (touches.filter(actor__isnull=False, at__gte=clock.started_at)
                 .order_by("at").first())
        stages = set(StageChange.objects.filter(lead_id=lead_id, cycle=cycle)
                     .values_list("to_stage", flat=True))
        found.append({
            "policy": clock.policy.segment, "started": clock.started_at,
            "owner": clock.owner_id, "breached": clock.breached_at is not None,
            "seconds": None if human is None else int((human.at - clock.started_at)
                                                      .total_seconds()),
            "contacted": touches.filter(disposition__in=CONNECTED).exists(),
            "qualified": bool(stages & QUALIFIED), "won": "won" in stages})
    return found


def report(client, user, query=""):
    client.force_login(user)
    answer = client.get(f"/reports/speed/{PERIOD}{query}&format=json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def tables(client, user, query=""):
    return {table["id"]: table for table in report(client, user, query)["tables"]}


@time_machine.travel(LATER, tick=False)
def test_it_counts_each_policys_clocks_answers_and_breaches(client, history, mia):
    plain = plain_clocks()
    # "Hot inbound request (demo, contact me), 5 min": the policy and its time.
    rows = {row["policy"].rsplit(", ", 1)[0]: row
            for row in tables(client, mia)["policies"]["rows"]}
    labels = dict(SlaPolicy.Segment.choices)
    for segment in ("hot_inbound", "inbound", "imported"):
        mine = [c for c in plain if c["policy"] == segment]
        row = rows[labels[segment]]
        assert row["leads"] == len(mine) > 0
        assert row["answered"] == sum(1 for c in mine if c["seconds"] is not None)
        assert row["never"] == sum(1 for c in mine if c["seconds"] is None)
        assert row["breaches"] == sum(1 for c in mine if c["breached"])
    assert sum(row["breaches"] for row in rows.values()) > 0


@time_machine.travel(LATER, tick=False)
def test_it_times_a_clock_breached_before_the_call_to_the_call(client, history, mia):
    # The check came first: the clock has no response, the call came later.
    unanswered = SlaClock.objects.filter(state="breached", response_seconds__isnull=True)
    called = [c for c in unanswered
              if Touch.objects.filter(lead_id=c.lead_id, actor__isnull=False).exists()]
    assert called  # the history has such clocks; the summary table alone calls them "never"
    plain = plain_clocks()
    total = tables(client, mia)["policies"]["total"]
    assert total["never"] == sum(1 for c in plain if c["seconds"] is None)
    assert total["answered"] == sum(1 for c in plain if c["seconds"] is not None)


@time_machine.travel(LATER, tick=False)
def test_it_gives_the_shares_answered_within_5_minutes_an_hour_and_a_day(client, history,
                                                                          mia):
    plain = plain_clocks()
    total = tables(client, mia)["policies"]["total"]
    for key, limit in (("within_5m", 300), ("within_1h", 3600), ("within_24h", 86400)):
        within = sum(1 for c in plain if c["seconds"] is not None and c["seconds"] <= limit)
        assert total[key] == pytest.approx(within / len(plain))
    assert total["leads"] == len(plain) == len(history)


@time_machine.travel(LATER, tick=False)
def test_it_gives_the_median_and_95th_percentile_to_within_a_bin(client, history, mia):
    answered = sorted(c["seconds"] for c in plain_clocks() if c["seconds"] is not None)
    total = tables(client, mia)["policies"]["total"]
    median = statistics.median_low(answered)
    p95 = answered[int(0.95 * len(answered) + 0.999) - 1]  # nearest rank
    for shown, exact in ((total["median"], median), (total["p95"], p95)):
        low, high = FINE.bounds(FINE.of(exact))
        assert low - (high - low) <= shown <= high + (high - low)


@time_machine.travel(LATER, tick=False)
def test_it_converts_by_response_time_band_as_the_records_say(client, history, mia):
    plain = plain_clocks()
    rows = tables(client, mia)["bands"]["rows"]
    assert [row["band"] for row in rows] == ["≤ 5 min", "5–30 min", "30 min–1 h", "1–24 h",
                                             "> 24 h", "Never"]
    for index, row in enumerate(rows):
        mine = [c for c in plain if band(c["seconds"]) == index]
        assert row["leads"] == len(mine) > 0
        for key in ("contacted", "qualified", "won"):
            assert (row[key]["k"], row[key]["n"]) == (sum(c[key] for c in mine), len(mine))


@time_machine.travel(LATER, tick=False)
def test_it_measures_the_5_minute_effect_with_its_interval(client, history, mia):
    plain = plain_clocks()
    fast = [c for c in plain if band(c["seconds"]) == 0]
    slow = [c for c in plain if band(c["seconds"]) in (2, 3, 4)]
    k1, n1 = sum(c["qualified"] for c in fast), len(fast)
    k2, n2 = sum(c["qualified"] for c in slow), len(slow)
    expected = difference(k1, n1, k2, n2)
    answer = report(client, mia)
    row = next(t for t in answer["tables"] if t["id"] == "effect")["rows"][0]
    assert row["outcome"] == "Qualified"
    assert (row["fast"]["k"], row["fast"]["n"], row["slow"]["k"], row["slow"]["n"]) == (
        k1, n1, k2, n2)
    assert row["difference"] == pytest.approx(expected.diff)
    assert (row["low"], row["high"]) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert expected.low > 0  # the history answers fast leads better: a clear effect
    assert row["ratio"] == pytest.approx((k1 / n1) / (k2 / n2))
    sentence = answer["notes"][0]
    assert sentence.startswith(f"Leads answered within 5 minutes were qualified "
                               f"{(k1 / n1) / (k2 / n2):.1f}x as often")
    assert "95% CI" in sentence


@time_machine.travel(LATER, tick=False)
def test_it_says_when_there_are_not_enough_leads_to_tell(client, policies, alice, sam, mia):
    for i, delay in enumerate([60, 120, 200, 2400, 4000, 9000]):
        at = START + timedelta(days=i)
        with time_machine.travel(at, tick=False):
            lead = make_lead(owner=alice)
        arrive(lead, at, "hot")
        call(lead, alice, at + timedelta(seconds=delay), "connected")
        if i in (0, 3):  # one of three on each side
            with time_machine.travel(at + timedelta(hours=5), tick=False):
                hand_off(lead, alice, sam)
    drain()
    sentence = report(client, mia)["notes"][0]
    assert sentence.startswith("Not enough leads to tell: 33% of the 3 leads answered within "
                               "5 minutes were qualified, and 33% of the 3")


@time_machine.travel(LATER, tick=False)
def test_it_counts_by_hour_and_weekday_in_the_viewers_time_zone(client, history, mia):
    mia.time_zone = "America/New_York"  # the history crosses its change to summer time
    mia.save()
    zone = ZoneInfo(mia.time_zone)
    plain = plain_clocks()
    hours = Counter(c["started"].astimezone(zone).hour for c in plain)
    days = Counter(c["started"].astimezone(zone).isoweekday() for c in plain)
    found = tables(client, mia)
    shown = {int(row["hour"][:2]): row["leads"] for row in found["hours"]["rows"]}
    assert shown == dict(hours)
    weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert [row["weekday"] for row in found["weekdays"]["rows"]] == weekdays
    assert [row["leads"] for row in found["weekdays"]["rows"]] == [days[d] for d in range(1, 8)]
    assert "America/New_York" in found["hours"]["note"]


@time_machine.travel(LATER, tick=False)
def test_it_counts_hours_in_a_time_zone_half_an_hour_off(client, history, mia):
    mia.time_zone = "Asia/Kolkata"
    mia.save()
    zone = ZoneInfo(mia.time_zone)
    hours = Counter(c["started"].astimezone(zone).hour for c in plain_clocks())
    shown = {int(row["hour"][:2]): row["leads"] for row in tables(client, mia)["hours"]["rows"]}
    assert shown == dict(hours)


@time_machine.travel(LATER, tick=False)
def test_it_names_qualifiers_by_their_full_names_and_teams(client, history, mia, named):
    alice, bob, charlie = named
    plain = Counter(c["owner"] for c in plain_clocks())
    found = tables(client, mia)
    by_name = {row["qualifier"]: row["leads"] for row in found["qualifiers"]["rows"]}
    assert by_name == {"Alice Martin": plain[alice.pk], "bob": plain[bob.pk],
                       "Charlie Okafor": plain[charlie.pk]}
    by_team = {row["team"]: row["leads"] for row in found["teams"]["rows"]}
    assert by_team == {alice.team.name: plain[alice.pk] + plain[bob.pk],
                       charlie.team.name: plain[charlie.pk]}


@time_machine.travel(LATER, tick=False)
def test_it_counts_an_escalated_lead_for_the_first_clocks_owner(client, policies, alice, bob,
                                                                mia):
    SlaPolicy.objects.filter(segment="hot_inbound").update(escalate=True)
    with time_machine.travel(START, tick=False):
        lead = make_lead(owner=alice)
    first = arrive(lead, START, "hot")
    with time_machine.travel(first.due_at + timedelta(seconds=10), tick=False):
        assert check_breaches() == 1  # the lead goes to bob, with a clock of his
    lead.refresh_from_db()
    assert lead.owner == bob
    call(lead, bob, START + timedelta(minutes=20))
    drain()
    rows = {row["qualifier"]: row for row in tables(client, mia)["qualifiers"]["rows"]}
    assert list(rows) == ["alice"]
    assert (rows["alice"]["leads"], rows["alice"]["breaches"]) == (1, 1)
    assert 20 * 60 - 30 <= rows["alice"]["median"] <= 20 * 60  # within its 30 s step


@time_machine.travel(LATER, tick=False)
def test_it_filters_by_qualifier(client, history, mia, named):
    alice = named[0]
    mine = [c for c in plain_clocks() if c["owner"] == alice.pk]
    total = tables(client, mia, f"&qualifier={alice.pk}")["policies"]["total"]
    assert total["leads"] == len(mine)
    assert total["never"] == sum(1 for c in mine if c["seconds"] is None)


@time_machine.travel(LATER, tick=False)
def test_it_exports_the_same_numbers_as_csv(client, history, mia):
    client.force_login(mia)
    answer = client.get(f"/reports/speed/{PERIOD}&format=csv&table=bands")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    bands = tables(client, mia)["bands"]["rows"]
    assert rows[0][:3] == ["Answered", "Leads", "Share of leads"]
    assert [int(row[1]) for row in rows[1:]] == [row["leads"] for row in bands]
    assert [float(row[6]) for row in rows[1:]] == [row["qualified"]["value"] for row in bands]


@time_machine.travel(LATER, tick=False)
def test_it_shows_the_page_with_its_charts(client, history, mia):
    client.force_login(mia)
    page = client.get(f"/reports/speed/{PERIOD}")
    body = page.content.decode()
    assert page.status_code == 200
    for chart in ("bands-chart", "conversion-chart", "hours-chart"):
        assert f'data-chart="{chart}-data"' in body
    assert "Leads answered within 5 minutes were qualified" in body


def test_it_refuses_qualifiers_sales_and_strangers(client, alice, sam):
    assert client.get("/reports/speed/").status_code == 302
    for user in (alice, sam):
        client.force_login(user)
        assert client.get("/reports/speed/").status_code == 403
        assert client.get("/reports/speed/?format=json").status_code == 403


def test_it_answers_a_bad_filter_with_its_name(client, mia):
    client.force_login(mia)
    answer = client.get("/reports/speed/?period=custom&start=2026-05-01&format=json")
    assert answer.status_code == 400
    assert "end" in answer.json()["errors"]
    assert client.get("/reports/speed/?grade=Z").status_code == 400
