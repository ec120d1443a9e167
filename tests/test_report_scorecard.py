"""The sales & marketing scorecard: each month's figures checked against a
plain recomputation from the records (stage changes, inquiries, outcomes,
campaign costs, targets) of a known history that spans two months and a year
boundary (December 2025, January 2026), built through intake, the lifecycle,
the handoff and outcomes; its printable version."""

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from leadgate.handoff.flow import accept
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.models import CampaignCost, Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Lead, Outcome, StageChange
from leadgate.leads.transitions import advance
from leadgate.reports import facts
from leadgate.reports.models import Target
from leadgate.reports.templatetags.report_cells import cell
from tests.browser import browser_page  # noqa: F401
from tests.factories import hand_off, make_campaign, make_lead, make_source, make_user

pytestmark = pytest.mark.django_db

URL = "/reports/scorecard/"
# December 2025 and January 2026; "now" is in February, so both are over.
PERIOD = "period=custom&start=2025-12-01&end=2026-01-31"
NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)
DEC, JAN = date(2025, 12, 1), date(2026, 1, 1)
STAGES = [("inquiries", Stage.INQUIRY), ("mqls", Stage.MQL), ("sals", Stage.ACCEPTED),
          ("opportunities", Stage.OPPORTUNITY), ("won", Stage.WON)]


def at(year, month, day, hour=10):
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def history(time_machine, alice, charlie, mia, sam):
    """Nine leads from December 2024 to February 2026 (one recycled), their
    campaign costs and the targets of the company and a team."""
    def move_to(when):
        time_machine.move_to(when, tick=False)

    def lead(when, owner=alice, source=None):
        move_to(when)
        return make_lead(owner=owner, source=source)

    webinar = make_source("Webinar")
    # Data begins in December 2024: January 2025 is known, December 2024 is not.
    lead(at(2024, 12, 15))
    old = lead(at(2025, 1, 10))
    move_to(at(2025, 1, 12))
    advance(old, "mql", by=mia)
    # Reached the stages across the year boundary: accepted in December, won in January.
    a = lead(at(2025, 11, 20), source=webinar)
    move_to(at(2025, 11, 25))
    advance(a, "mql", by=mia)
    move_to(at(2025, 12, 2))
    handoff = hand_off(a, alice, sam)
    move_to(at(2025, 12, 5))
    accept(handoff, by=sam)
    move_to(at(2025, 12, 20))
    record_outcome(a, kind="opportunity", by=sam, amount=Decimal("4000"))
    move_to(at(2026, 1, 8))
    record_outcome(a, kind="won", by=sam, amount=Decimal("5000"))
    # All in December, won without an opportunity first (it passes through one).
    b = lead(at(2025, 12, 10), source=webinar)
    move_to(at(2025, 12, 11))
    advance(b, "mql", by=mia)
    move_to(at(2025, 12, 15))
    handoff = hand_off(b, alice, sam)
    move_to(at(2025, 12, 16))
    accept(handoff, by=sam)
    move_to(at(2025, 12, 28))
    record_outcome(b, kind="won", by=sam, amount=Decimal("7000.50"))
    # Came in on New Year's Eve, everything else in January, then lost.
    c = lead(at(2025, 12, 31, 23))
    move_to(at(2026, 1, 2))
    advance(c, "mql", by=mia)
    move_to(at(2026, 1, 5))
    handoff = hand_off(c, alice, sam)
    move_to(at(2026, 1, 6))
    accept(handoff, by=sam)
    move_to(at(2026, 1, 20))
    record_outcome(c, kind="lost", by=sam, reason="no budget")
    # Disqualified, then back with a new inquiry: two cycles entered in January.
    d = lead(at(2026, 1, 3))
    move_to(at(2026, 1, 4))
    advance(d, "disqualified", by=mia, reason="student")
    move_to(at(2026, 1, 22))
    receive({"email": d.email, "first_name": "Ada", "last_name": "Again"}, channel="api")
    lead(at(2026, 1, 15))
    # Another team's lead.
    h = lead(at(2026, 1, 7), owner=charlie)
    move_to(at(2026, 1, 8))
    advance(h, "mql", by=mia)
    # February: the month in progress on NOW.
    f = lead(at(2026, 2, 3))
    move_to(at(2026, 2, 4))
    advance(f, "mql", by=mia)

    campaign = make_campaign(webinar, "Webinar series")
    CampaignCost.objects.bulk_create([
        CampaignCost(campaign=campaign, period_start=date(2025, 12, 1),
                     period_end=date(2025, 12, 31), amount=Decimal("3100")),
        # 31 days across the year boundary: 17 in December, 14 in January.
        CampaignCost(campaign=campaign, period_start=date(2025, 12, 15),
                     period_end=date(2026, 1, 14), amount=Decimal("3100")),
        CampaignCost(campaign=campaign, period_start=date(2026, 1, 1),
                     period_end=date(2026, 1, 31), amount=Decimal("2000.10")),
        CampaignCost(campaign=make_campaign(webinar), period_start=date(2026, 1, 1),
                     period_end=date(2026, 1, 31), amount=Decimal("999"), currency="EUR"),
    ])
    company = [(DEC, "sals", "3"), (DEC, "revenue", "6000"), (DEC, "inquiries", "4"),
               (JAN, "sals", "2"), (JAN, "revenue", "4000"), (JAN, "inquiries", "5"),
               (JAN, "cost", "3000"), (date(2026, 2, 1), "sals", "2"),
               (date(2025, 1, 1), "inquiries", "2")]
    Target.objects.bulk_create(Target(month=month, metric=metric, value=Decimal(value),
                                      set_by=mia) for month, metric, value in company)
    Target.objects.create(month=JAN, team=charlie.team, metric="mqls", value=Decimal("2"))
    facts.refresh(Lead.objects.values_list("pk", flat=True))
    move_to(NOW)
    return {"a": a, "b": b, "c": c, "d": d, "h": h, "webinar": webinar}


# -- the plain recomputation, from the records alone ------------------------------------


def plain_cycles():
    """(lead, cycle) -> when it began, and when it first reached each main stage
    (a stage passed over counts as reached when a later one was)."""
    moves = defaultdict(list)
    for change in StageChange.objects.order_by("at", "pk"):
        moves[change.lead_id, change.cycle].append(change)
    inquiries = defaultdict(list)
    for inquiry in Inquiry.objects.order_by("received_at"):
        inquiries[inquiry.lead_id, inquiry.cycle].append(inquiry.received_at)
    cycles = {}
    for lead in Lead.objects.all():
        for cycle in range(1, lead.cycle + 1):
            key = (lead.pk, cycle)
            began = lead.created_at if cycle == 1 else min(
                [*inquiries[key][:1], *[m.at for m in moves[key][:1]]])
            reached = {Stage.INQUIRY: began}
            for index, stage in enumerate(FUNNEL[1:], start=1):
                times = [m.at for m in moves[key]
                         if m.to_stage in FUNNEL and FUNNEL.index(Stage(m.to_stage)) >= index]
                if times:
                    reached[stage] = min(times)
            cycles[key] = reached
    return cycles


def in_month(when, month):
    return when is not None and (when.year, when.month) == (month.year, month.month)


def plain_month(month, leads=None):
    """The month's figures from StageChange, Inquiry, Outcome and CampaignCost."""
    cycles = {k: v for k, v in plain_cycles().items() if leads is None or k[0] in leads}
    found = {key: sum(1 for reached in cycles.values() if in_month(reached.get(stage), month))
             for key, stage in STAGES}
    found["revenue"] = sum((o.amount for o in Outcome.objects.filter(kind="won")
                            if in_month(o.at, month) and (leads is None or o.lead_id in leads)),
                           Decimal(0))
    cost = Decimal(0)
    for row in CampaignCost.objects.filter(currency="USD"):
        days = (row.period_end - row.period_start).days + 1
        day = row.period_start
        while day <= row.period_end:  # a day at a time
            if in_month(day, month):
                cost += row.amount / days
            day += timedelta(days=1)
    found["cost"] = cost.quantize(Decimal("0.01"))
    return found


def plain_target(month, metric, team=None):
    row = Target.objects.filter(month=month, metric=metric, team=team).first()
    return None if row is None else row.value


def tables(client, user, query=PERIOD):
    client.force_login(user)
    answer = client.get(f"{URL}?{query}&format=json")
    assert answer.status_code == 200, answer.content
    return {table["id"]: table for table in answer.json()["tables"]}


def rows_by(table, key="metric"):
    return {row[key]: row for row in table["rows"]}


# -- the figures -------------------------------------------------------------------------


def test_it_counts_each_month_as_the_records_say(client, history, mia):
    monthly = rows_by(tables(client, mia)["monthly"], "month")
    for month, label in ((DEC, "Dec 2025"), (JAN, "Jan 2026")):
        plain = plain_month(month)
        row = monthly[label]
        assert {key: row[key] for key in plain} == \
            {key: float(value) if key in ("revenue", "cost") else value
             for key, value in plain.items()}
    # The history does reach every stage in both months.
    assert plain_month(DEC)["won"] == 1 and plain_month(JAN)["won"] == 1
    assert plain_month(JAN)["inquiries"] == 4  # the recycled lead's second cycle too


def test_it_counts_a_stage_in_the_month_it_was_reached_not_when_the_lead_came_in(
        client, history, mia):
    stages = rows_by(tables(client, mia)["scorecard"])
    # Lead a came in in November, was accepted in December and won in January.
    assert stages["Won deals"]["actual"] == 1
    assert stages["SALs (accepted)"]["previous"] == 2  # a and b, in December
    money = rows_by(tables(client, mia)["money"])
    assert money["Revenue"]["actual"] == 5000.0
    assert money["Revenue"]["previous"] == 7000.5


def test_it_compares_the_month_with_its_target_and_the_month_before(client, history, mia):
    stages = rows_by(tables(client, mia)["scorecard"])
    jan, dec = plain_month(JAN), plain_month(DEC)
    sals = stages["SALs (accepted)"]
    target = plain_target(JAN, "sals")
    assert (sals["actual"], sals["target"]) == (jan["sals"], int(target))
    assert sals["gap"] == jan["sals"] - int(target)
    assert sals["attainment"] == pytest.approx(jan["sals"] / float(target))
    assert sals["previous"] == dec["sals"]
    assert sals["change"] == pytest.approx((jan["sals"] - dec["sals"]) / dec["sals"])
    assert stages["MQLs"]["target"] is None and stages["MQLs"]["gap"] is None


def test_it_counts_the_year_to_date_from_january(client, history, mia):
    stages = rows_by(tables(client, mia)["scorecard"])
    jan = plain_month(JAN)
    # The year to date of January 2026 leaves December 2025 out.
    assert stages["Inquiries"]["ytd"] == jan["inquiries"]
    assert stages["Inquiries"]["ytd_target"] == int(plain_target(JAN, "inquiries"))
    december = rows_by(tables(client, mia, "period=custom&start=2025-01-01&end=2025-12-31")[
        "scorecard"])
    plain = sum(plain_month(date(2025, m, 1))["inquiries"] for m in range(1, 13))
    assert december["Inquiries"]["ytd"] == plain
    assert december["Inquiries"]["ytd_target"] == int(
        plain_target(date(2025, 1, 1), "inquiries") + plain_target(DEC, "inquiries"))
    assert december["Inquiries"]["ytd_attainment"] == pytest.approx(plain / 6)


def test_it_takes_this_month_so_far_when_the_period_runs_on(client, history, mia):
    answer = tables(client, mia, "period=this_year")
    stages = rows_by(answer["scorecard"])
    # February 2026, in progress: this year has January and February so far.
    assert answer["scorecard"]["title"] == "Leads at each stage, Feb 2026"
    assert stages["MQLs"]["actual"] == plain_month(date(2026, 2, 1))["mqls"] == 1
    assert stages["MQLs"]["ytd"] == plain_month(JAN)["mqls"] + 1
    assert stages["SALs (accepted)"]["ytd_target"] == 4  # January's 2 and February's 2
    months = rows_by(answer["monthly"], "month")
    assert months["Mar 2026"]["mqls"] is None  # not yet


def test_it_compares_with_the_same_month_a_year_before_when_the_data_goes_back(
        client, history, mia):
    stages = rows_by(tables(client, mia)["scorecard"])
    last_year = plain_month(date(2025, 1, 1))
    assert stages["Inquiries"]["last_year"] == last_year["inquiries"] == 1
    assert stages["MQLs"]["last_year"] == last_year["mqls"] == 1
    jan = plain_month(JAN)
    assert stages["MQLs"]["yoy"] == pytest.approx((jan["mqls"] - 1) / 1)
    # December 2024 began after the data did: no comparison at all.
    december = tables(client, mia, "period=custom&start=2025-12-01&end=2025-12-31")
    assert "last_year" not in [c["key"] for c in december["scorecard"]["columns"]]


def test_it_spreads_campaign_costs_over_the_days_of_each_month(client, history, mia):
    money = rows_by(tables(client, mia)["money"])
    cost = money["Marketing cost"]
    assert cost["actual"] == float(plain_month(JAN)["cost"]) == 3400.10
    assert cost["previous"] == float(plain_month(DEC)["cost"]) == 4800.0
    assert cost["target"] == 3000.0
    client.force_login(mia)
    notes = client.get(f"{URL}?{PERIOD}&format=json").json()["notes"]
    assert any("EUR" not in note and "other than USD" in note for note in notes)


def test_it_uses_the_teams_figures_and_targets_with_the_team_filter(
        client, history, mia, charlie):
    team = charlie.team
    answer = tables(client, mia, f"{PERIOD}&team={team.pk}")
    stages = rows_by(answer["scorecard"])
    theirs = set(Lead.objects.filter(team=team).values_list("pk", flat=True))
    assert stages["MQLs"]["actual"] == plain_month(JAN, theirs)["mqls"] == 1
    assert stages["MQLs"]["target"] == int(plain_target(JAN, "mqls", team)) == 2
    assert stages["SALs (accepted)"]["target"] is None  # the company's is not the team's
    assert rows_by(answer["money"])["Marketing cost"]["actual"] is None


def test_it_shows_no_target_for_a_segment_a_target_was_not_set_for(client, history, mia):
    source = history["webinar"].pk
    answer = tables(client, mia, f"{PERIOD}&source={source}")
    stages = rows_by(answer["scorecard"])
    assert stages["SALs (accepted)"]["target"] is None
    assert stages["Won deals"]["actual"] == 1  # lead a, from the webinar
    # Costs follow a source (its campaigns' costs).
    assert rows_by(answer["money"])["Marketing cost"]["actual"] == 3400.10


def test_it_draws_actual_and_target_per_month_as_the_monthly_table_says(client, history, mia):
    client.force_login(mia)
    answer = client.get(f"{URL}?{PERIOD}&format=json").json()
    chart = next(c for c in answer["charts"] if c["id"] == "revenue-chart")
    monthly = next(t for t in answer["tables"] if t["id"] == "monthly")["rows"]
    actual, target = chart["datasets"]
    assert actual["data"] == [row["revenue"] for row in monthly] == [7000.5, 5000.0]
    assert target["dashed"] and target["data"] == [6000.0, 4000.0]
    assert chart["labels"] == ["Dec 2025", "Jan 2026"]


def test_it_exports_the_same_numbers_as_csv(client, history, mia):
    client.force_login(mia)
    answer = client.get(f"{URL}?{PERIOD}&format=csv&table=scorecard")
    assert answer.status_code == 200
    lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    stages = tables(client, mia)["scorecard"]["rows"]
    assert lines[0][:5] == ["Measure", "Jan 2026", "Target", "Gap", "% of target"]
    assert [line[0] for line in lines[1:]] == [row["metric"] for row in stages]
    assert [int(line[1]) for line in lines[1:]] == [row["actual"] for row in stages]


def test_it_is_for_managers_admins_and_marketing_only(client, alice, sam, mia):
    assert client.get(URL).status_code == 302  # to log in
    for user in (alice, sam):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}?format=json").status_code == 403
        assert client.get(f"{URL}?print=1").status_code == 403
    client.force_login(make_user("meg", "marketing"))
    assert client.get(URL).status_code == 200
    client.force_login(mia)
    assert client.get(URL).status_code == 200


def test_it_answers_a_bad_filter_with_its_name(client, mia):
    client.force_login(mia)
    answer = client.get(f"{URL}?period=custom&start=2026-05-01&format=json")
    assert answer.status_code == 400
    assert "end" in answer.json()["errors"]
    printed = client.get(f"{URL}?period=custom&start=2026-05-01&print=1")
    assert printed.status_code == 400
    assert 'id="end-error"' in printed.content.decode()


def test_it_links_the_print_version_and_the_targets(client, history, mia):
    client.force_login(mia)
    page = client.get(f"{URL}?{PERIOD}").content.decode()
    assert f'href="/reports/scorecard/?{PERIOD.replace("&", "&amp;")}&amp;print=1"' in page
    assert 'href="/reports/targets/?year=2026"' in page
    assert "Set targets" in page


# -- the printable version ---------------------------------------------------------------


def test_it_prints_without_navigation_or_filters(client, history, mia):
    client.force_login(mia)
    answer = client.get(f"{URL}?{PERIOD}&print=1")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'class="topbar"' not in page and 'class="mainnav"' not in page
    assert "<form" not in page and 'name="period"' not in page
    assert "leadgate/print.css" in page
    assert 'id="scorecard"' in page and "Marketing cost" in page
    assert 'data-chart="revenue-chart-data"' in page
    assert "Sales &amp; marketing scorecard: Jan 2026" in page
    assert f'href="/reports/scorecard/?{PERIOD.replace("&", "&amp;")}"' in page  # back


def test_it_prints_the_same_numbers_as_the_page(client, history, mia):
    client.force_login(mia)
    page = client.get(f"{URL}?{PERIOD}&print=1").content.decode()
    stages = rows_by(tables(client, mia)["scorecard"])
    sals = stages["SALs (accepted)"]
    row = page.split("SALs (accepted)</th>")[1].split("</tr>")[0]
    assert f'data-key="actual">{sals["actual"]}</td>' in row
    assert f'data-key="target">{sals["target"]}</td>' in row
    assert f'<td class="num behind" data-key="attainment">{cell(0.5, "percent")}</td>' in row


def test_it_lays_the_print_out_on_a_landscape_a4_page():
    css = (Path(__file__).resolve().parents[1] / "leadgate" / "static" / "leadgate"
           / "print.css").read_text()
    assert "@page { size: A4 landscape;" in css
    assert "@media print" in css


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_prints_to_one_landscape_a4_page_with_its_charts(browser_page, alice,  # noqa: F811
                                                            mia):
    from tests.browser import log_in

    lead = make_lead(owner=alice)
    advance(lead, "mql", by=mia)
    month = timezone.localdate().replace(day=1)
    Target.objects.create(month=month, metric="mqls", value=Decimal("3"))
    facts.refresh([lead.pk])
    page = browser_page
    page.add_init_script("""window.__csp = [];
      document.addEventListener("securitypolicyviolation",
        e => window.__csp.push(e.violatedDirective));""")
    log_in(page, "mia")
    page.goto(f"{URL}?period=this_month&print=1")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length"
                           " === 2 && [...document.querySelectorAll('canvas')]"
                           ".every(c => window.Chart.getChart(c))")
    assert page.locator(".topbar, form.filters").count() == 0
    assert page.locator("#scorecard tbody tr").count() == 7
    assert page.evaluate("window.__csp") == []
    page.wait_for_timeout(600)  # the charts' entrance animation
    pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    width, height = (float(n) for n in re.search(
        rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf).groups())
    assert (round(width), round(height)) == (842, 595)  # A4, landscape, in points
