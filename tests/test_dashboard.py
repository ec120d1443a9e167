"""The manager's dashboard: open SLA breaches, unworked leads, handoffs
waiting for sales and this month against target, each checked against a
plain recomputation from the records (SLA clocks, touches, stage changes,
handoffs, outcomes, targets); the managers' home page."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from leadgate.handoff.flow import accept
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.models import Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.lifecycle import FUNNEL, ON_DESK, Stage
from leadgate.leads.models import Handoff, Lead, Outcome, StageChange, Touch
from leadgate.leads.transitions import advance
from leadgate.reports import facts
from leadgate.reports.dashboard import today
from leadgate.reports.models import Target
from leadgate.routing.models import SlaClock, SlaPolicy
from leadgate.routing.sla import check_breaches, start_clock, stop_clock
from tests.factories import hand_off, make_lead, make_user

pytestmark = pytest.mark.django_db

URL = "/reports/dashboard/"
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
MARCH = date(2026, 3, 1)


def arrive(lead, at):
    """A hot web inquiry: a five-minute response clock (around the clock)."""
    inquiry = Inquiry.objects.create(lead=lead, channel="form", is_hot=True, received_at=at)
    return start_clock(lead, inquiry, now=at)


def call(lead, actor, at, direction="outbound"):
    return Touch.objects.create(lead=lead, cycle=lead.cycle, actor=actor, at=at,
                                direction=direction, channel="call", disposition="no_answer")


@pytest.fixture
def history(time_machine, alice, mia, sam):
    def move_to(when):
        time_machine.move_to(when, tick=False)

    def lead(when):
        move_to(when)
        return make_lead(owner=alice)

    SlaPolicy.objects.update(business_hours=False, escalate=False)
    hours = timedelta(hours=1)
    leads = {}
    # Breached two hours ago and still waiting.
    leads["late"] = lead(NOW - 3 * hours)
    arrive(leads["late"], NOW - 3 * hours)
    # Breached, then called: answered late, no longer open.
    leads["answered"] = lead(NOW - 3 * hours)
    arrive(leads["answered"], NOW - 3 * hours)
    # Breached, then a new clock for a new owner (an escalation), not yet due.
    leads["escalated"] = lead(NOW - 3 * hours)
    arrive(leads["escalated"], NOW - 3 * hours)
    # Breached, then nurtured: off the desk.
    leads["nurtured"] = lead(NOW - 3 * hours)
    arrive(leads["nurtured"], NOW - 3 * hours)
    move_to(NOW - 2 * hours)
    assert check_breaches(NOW - 2 * hours) == 4
    stop_clock(call(leads["answered"], alice, NOW - hours))
    clock = SlaClock.objects.get(lead=leads["escalated"])
    SlaClock.objects.create(lead=leads["escalated"], policy=clock.policy, owner=alice,
                            started_at=NOW - hours, due_at=NOW + hours)
    move_to(NOW - hours)
    advance(leads["nurtured"], "nurture", by=mia, reason="next quarter")
    # Due half an hour ago, the breach check has not run since: late all the same.
    leads["overdue"] = lead(NOW - 40 * timedelta(minutes=1))
    arrive(leads["overdue"], NOW - 40 * timedelta(minutes=1))
    # Just arrived: its clock runs.
    leads["fresh"] = lead(NOW - timedelta(minutes=2))
    arrive(leads["fresh"], NOW - timedelta(minutes=2))
    # Acknowledged by email only (no person): unworked for five days.
    leads["acknowledged"] = lead(NOW - timedelta(days=5))
    call(leads["acknowledged"], None, NOW - timedelta(days=5), direction="outbound")
    # Touched by a person: worked, however long ago.
    leads["worked"] = lead(NOW - timedelta(days=9))
    call(leads["worked"], alice, NOW - timedelta(days=8), direction="inbound")
    # Worked in its first cycle a month ago, back two days ago: unworked since then.
    leads["back"] = lead(NOW - timedelta(days=30))
    call(leads["back"], alice, NOW - timedelta(days=29))
    move_to(NOW - timedelta(days=20))
    advance(leads["back"], "disqualified", by=mia, reason="no project")
    move_to(NOW - timedelta(days=2))
    receive({"email": leads["back"].email, "first_name": "Ada", "last_name": "Back"},
            channel="api")
    # Handed off in February, accepted in February, won in March.
    leads["won"] = lead(datetime(2026, 2, 18, 10, tzinfo=UTC))
    handoff = hand_off(leads["won"], alice, sam)
    move_to(datetime(2026, 2, 20, 10, tzinfo=UTC))
    accept(handoff, by=sam)
    move_to(datetime(2026, 3, 3, 10, tzinfo=UTC))
    record_outcome(leads["won"], kind="won", by=sam, amount=Decimal("8000"))
    # Handed off and accepted in March.
    leads["accepted"] = lead(datetime(2026, 3, 8, 10, tzinfo=UTC))
    handoff = hand_off(leads["accepted"], alice, sam)
    move_to(NOW - timedelta(hours=20))
    accept(handoff, by=sam)
    # Waiting for sales: one for two days, one for an hour.
    leads["waiting"] = lead(NOW - timedelta(days=3))
    move_to(NOW - timedelta(days=2))
    hand_off(leads["waiting"], alice, sam)
    leads["just sent"] = lead(NOW - 2 * hours)
    move_to(NOW - hours)
    hand_off(leads["just sent"], alice, sam)

    Target.objects.bulk_create([
        Target(month=MARCH, metric="sals", value=Decimal("10")),
        Target(month=MARCH, metric="won", value=Decimal("2")),
        Target(month=MARCH, metric="revenue", value=Decimal("20000")),
        Target(month=MARCH, team=alice.team, metric="sals", value=Decimal("99")),
        Target(month=date(2026, 2, 1), metric="sals", value=Decimal("7")),
    ])
    facts.refresh(Lead.objects.values_list("pk", flat=True))
    move_to(NOW)
    return leads


# -- plain recomputations ----------------------------------------------------------------


def human(touch):
    return touch.actor_id is not None and touch.direction == "outbound"


def plain_breaches():
    late = {}
    for clock in SlaClock.objects.select_related("lead"):
        lead = clock.lead
        if lead.stage not in ON_DESK or clock.cycle != lead.cycle:
            continue
        newer = SlaClock.objects.filter(lead=lead, started_at__gt=clock.started_at).exists()
        answered = any(human(t) and t.at >= clock.started_at
                       for t in Touch.objects.filter(lead=lead))
        if ((clock.state == "breached" and clock.stopped_at is None and not newer
             and not answered) or (clock.state == "running" and clock.due_at <= NOW)):
            late[lead.pk] = min(late.get(lead.pk, clock.due_at), clock.due_at)
    return len(late), min(late.values(), default=None)


def cycle_start(lead):
    if lead.cycle == 1:
        return lead.created_at
    times = [i.received_at for i in Inquiry.objects.filter(lead=lead, cycle=lead.cycle)]
    times += [c.at for c in StageChange.objects.filter(lead=lead, cycle=lead.cycle)]
    return min(times)


def plain_unworked():
    waiting = [cycle_start(lead) for lead in Lead.objects.all()
               if lead.stage in ON_DESK and not any(
                   t.actor_id is not None
                   for t in Touch.objects.filter(lead=lead, cycle=lead.cycle))]
    return len(waiting), min(waiting, default=None)


def in_march(when):
    return when is not None and (when.year, when.month) == (2026, 3)


def plain_month():
    firsts = {}
    for change in StageChange.objects.order_by("at", "pk"):
        if change.to_stage in FUNNEL:
            for stage in FUNNEL[:FUNNEL.index(Stage(change.to_stage)) + 1]:
                firsts.setdefault((change.lead_id, change.cycle, stage), change.at)
    reached = {stage: sum(1 for (_l, _c, s), at in firsts.items() if s == stage and in_march(at))
               for stage in (Stage.ACCEPTED, Stage.WON)}
    revenue = sum((o.amount for o in Outcome.objects.filter(kind="won") if in_march(o.at)),
                  Decimal(0))
    return {"sals": reached[Stage.ACCEPTED], "won": reached[Stage.WON], "revenue": revenue}


# -- the numbers ---------------------------------------------------------------------------


def test_it_counts_the_sla_breaches_open_now(history):
    count, since = plain_breaches()
    found = today().breaches
    assert (found["count"], found["since"]) == (count, since)
    assert count == 2  # the one still waiting, and the one the check has not seen yet
    assert since == NOW - timedelta(hours=3) + timedelta(minutes=5)


def test_it_counts_the_unworked_leads_and_the_oldest_since_its_cycle_began(history):
    count, since = plain_unworked()
    found = today().unworked
    assert (found["count"], found["since"]) == (count, since)
    # late, escalated, overdue, fresh, acknowledged, back (second cycle)
    assert count == 6
    assert since == NOW - timedelta(days=5)  # not the month-old first cycle of "back"


def test_it_counts_the_handoffs_waiting_for_sales(history):
    pending = list(Handoff.objects.filter(status="pending"))
    found = today().handoffs
    assert found["count"] == len(pending) == 2
    assert found["since"] == min(h.created_at for h in pending) == NOW - timedelta(days=2)
    assert found["late"] == sum(1 for h in pending if h.due_at < NOW)


def test_it_compares_this_month_so_far_with_the_month_and_its_share_of_target(history):
    plain = plain_month()
    assert plain == {"sals": 1, "won": 1, "revenue": Decimal("8000")}
    month = today().month
    elapsed = (NOW - datetime(2026, 3, 1, tzinfo=UTC)) / timedelta(days=31)
    assert month.elapsed == pytest.approx(elapsed)
    rows = {row["key"]: row for row in month.rows}
    for key, target in (("sals", 10), ("won", 2), ("revenue", 20000)):
        row = rows[key]
        assert row["actual"] == plain[key]
        assert row["target"] == target  # the company's, not a team's
        assert row["attainment"] == pytest.approx(float(plain[key]) / target)
        assert float(row["pro_rata"]) == pytest.approx(target * elapsed, rel=1e-5)
        assert row["pace"] == pytest.approx(float(plain[key]) / (target * elapsed), rel=1e-5)
    assert rows["sals"]["tone"] == "behind" and rows["won"]["tone"] == "ahead"


def test_it_answers_in_a_handful_of_queries(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        today()


def test_it_shows_each_number_with_a_link_to_its_list(client, history, mia):
    client.force_login(mia)
    answer = client.get(URL)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert '<p class="dash-figure bad" data-value="2">2</p>' in page
    assert '<p class="dash-figure bad" data-value="6">6</p>' in page
    assert 'data-value="2">2</p>' in page.split('id="handoffs"')[1]
    assert 'href="/routing/alerts/?kind=sla_breach"' in page
    assert 'href="/desk/aging/?days=1"' in page
    assert 'href="/sales/"' in page
    assert 'href="/reports/scorecard/?period=this_month"' in page
    assert "Mar 2026 so far, against target" in page
    assert "$8,000" in page and "$20,000" in page


def test_it_says_when_no_target_is_set(client, mia, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(mia)
    page = client.get(URL).content.decode()
    assert "No targets set for Mar 2026" in page
    assert 'href="/reports/targets/"' in page


def test_it_is_the_home_page_of_managers_and_admins(client, mia):
    client.force_login(mia)
    assert client.get("/")["Location"] == URL
    client.force_login(make_user("ada", "admin"))
    assert client.get("/")["Location"] == URL


def test_it_is_for_managers_and_admins_only(client, alice, sam, mia):
    assert client.get(URL).status_code == 302
    for user in (alice, sam, make_user("meg", "marketing")):
        client.force_login(user)
        assert client.get(URL).status_code == 403
    client.force_login(make_user("ada", "admin"))
    assert client.get(URL).status_code == 200
