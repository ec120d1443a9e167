"""The demand waterfall and the summary table it reads, checked against a
plain recomputation from the stage history of a generated, known history
(several cycles, recycles, every side exit)."""

import csv
import io
import json
import random
import statistics
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from leadgate.handoff.flow import accept, reject
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.pipeline import receive
from leadgate.leads import events
from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Lead, StageChange
from leadgate.leads.transitions import advance
from leadgate.reports import facts
from leadgate.reports.models import CycleFact
from leadgate.reports.tasks import fill_missing_facts
from tests.factories import hand_off, make_lead, make_source

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(0))
SIDE = {"nurture", "disqualified", "rejected", "lost"}
# The ways a cycle can go: each step is a stage, or what sales does.
PATHS = [
    [], ["mql"], ["mql", "working"], ["working", "disqualified"], ["mql", "nurture"],
    ["handoff"], ["handoff", "accept"], ["handoff", "accept", "opportunity", "won"],
    ["handoff", "reject", "working"], ["handoff", "reject"], ["handoff", "accept", "lost"],
    ["mql", "working", "handoff", "accept", "opportunity", "lost"],
]


def walk(lead, path, rng, qualifier, manager, rep, at):
    """Take `lead` along `path`, a few hours to days per step; returns the time."""
    handoff = None
    for step in path:
        at += timedelta(hours=rng.randint(2, 200))
        with time_machine.travel(at, tick=False):
            lead.refresh_from_db()
            if step == lead.stage:
                continue  # the step before took it there (a rejection goes back to work)
            if step == "handoff":
                handoff = hand_off(lead, qualifier, rep)
            elif step == "accept":
                accept(handoff, by=rep)
            elif step == "reject":
                reject(handoff, by=rep, reason="no_budget")
            elif step in ("opportunity", "won"):
                record_outcome(lead, kind=step, by=rep, amount=Decimal(rng.randint(5, 90) * 1000))
            elif step == "lost":
                record_outcome(lead, kind="lost", by=rep, reason="went with a competitor")
            else:
                reason = f"reason {rng.randint(1, 3)}" if step in SIDE else ""
                advance(lead, step, by=manager, reason=reason)
    return at


@pytest.fixture
def history(alice, mia, sam):
    """36 first cycles (each path three times) and three returning ones, from two sources."""
    rng = random.Random(7)
    sources = [make_source("Webinar"), make_source("Paid search")]
    leads = []
    for i in range(36):
        at = START + timedelta(days=i * 3)
        with time_machine.travel(at, tick=False):
            lead = make_lead(owner=alice, source=sources[i % 2])
        walk(lead, PATHS[i % len(PATHS)], rng, alice, mia, sam, at)
        leads.append(lead)
    # A person disqualified comes back with a new inquiry: a second cycle.
    for lead in leads[3:40:len(PATHS)]:
        lead.refresh_from_db()
        at = START + timedelta(days=200 + lead.pk % 7)
        with time_machine.travel(at, tick=False):
            receive({"email": lead.email, "first_name": lead.first_name,
                     "last_name": lead.last_name}, channel="api")
        lead.refresh_from_db()
        walk(lead, ["mql", "working", "handoff", "accept"], rng, alice, mia, sam, at)
    while events.consume("reports"):
        pass
    fill_missing_facts.call()  # make_lead() writes no event, as a bulk path would not
    return leads


def plain_cycles():
    """(lead, cycle) -> its stage moves in order, from StageChange alone."""
    cycles: dict[tuple[int, int], list[StageChange]] = {}
    for change in StageChange.objects.order_by("at", "pk"):
        cycles.setdefault((change.lead_id, change.cycle), []).append(change)
    for lead in Lead.objects.all():
        cycles.setdefault((lead.pk, 1), [])
    return cycles


def plain_furthest(moves):
    reached = [FUNNEL.index(Stage(m.to_stage)) for m in moves if m.to_stage in FUNNEL]
    return max(reached, default=0)


def report_json(client, user, query=""):
    client.force_login(user)
    answer = client.get(f"/reports/waterfall/?period=custom&start=2026-01-01&end=2026-12-31"
                        f"{query}&format=json")
    assert answer.status_code == 200
    return {table["id"]: table for table in answer.json()["tables"]}


@time_machine.travel(START + timedelta(days=400), tick=False)
def test_it_counts_each_stage_as_the_stage_history_says(client, history, mia):
    furthest = [plain_furthest(moves) for moves in plain_cycles().values()]
    expected = [sum(1 for f in furthest if f >= i) for i in range(len(FUNNEL))]
    stages = report_json(client, mia)["stages"]["rows"]
    assert [row["reached"] for row in stages] == expected
    assert expected[-1] > 0 and expected[3] > expected[-1]  # the history reaches won
    for i in range(1, len(FUNNEL)):
        assert (stages[i]["from_previous"]["k"], stages[i]["from_previous"]["n"]) == \
            (expected[i], expected[i - 1])


@time_machine.travel(START + timedelta(days=400), tick=False)
def test_it_counts_each_cycle_under_the_last_side_stage_it_went_to(client, history, mia):
    plain = Counter()
    for moves in plain_cycles().values():
        side = [move.to_stage for move in moves if move.to_stage in SIDE]
        if side:
            plain[side[-1]] += 1
    rows = report_json(client, mia)["exits"]["rows"]
    shown = {row["exit"]: row["leads"] for row in rows if row["reason"] == "all reasons"}
    assert shown == {Stage(exit).label: plain[exit] for exit in ("nurture", "disqualified",
                                                                  "rejected", "lost")}
    assert plain["rejected"] and plain["lost"]


@time_machine.travel(START + timedelta(days=400), tick=False)
def test_it_counts_returning_cycles_apart(client, history, mia):
    returning = [key for key in plain_cycles() if key[1] > 1]
    rows = {row["cycle"]: row for row in report_json(client, mia)["cycles"]["rows"]}
    assert rows["Second"]["inquiry"] == len(returning) > 0
    assert rows["First"]["inquiry"] == len(history)


@time_machine.travel(START + timedelta(days=400), tick=False)
def test_it_gives_the_median_days_in_working_to_the_hour(client, history, mia):
    spans = []
    for moves in plain_cycles().values():
        firsts = {}
        for move in moves:
            firsts.setdefault(move.to_stage, move.at)
        if "working" in firsts and "qualified" in firsts:
            spans.append((firsts["qualified"] - firsts["working"]).total_seconds() / 86400)
    row = report_json(client, mia)["stages"]["rows"][FUNNEL.index(Stage.WORKING)]
    assert row["median_days"] == pytest.approx(statistics.median(spans), abs=1 / 24)


@time_machine.travel(START + timedelta(days=400), tick=False)
def test_it_filters_by_source(client, history, mia):
    webinar = [lead.pk for lead in history if lead.source.name == "Webinar"]
    cycles = [key for key in plain_cycles() if key[0] in webinar]
    source = history[0].source_id
    rows = report_json(client, mia, f"&source={source}")["stages"]["rows"]
    assert rows[0]["reached"] == len(cycles)


@time_machine.travel(START + timedelta(days=400), tick=False)
def test_it_exports_the_same_numbers_as_csv(client, history, mia):
    client.force_login(mia)
    answer = client.get("/reports/waterfall/?period=custom&start=2026-01-01&end=2026-12-31"
                        "&format=csv&table=stages")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    stages = report_json(client, mia)["stages"]["rows"]
    assert [int(row[1]) for row in rows[1:]] == [row["reached"] for row in stages]
    assert rows[0][:3] == ["Stage", "Reached", "From the stage before"]


def test_it_refuses_qualifiers_and_sends_strangers_to_log_in(client, alice):
    assert client.get("/reports/waterfall/").status_code == 302
    client.force_login(alice)
    assert client.get("/reports/waterfall/").status_code == 403
    assert client.get("/reports/waterfall/?format=json").status_code == 403


def test_it_answers_a_bad_filter_with_its_name(client, mia):
    client.force_login(mia)
    answer = client.get("/reports/waterfall/?period=custom&start=2026-05-01&format=json")
    assert answer.status_code == 400
    assert "end" in answer.json()["errors"]
    page = client.get("/reports/waterfall/?country=Germany")
    assert page.status_code == 400
    assert "not a two-letter country code" in page.content.decode()


def test_it_escapes_lead_data_in_reasons(client, alice, mia):
    lead = make_lead(owner=alice)
    advance(lead, "disqualified", by=mia, reason="<script>alert(1)</script>")
    facts.refresh([lead.pk])
    client.force_login(mia)
    page = client.get("/reports/waterfall/?period=this_year").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_keeps_the_table_equal_to_a_full_recomputation(history):
    assert list(facts.drift()) == []
    call_command("reports", "check", stdout=io.StringIO())


def test_it_finds_a_row_that_drifted(history):
    row = CycleFact.objects.filter(furthest__gt=2).first()
    CycleFact.objects.filter(pk=row.pk).update(furthest=0)
    found = list(facts.drift())
    assert (row.lead_id, row.cycle, "furthest", 0, row.furthest) in found
    with pytest.raises(CommandError, match="differences"):
        call_command("reports", "check", stdout=io.StringIO())
    call_command("reports", "rebuild", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(facts.drift()) == []


def test_it_fills_rows_for_leads_that_have_none(alice):
    leads = [make_lead(owner=alice) for _ in range(3)]
    CycleFact.objects.all().delete()
    assert fill_missing_facts.call() == 3
    assert set(CycleFact.objects.values_list("lead_id", flat=True)) == {lead.pk for lead in leads}


def test_it_refreshes_a_lead_from_its_events(alice, mia):
    lead = make_lead(owner=alice)
    while events.consume("reports"):
        pass
    advance(lead, "mql", by=mia)
    assert not CycleFact.objects.filter(lead=lead).exists()
    while events.consume("reports"):
        pass
    assert CycleFact.objects.get(lead=lead).furthest == FUNNEL.index(Stage.MQL)


def test_it_shows_the_page_with_charts_and_tables(client, history, mia):
    client.force_login(mia)
    page = client.get("/reports/waterfall/?period=custom&start=2026-01-01&end=2026-12-31")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-chart="waterfall-chart-data"' in body
    spec = json.loads(body.split('id="waterfall-chart-data" type="application/json">')[1]
                      .split("</script>")[0])
    assert spec["datasets"][0]["data"][0] == len(plain_cycles())


def test_it_recomputes_the_survivors_rows_after_a_merge_and_its_undo(alice, mia):
    from leadgate.intake.merge import merge, undo

    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    advance(merged, "disqualified", by=mia, reason="duplicate")
    facts.refresh([survivor.pk, merged.pk])
    record = merge(survivor, merged, by=mia)
    while events.consume("reports"):
        pass
    assert list(CycleFact.objects.values_list("lead_id", flat=True)) == [survivor.pk]
    assert list(facts.drift()) == []
    undo(record, by=mia)
    while events.consume("reports"):
        pass
    assert list(facts.drift()) == []
    assert CycleFact.objects.filter(lead_id=merged.pk).exists()
