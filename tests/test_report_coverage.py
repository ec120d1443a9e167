"""Follow-up coverage, checked against a plain recomputation from the touches,
the unresponsive verdicts and moves, nurture enrollments, tasks and handoffs
of a known history: leads with 0 to 8 attempts, closed as unresponsive by the
verdict and by hand, untouched leads of every age, leads in nurture with and
without a next step, leads sales accepted and then left."""

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from leadgate.handoff.flow import accept
from leadgate.handoff.outcomes import record_outcome
from leadgate.leads.lifecycle import CLOSED, ON_DESK
from leadgate.leads.models import Handoff, Lead, StageChange, Task, Touch
from leadgate.leads.transitions import advance
from leadgate.nurture import engine
from leadgate.nurture.models import Enrollment
from leadgate.reports import facts
from leadgate.workspace.models import Qualification
from leadgate.workspace.touches import log_touch
from tests.factories import hand_off, make_lead
from tests.nurture_factories import make_cadence

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
START = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
PERIOD = "?period=custom&start=2026-01-01&end=2026-12-31"
PAST = "?period=custom&start=2024-01-01&end=2024-12-31"
AGES = [1, 7, 30]  # upper bounds, in days, of the ages before "30 days or more"


def touch(lead, who, at, channel="call", direction="outbound", verdict=None, **more):
    with time_machine.travel(at, tick=False):
        lead.refresh_from_db()
        log_touch(lead, who, channel=channel, direction=direction,
                  disposition="no_answer" if direction == "outbound" else "replied",
                  next_step=None if verdict else ("Try again", at + timedelta(days=1)),
                  verdict=verdict, at=at, **more)
    lead.refresh_from_db()


def new_lead(owner, at, **fields):
    with time_machine.travel(at, tick=False):
        return make_lead(owner=owner, **fields)


def move(lead, stage, by, at, reason):
    with time_machine.travel(at, tick=False):
        lead.refresh_from_db()
        advance(lead, stage, by=by, reason=reason)


def accepted(owner, rep, at):
    lead = new_lead(owner, at - timedelta(days=2))
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        handoff = hand_off(lead, owner, rep)
    with time_machine.travel(at, tick=False):
        accept(handoff, by=rep)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def history(alice, bob, mia, sam):
    """Every case of the report once or more, up to NOW."""
    alice.first_name, alice.last_name = "Alice", "Martin"
    alice.save()
    mia.first_name, mia.last_name = "Mia", "Laurent"
    mia.save()
    made = {}
    # Attempts 0..8 on open leads of alice's and bob's; one lead only wrote to us.
    for n in range(9):
        owner = alice if n % 2 else bob
        lead = new_lead(owner, START + timedelta(days=n))
        for k in range(n):
            touch(lead, owner, START + timedelta(days=n, hours=2 + k))
        made[f"attempts{n}"] = lead
    lead = new_lead(alice, START + timedelta(days=10))
    touch(lead, alice, START + timedelta(days=10, hours=1), channel="email", direction="inbound")
    made["inbound only"] = lead
    lead = new_lead(alice, START + timedelta(days=11))
    move(lead, "disqualified", mia, START + timedelta(days=11, hours=1), "spam")
    made["closed untouched"] = lead
    # Unresponsive by the verdict, once the attempt policy is met: 6 attempts, 2
    # channels, 11 days. By hand (a manager's move skips the check): 2 attempts;
    # and 3 attempts, touched twice more after the move.
    lead = new_lead(alice, START + timedelta(days=20))
    for k in range(5):
        touch(lead, alice, START + timedelta(days=20 + 2 * k, hours=1),
              channel="email" if k % 2 else "call")
    touch(lead, alice, START + timedelta(days=31, hours=1), verdict="unresponsive")
    made["verdict"] = lead
    lead = new_lead(alice, START + timedelta(days=21), first_name="=HYPERLINK(1)",
                    last_name="<b>Eve</b>")
    for k in range(2):
        touch(lead, alice, START + timedelta(days=21, hours=1 + k))
    move(lead, "nurture", mia, START + timedelta(days=23), "unresponsive: two calls, no answer")
    made["by hand"] = lead
    lead = new_lead(bob, START + timedelta(days=22))
    for k in range(3):
        touch(lead, bob, START + timedelta(days=22, hours=1 + k))
    move(lead, "nurture", mia, START + timedelta(days=24), "Unresponsive after 3 attempts")
    for k in range(2):
        touch(lead, bob, START + timedelta(days=40 + k, hours=1))
    made["by hand, touched later"] = lead
    # Untouched open leads of every age; one of them in nurture. One touched, not counted.
    for days in (0.5, 3, 10, 12, 40, 45):
        made[f"untouched {days}"] = new_lead(alice, NOW - timedelta(days=days))
    move(made["untouched 10"], "nurture", mia, NOW - timedelta(days=9), "content download only")
    # In nurture: a running cadence, a resting one, an open task only, nothing.
    cadence = make_cadence()
    lead = new_lead(alice, NOW - timedelta(days=60))
    with time_machine.travel(NOW - timedelta(days=50), tick=False):
        engine.enroll(lead, trigger="manual", cadence=cadence, by=mia)
    made["running"] = lead
    lead = new_lead(alice, NOW - timedelta(days=61))
    with time_machine.travel(NOW - timedelta(days=50), tick=False):
        enrollment = engine.enroll(lead, trigger="manual", cadence=cadence, by=mia)
        engine.rest(enrollment, NOW - timedelta(days=40))
    made["resting"] = lead
    lead = new_lead(alice, NOW - timedelta(days=62))
    touch(lead, alice, NOW - timedelta(days=55), channel="call", verdict="long_term",
          recontact_on=date(2026, 9, 1))
    made["task only"] = lead
    # Sales: accepted and left; accepted and touched since; accepted lately;
    # an opportunity; lost.
    made["left"] = accepted(alice, sam, NOW - timedelta(days=20))
    made["touched since"] = accepted(alice, sam, NOW - timedelta(days=20))
    touch(made["touched since"], sam, NOW - timedelta(days=15), channel="email")
    made["recent"] = accepted(bob, sam, NOW - timedelta(days=3))
    for name, kind in (("opportunity", "opportunity"), ("lost", "lost")):
        lead = accepted(bob, sam, NOW - timedelta(days=30))
        with time_machine.travel(NOW - timedelta(days=25), tick=False):
            record_outcome(lead, kind=kind, by=sam, amount=Decimal(9000),
                           reason="went elsewhere" if kind == "lost" else "")
        made[name] = lead
    facts.refresh(Lead.objects.values_list("pk", flat=True))
    return made


def plain_attempts():
    """(lead, cycle) -> (outbound touches, any touch), every lead's current cycle."""
    found = {}
    for lead in Lead.objects.all():
        touches = Touch.objects.filter(lead=lead, cycle=lead.cycle)
        found[lead.pk, lead.cycle] = (touches.filter(direction="outbound").count(),
                                      touches.exists())
    return found


def plain_closures():
    """Moves to nurture as unresponsive and the attempts up to each; every
    unresponsive verdict has its move."""
    closures = [change for change in StageChange.objects.filter(to_stage="nurture")
                if change.reason.lower().startswith("unresponsive")]
    verdicts = Qualification.objects.filter(verdict="unresponsive")
    assert {(q.lead_id, q.cycle) for q in verdicts} <= {(c.lead_id, c.cycle) for c in closures}
    return [(change, Touch.objects.filter(lead_id=change.lead_id, cycle=change.cycle,
                                          direction="outbound", at__lte=change.at).count())
            for change in closures]


def age_band(created):
    days = (NOW - created).total_seconds() / 86400
    return next((i for i, top in enumerate(AGES) if days < top), len(AGES))


def report(client, user, query=PERIOD):
    client.force_login(user)
    answer = client.get(f"/reports/coverage/{query}&format=json")
    assert answer.status_code == 200, answer.content
    return {table["id"]: table for table in answer.json()["tables"]}


@time_machine.travel(NOW, tick=False)
def test_it_counts_leads_touched_at_all_as_the_touches_say(client, history, mia):
    plain = plain_attempts()
    rows = {row["figure"]: row for row in report(client, mia)["summary"]["rows"]}
    assert rows["Came in during the period"]["leads"] == len(plain)
    touched = sum(1 for _n, any_touch in plain.values() if any_touch)
    assert rows["Touched at all"]["leads"] == touched
    assert rows["Touched at all"]["share"] == pytest.approx(touched / len(plain))
    assert rows["Never touched"]["leads"] == len(plain) - touched > 0


@time_machine.travel(NOW, tick=False)
def test_it_counts_attempts_per_lead_from_none_to_six_and_more(client, history, mia):
    plain = Counter(min(n, 6) for n, _touched in plain_attempts().values())
    table = report(client, mia)["attempts"]
    assert [row["attempts"] for row in table["rows"]] == ["0", "1", "2", "3", "4", "5", "6+"]
    assert [row["leads"] for row in table["rows"]] == [plain[i] for i in range(7)]
    assert table["total"]["leads"] == sum(plain.values())
    still_open = Counter(min(n, 6) for (pk, _c), (n, _t) in plain_attempts().items()
                         if Lead.objects.get(pk=pk).stage not in CLOSED)
    assert [row["open"] for row in table["rows"]] == [still_open[i] for i in range(7)]


@time_machine.travel(NOW, tick=False)
def test_it_lists_leads_closed_as_unresponsive_with_fewer_than_6_attempts(client, history,
                                                                         mia):
    closures = plain_closures()
    short = sorted(((change, n) for change, n in closures if n < 6),
                   key=lambda item: item[0].at, reverse=True)
    assert len(closures) == 3 and len(short) == 2  # the verdict's closure had its 6
    found = report(client, mia)
    table = found["unresponsive"]
    assert table["title"].endswith(": 2")
    assert [row["page"] for row in table["rows"]] == [f"/leads/{c.lead_id}/" for c, _n in short]
    assert [row["tries"] for row in table["rows"]] == [n for _c, n in short] == [3, 2]
    assert {row["by"] for row in table["rows"]} == {"Mia Laurent"}
    assert table["rows"][0]["closed"] == "Feb 26, 2026"
    rows = {row["figure"]: row for row in found["summary"]["rows"]}
    assert rows["Closed as unresponsive"]["leads"] == 3
    assert rows["… with fewer than 6 attempts (should be none)"]["leads"] == 2


@time_machine.travel(NOW, tick=False)
def test_it_counts_untouched_open_leads_by_age_as_of_now(client, history, mia):
    desk, nurture = Counter(), Counter()
    for lead in Lead.objects.exclude(stage__in=CLOSED):
        if not Touch.objects.filter(lead=lead, cycle=lead.cycle).exists():
            (desk if lead.stage in ON_DESK else nurture)[age_band(lead.created_at)] += 1
    table = report(client, mia)["untouched"]
    assert [row["desk"] for row in table["rows"]] == [desk[i] for i in range(4)]
    assert [row["nurture"] for row in table["rows"]] == [nurture[i] for i in range(4)]
    assert [row["leads"] for row in table["rows"]] == [desk[i] + nurture[i] for i in range(4)]
    assert all(desk[i] for i in range(4)) and nurture[2] == 1 and nurture[3] == 2


@time_machine.travel(NOW, tick=False)
def test_it_tells_which_leads_in_nurture_have_a_next_step(client, history, mia):
    kinds = Counter()
    for lead in Lead.objects.filter(stage="nurture"):
        enrollments = Enrollment.objects.filter(lead=lead)
        if enrollments.filter(status="active", next_due_at__isnull=False).exists():
            kinds["active"] += 1
        elif enrollments.filter(status="resting", rest_until__isnull=False).exists():
            kinds["resting"] += 1
        elif Task.objects.filter(lead=lead, done_at__isnull=True).exists():
            kinds["task"] += 1
        else:
            kinds["none"] += 1
    assert all(kinds[k] for k in ("active", "resting", "task", "none"))
    found = report(client, mia)
    table = found["nurture"]
    assert [row["leads"] for row in table["rows"]] == [
        kinds["active"], kinds["resting"], kinds["task"], kinds["none"]]
    assert table["total"]["leads"] == sum(kinds.values())
    rows = {row["figure"]: row for row in found["summary"]["rows"]}
    assert rows["… with no next step (should be none)"]["leads"] == kinds["none"]


@time_machine.travel(NOW, tick=False)
def test_it_finds_leads_sales_accepted_and_then_left(client, history, mia, sam):
    waiting, idle = [], []
    for handoff in Handoff.objects.filter(status="accepted"):
        lead = handoff.lead
        if lead.stage != "accepted":
            continue  # an opportunity, won or lost since
        waiting.append(lead)
        since = Touch.objects.filter(lead=lead, cycle=lead.cycle, at__gt=handoff.decided_at)
        if handoff.decided_at < NOW - timedelta(days=14) and not since.exists():
            idle.append(lead)
    assert [lead.pk for lead in idle] == [history["left"].pk]
    table = report(client, mia)["accepted"]
    [row] = table["rows"]
    assert (row["rep"], row["waiting"], row["idle"]) == ("sam", len(waiting), len(idle))
    assert row["longest"] == pytest.approx(20)


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_figures_of_now_whatever_the_period(client, history, mia):
    now, past = report(client, mia), report(client, mia, PAST)
    for table in ("untouched", "nurture", "accepted"):
        assert past[table]["rows"] == now[table]["rows"]
    assert past["attempts"]["total"]["leads"] == 0
    assert past["unresponsive"]["rows"] == []


@time_machine.travel(NOW, tick=False)
def test_it_keeps_the_segment_filters_for_the_figures_of_now(client, history, mia, bob):
    mine = [lead for lead in Lead.objects.exclude(stage__in=CLOSED).filter(owner=bob)
            if not Touch.objects.filter(lead=lead).exists()]
    assert mine
    found = report(client, mia, PAST + f"&qualifier={bob.pk}")
    assert found["untouched"]["total"]["leads"] == len(mine)
    # bob handed off one lead sales accepted three days ago: waiting, not left.
    [row] = found["accepted"]["rows"]
    assert (row["waiting"], row["idle"]) == (1, 0)


@time_machine.travel(NOW, tick=False)
def test_it_exports_the_same_numbers_as_csv(client, history, mia):
    client.force_login(mia)
    answer = client.get(f"/reports/coverage/{PERIOD}&format=csv&table=unresponsive")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    shown = report(client, mia)["unresponsive"]["rows"]
    assert rows[0] == ["Lead", "Lead page", "Closed on", "Closed by", "Attempts", "Reason given"]
    assert [row[1] for row in rows[1:]] == [row["page"] for row in shown]
    assert [int(row[4]) for row in rows[1:]] == [row["tries"] for row in shown]
    assert rows[2][0] == "'=HYPERLINK(1) <b>Eve</b>"  # a formula no spreadsheet runs


@time_machine.travel(NOW, tick=False)
def test_it_escapes_lead_names_on_the_page(client, history, mia):
    client.force_login(mia)
    body = client.get(f"/reports/coverage/{PERIOD}").content.decode()
    assert "<b>Eve</b>" not in body
    assert "&lt;b&gt;Eve&lt;/b&gt;" in body
    for chart in ("attempts-chart", "untouched-chart"):
        assert f'data-chart="{chart}-data"' in body


def test_it_refuses_qualifiers_sales_and_strangers(client, alice, sam):
    assert client.get("/reports/coverage/").status_code == 302
    for user in (alice, sam):
        client.force_login(user)
        assert client.get("/reports/coverage/").status_code == 403
        assert client.get("/reports/coverage/?format=json").status_code == 403


def test_it_answers_a_bad_filter_with_its_name(client, mia):
    client.force_login(mia)
    answer = client.get("/reports/coverage/?period=custom&end=2026-05-01&format=json")
    assert answer.status_code == 400
    assert "start" in answer.json()["errors"]
    assert client.get("/reports/coverage/?band=huge").status_code == 400
