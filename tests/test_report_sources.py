"""Source and campaign effectiveness: each figure of the report checked
against a plain recomputation from the records (inquiries, stage changes,
outcomes, campaign costs), on a known history built through intake, the
lifecycle, the handoff and outcomes."""

import csv
import html
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadgate.handoff import flow
from leadgate.handoff.outcomes import record_outcome
from leadgate.intake.models import CampaignCost, Inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Outcome, StageChange
from leadgate.leads.transitions import advance
from leadgate.lib.proportions import Rate, rate
from leadgate.reports import facts
from leadgate.reports.sources import ABOVE, BELOW, TIED, split, versus
from leadgate.reports.templatetags.report_cells import cell
from leadgate.workspace.models import Qualification
from tests.factories import make_campaign, make_source, make_user

pytestmark = pytest.mark.django_db

URL = "/reports/sources/"
START, END = date(2025, 2, 1), date(2025, 4, 1)  # February and March 2025
PERIOD = "period=custom&start=2025-02-01&end=2025-03-31"
STAGE_KEYS = [("leads", Stage.INQUIRY), ("mqls", Stage.MQL), ("sals", Stage.ACCEPTED),
              ("opportunities", Stage.OPPORTUNITY), ("won", Stage.WON)]
PER = [("per_lead", "leads"), ("per_mql", "mqls"), ("per_sal", "sals"),
       ("per_opportunity", "opportunities"), ("per_won", "won")]
CENT = Decimal("0.01")


def noon(month, day, year=2025):
    return datetime(year, month, day, 12, tzinfo=UTC)


class History:
    """Who acts, and the steps of a lead's life at given times."""

    def __init__(self, time_machine, mia, alice, sam):
        self.tm, self.mia, self.alice, self.sam = time_machine, mia, alice, sam
        self.leads = []

    def at(self, when):
        self.tm.move_to(when, tick=False)

    def inquire(self, email, when, campaign=None, source=None):
        self.at(when)
        lead = receive({"email": email, "first_name": "Lee"}, channel="form",
                       source=source, campaign=campaign, at=when).lead
        self.leads.append(lead.pk)
        return lead

    def win(self, lead, when, amount, opportunity=None):
        """MQL, working, handed off, accepted, opportunity, won at `when`."""
        self.at(when - timedelta(days=4))
        advance(lead, Stage.MQL, by=self.mia)
        advance(lead, Stage.WORKING, by=self.alice)
        Qualification.objects.create(lead=lead, cycle=lead.cycle, verdict="sales_ready",
                                     by=self.alice)
        handoff = flow.send(lead, by=self.alice, to_user=self.sam, dossier={})
        self.at(when - timedelta(days=3))
        flow.accept(handoff, by=self.sam)
        self.at(when - timedelta(days=2))
        record_outcome(lead, kind="opportunity", by=self.sam,
                       amount=Decimal(opportunity or amount))
        if amount is not None:
            self.at(when)
            record_outcome(lead, kind="won", by=self.sam, amount=Decimal(amount))


@pytest.fixture
def marketer(db):
    return make_user("marco", "marketing")


@pytest.fixture
def world(time_machine, mia, alice, sam):
    """Sources Website (campaigns W1, W2), Ads (A1), Events (E1: costs only),
    Referrals (R1: no costs), and leads with no source; costs overlapping
    February-March partly; leads with several inquiries from different
    sources, a returning lead, a deal won from a lead of January."""
    web, ads, events, referrals = (make_source(name) for name in
                                   ("Website", "Ads", "Events", "Referrals"))
    w1, w2 = make_campaign(web, "W1 demo requests"), make_campaign(web, "W2 webinars")
    a1, e1 = make_campaign(ads, "A1 search"), make_campaign(events, "E1 roadshow")
    r1 = make_campaign(referrals, "R1 customers")
    CampaignCost.objects.bulk_create([
        CampaignCost(campaign=w1, period_start=date(2025, 1, 1), period_end=date(2025, 1, 31),
                     amount=Decimal("1000")),  # before the period
        CampaignCost(campaign=w1, period_start=date(2025, 2, 1), period_end=date(2025, 2, 28),
                     amount=Decimal("2800")),  # inside
        CampaignCost(campaign=w1, period_start=date(2025, 3, 15),
                     period_end=date(2025, 4, 13), amount=Decimal("3000")),  # 17 of 30 days
        CampaignCost(campaign=w2, period_start=date(2025, 1, 15),
                     period_end=date(2025, 2, 13), amount=Decimal("600")),  # 13 of 30 days
        CampaignCost(campaign=a1, period_start=date(2025, 2, 1), period_end=date(2025, 3, 31),
                     amount=Decimal("5900")),
        CampaignCost(campaign=a1, period_start=date(2025, 3, 1), period_end=date(2025, 3, 31),
                     amount=Decimal("999"), currency="EUR"),  # another currency: left out
        CampaignCost(campaign=e1, period_start=date(2025, 3, 1), period_end=date(2025, 3, 31),
                     amount=Decimal("3100")),
        CampaignCost(campaign=e1, period_start=date(2025, 4, 1), period_end=date(2025, 4, 30),
                     amount=Decimal("777")),  # after the period
    ])
    h = History(time_machine, mia, alice, sam)
    # Three inquiries from three sources; won for 9,000 (opportunity 8,000).
    one = h.inquire("one@example.com", noon(2, 5), campaign=w1)
    h.inquire("one@example.com", noon(2, 20), campaign=a1)
    h.inquire("one@example.com", noon(3, 1))
    h.win(one, noon(3, 10), "9000", opportunity="8000")
    # Two inquiries, won for an odd number of cents.
    two = h.inquire("two@example.com", noon(2, 10), campaign=a1)
    h.inquire("two@example.com", noon(2, 12), campaign=w2)
    h.win(two, noon(3, 3), "1000.01")
    # An open opportunity.
    three = h.inquire("three@example.com", noon(2, 15), campaign=w2)
    h.win(three, noon(3, 20), None, opportunity="5000")
    # An MQL; leads that went nowhere; one of a campaign with no costs.
    four = h.inquire("four@example.com", noon(3, 2), campaign=w1)
    h.at(noon(3, 4))
    advance(four, Stage.MQL, by=mia)
    for i, day in enumerate((6, 16, 26)):
        h.inquire(f"ads{i}@example.com", noon(2, day), campaign=a1)
    h.inquire("ref@example.com", noon(2, 8), campaign=r1)
    # No source, won.
    five = h.inquire("five@example.com", noon(3, 5))
    h.win(five, noon(3, 15), "700")
    # Came in in January, won in February: outside the period's cohort.
    six = h.inquire("six@example.com", noon(1, 20), campaign=w1)
    h.win(six, noon(2, 25), "4000")
    # Disqualified in its first cycle (Ads), back through W1 and won in its second.
    seven = h.inquire("seven@example.com", noon(2, 1), campaign=a1)
    h.at(noon(2, 3))
    advance(seven, Stage.DISQUALIFIED, by=mia, reason="no budget")
    seven = h.inquire("seven@example.com", noon(3, 20), campaign=w1)
    h.win(seven, noon(3, 28), "2000")
    facts.refresh(h.leads)
    h.at(noon(4, 15))
    return {"sources": (web, ads, events, referrals), "campaigns": (w1, w2, a1, e1, r1)}


# -- the plain recomputation, from the records ------------------------------------------


def cycles_from_records():
    """(lead, cycle) -> what the records say: its inquiries in order, when
    it reached each stage (or a later one), its revenue and pipeline."""
    cycles = {}
    for inquiry in Inquiry.objects.select_related("source", "campaign").order_by(
            "received_at", "pk"):
        cycle = cycles.setdefault((inquiry.lead_id, inquiry.cycle), {
            "inquiries": [], "moves": [], "won_amounts": [], "opportunity_amounts": []})
        cycle["inquiries"].append(inquiry)
    for change in StageChange.objects.order_by("at", "pk"):
        cycles[change.lead_id, change.cycle]["moves"].append((change.to_stage, change.at))
    for outcome in Outcome.objects.order_by("at", "pk"):
        cycle = cycles[outcome.lead_id, outcome.cycle]
        if outcome.kind == "won":
            cycle["won_amounts"].append(outcome.amount)
        elif outcome.kind == "opportunity" and outcome.amount is not None:
            cycle["opportunity_amounts"].append(outcome.amount)
    for cycle in cycles.values():
        first = cycle["inquiries"][0]
        cycle["entered"] = first.received_at
        cycle["source"] = first.source.name if first.source else "No source"
        cycle["campaign"] = first.campaign.name if first.campaign else "No campaign"
        cycle["reached"] = {}
        for key, stage in STAGE_KEYS:
            later = FUNNEL[FUNNEL.index(stage):]
            times = [at for to, at in cycle["moves"] if to in later]
            cycle["reached"][key] = cycle["entered"] if key == "leads" else min(times,
                                                                                default=None)
        cycle["revenue"] = sum(cycle["won_amounts"], Decimal(0))
        cycle["pipeline"] = (cycle["opportunity_amounts"] or [cycle["revenue"]])[-1]
    return cycles


def midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def within(at, start=START, end=END):
    return at is not None and midnight(start) <= at < midnight(end)


def costs_from_records(start=START, end=END):
    """Each campaign's cost in the period, day by day, as a Fraction."""
    costs = defaultdict(Fraction)
    for row in CampaignCost.objects.select_related("campaign__source"):
        if row.currency != "USD":
            continue
        days = (row.period_end - row.period_start).days + 1
        day = row.period_start
        while day <= row.period_end:
            if start <= day < end:
                costs[row.campaign] += Fraction(row.amount) / days
            day += timedelta(days=1)
    return costs


def expected(by, basis="entered"):
    """Per source name (by="source") or campaign name: the report's figures."""
    cycles = cycles_from_records()
    figures = defaultdict(lambda: {**{key: 0 for key, _s in STAGE_KEYS},
                                   "revenue": Decimal(0), "pipeline": Decimal(0), "cost": None,
                                   "cohort": 0, "cohort_sals": 0, "cohort_won": 0})
    for cycle in cycles.values():
        row = figures[cycle[by]]
        cohort = within(cycle["entered"])
        if cohort:
            row["cohort"] += 1
            row["cohort_sals"] += cycle["reached"]["sals"] is not None
            row["cohort_won"] += cycle["reached"]["won"] is not None
        for key, _stage in STAGE_KEYS:
            at = cycle["reached"][key]
            if (cohort and at is not None) if basis == "entered" else within(at):
                row[key] += 1
        if cohort if basis == "entered" else within(cycle["reached"]["won"]):
            row["revenue"] += cycle["revenue"]
        if cohort if basis == "entered" else within(cycle["reached"]["opportunities"]):
            row["pipeline"] += cycle["pipeline"] if cycle["reached"]["opportunities"] else 0
    for campaign, cost in costs_from_records().items():
        name = campaign.source.name if by == "source" else campaign.name
        figures[name]["cost"] = (figures[name]["cost"] or 0) + cost
    return {name: row for name, row in figures.items()
            if row["leads"] or row["cohort"] or row["won"] or row["mqls"]
            or row["cost"] is not None}


def attribution_from_records():
    """Per source name: won revenue by first touch, last touch, even split
    (exact fractions), for the cycles that came in during the period."""
    credit = defaultdict(lambda: {"first": Fraction(0), "last": Fraction(0),
                                  "even": Fraction(0), "deals": 0})
    for cycle in cycles_from_records().values():
        if not within(cycle["entered"]) or not cycle["won_amounts"]:
            continue
        names = [i.source.name if i.source else "No source" for i in cycle["inquiries"]]
        revenue = Fraction(cycle["revenue"])
        credit[names[0]]["first"] += revenue
        credit[names[0]]["deals"] += 1
        credit[names[-1]]["last"] += revenue
        for name in names:
            credit[name]["even"] += revenue / len(names)
    return credit


def report(client, user, query=""):
    client.force_login(user)
    answer = client.get(f"{URL}?{PERIOD}&format=json{query}")
    assert answer.status_code == 200, answer.content
    return {table["id"]: table for table in answer.json()["tables"]}


def by_name(tables, prefix):
    """The rows of a grouping's three tables (volume, costs, conversion)
    merged, by the source's or campaign's name."""
    rows = defaultdict(dict)
    for table_id in (f"{prefix}s", f"{prefix}-costs", f"{prefix}-conversion"):
        for row in tables[table_id]["rows"]:
            rows[row[prefix]].update(row)
    return rows


def money(value):
    return None if value is None else Decimal(str(value)).quantize(CENT)


def check_row(row, want):
    """A row of the report against the recomputed figures."""
    for key, _stage in STAGE_KEYS:
        assert row[key] == want[key], key
    assert money(row["revenue"]) == want["revenue"]
    assert money(row["pipeline"]) == want["pipeline"]
    cost = want["cost"]
    if cost is None:
        assert row["cost"] is None
    else:
        assert abs(Fraction(money(row["cost"])) - cost) <= Fraction(1, 100)
    for key, count in PER:
        if cost is None or not want[count]:
            assert row[key] is None, key
        else:
            assert abs(Fraction(money(row[key])) - cost / want[count]) <= Fraction(1, 100), key
    if cost:
        assert row["roi"] == pytest.approx(float((Fraction(want["revenue"]) - cost) / cost),
                                           abs=1e-4)
        assert row["pipeline_per_cost"] == pytest.approx(float(Fraction(want["pipeline"])
                                                               / cost), abs=1e-4)
    else:
        assert row["roi"] is None and row["pipeline_per_cost"] is None
    assert (row["to_sal"]["k"], row["to_sal"]["n"]) == (want["cohort_sals"], want["cohort"])
    assert (row["to_won"]["k"], row["to_won"]["n"]) == (want["cohort_won"], want["cohort"])
    assert row["cohort"] == want["cohort"]


# -- the figures ---------------------------------------------------------------------------


def test_it_counts_each_source_as_the_records_say(client, world, mia):
    rows = by_name(report(client, mia), "source")
    want = expected("source")
    assert set(rows) == set(want) == {"Website", "Ads", "Events", "Referrals", "No source"}
    for name, figures in want.items():
        check_row(rows[name], figures)


def test_it_counts_each_campaign_as_the_records_say(client, world, mia):
    rows = by_name(report(client, mia), "campaign")
    want = expected("campaign")
    assert set(rows) == set(want)
    for name, figures in want.items():
        check_row(rows[name], figures)
    assert rows["W2 webinars"]["campaign_source"] == "Website"
    assert rows["No campaign"]["campaign_source"] == ""


def test_it_prorates_the_costs_by_the_days_they_overlap_the_period(client, world, mia):
    rows = {row["source"]: row for row in report(client, mia)["sources"]["rows"]}
    # W1: February whole (2,800) and 17 of 30 days of 3,000; W2: 13 of 30 days of 600.
    assert money(rows["Website"]["cost"]) == Decimal("2800") + Decimal("1700") + Decimal("260")
    assert money(rows["Ads"]["cost"]) == Decimal("5900")  # the EUR row left out
    assert money(rows["Events"]["cost"]) == Decimal("3100")  # April's left out
    assert rows["Referrals"]["cost"] is None and rows["No source"]["cost"] is None


def test_it_sums_the_rows_into_the_total(client, world, mia):
    table = report(client, mia)["sources"]
    for key in ("leads", "mqls", "sals", "opportunities", "won"):
        assert table["total"][key] == sum(row[key] for row in table["rows"])
    for key in ("revenue", "pipeline", "cost"):
        assert money(table["total"][key]) == sum(money(row[key]) or 0 for row in table["rows"])


def test_it_leaves_cost_per_step_empty_when_nothing_reached_it(client, world, mia):
    rows = by_name(report(client, mia), "source")
    events = rows["Events"]
    assert events["leads"] == 0 and money(events["cost"]) == Decimal("3100")
    assert [events[key] for key, _c in PER] == [None] * 5
    assert rows["Ads"]["per_lead"] is not None and rows["Ads"]["per_sal"] is not None


def test_it_sorts_the_sources_by_revenue(client, world, mia):
    tables = report(client, mia)
    rows = tables["sources"]["rows"]
    revenues = [money(row["revenue"]) for row in rows]
    assert revenues == sorted(revenues, reverse=True)
    assert rows[0]["source"] == "Website"  # 9,000 + 2,000
    for table_id in ("source-costs", "source-conversion"):
        assert [row["source"] for row in tables[table_id]["rows"]] == \
            [row["source"] for row in rows]


def test_it_names_leads_with_no_source(client, world, mia):
    rows = {row["source"]: row for row in report(client, mia)["sources"]["rows"]}
    assert (rows["No source"]["leads"], money(rows["No source"]["revenue"])) == (1, Decimal(700))


def test_it_flags_conversion_against_the_average_by_its_interval(client, world, mia):
    table = report(client, mia)["source-conversion"]
    want = expected("source")
    everyone = [sum(w[key] for w in want.values()) for key in ("cohort_sals", "cohort_won",
                                                                "cohort")]
    for row in table["rows"]:
        figures = want[row["source"]]
        assert row["to_sal_vs"] == versus(rate(figures["cohort_sals"], figures["cohort"]),
                                          rate(everyone[0], everyone[2]))
        assert row["to_won_vs"] == versus(rate(figures["cohort_won"], figures["cohort"]),
                                          rate(everyone[1], everyone[2]))
    assert {row["to_won_vs"] for row in table["rows"]} - {None} == {TIED}  # small: no ranking


def test_it_tells_a_rate_apart_from_the_average_only_when_its_whole_interval_is():
    assert versus(rate(30, 40), rate(200, 1000)) == ABOVE
    assert versus(rate(1, 100), rate(200, 1000)) == BELOW
    assert versus(rate(1, 3), rate(200, 1000)) == TIED
    assert versus(rate(0, 0), rate(200, 1000)) is None


def test_it_counts_the_stages_reached_in_the_period_on_that_basis(client, world, mia):
    rows = by_name(report(client, mia, "&basis=reached"), "source")
    want = expected("source", basis="reached")
    for name, figures in want.items():
        check_row(rows[name], figures)
    # The deal of January's lead was won in February: counted, its lead not.
    assert rows["Website"]["won"] == report(client, mia)["sources"]["rows"][0]["won"] + 1


# -- attribution ---------------------------------------------------------------------------


def test_it_attributes_won_revenue_by_first_last_and_even_split(client, world, mia):
    rows = {row["source"]: row for row in report(client, mia)["attribution"]["rows"]}
    want = attribution_from_records()
    assert set(rows) == set(want)
    for name, credit in want.items():
        assert money(rows[name]["first_touch"]) == money(float(credit["first"]))
        assert money(rows[name]["last_touch"]) == money(float(credit["last"]))
        assert abs(Fraction(money(rows[name]["even_split"])) - credit["even"]) \
            <= Fraction(credit["deals"] or 1, 100)
        assert rows[name]["deals"] == credit["deals"]
    # One: W1, A1, no source; two: A1, W2; five: no source; seven (2nd cycle): W1.
    assert money(rows["Website"]["first_touch"]) == Decimal("11000")
    assert money(rows["Website"]["last_touch"]) == Decimal("3000.01")
    assert money(rows["Ads"]["even_split"]) == Decimal("3500.01")


def test_it_adds_each_attribution_up_to_the_won_revenue(client, world, mia):
    tables = report(client, mia)
    won = money(tables["sources"]["total"]["revenue"])
    assert won == Decimal("12700.01")
    for table_id in ("attribution", "attribution-campaigns"):
        table = tables[table_id]
        for key in ("first_touch", "last_touch", "even_split"):
            assert sum(money(row[key]) for row in table["rows"]) == won
            assert money(table["total"][key]) == won


def test_it_credits_only_the_inquiries_of_the_won_cycle(client, world, mia):
    rows = {row["campaign"]: row for row in report(client, mia)["attribution-campaigns"]["rows"]}
    # Seven's first cycle came through A1; its second, won, through W1 alone.
    assert money(rows["A1 search"]["even_split"]) == Decimal("3500.01")  # 9,000/3 + 1,000.01/2


def test_it_splits_revenue_to_the_cent():
    assert split(Decimal("1000.01"), 2) == [Decimal("500.01"), Decimal("500.00")]
    assert sum(split(Decimal("100"), 3)) == Decimal("100")


def test_it_reads_the_won_cycles_inquiries_in_one_query(client, world, mia):
    client.force_login(mia)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{URL}?{PERIOD}&format=json")
    inquiry_table = Inquiry._meta.db_table
    assert sum(inquiry_table in q["sql"] for q in queries.captured_queries) == 1


def test_it_shows_the_currency_in_the_charts(client, world, mia, settings):
    settings.LEADGATE_CURRENCY = "EUR"
    client.force_login(mia)
    charts = client.get(f"{URL}?{PERIOD}&format=json").json()["charts"]
    assert {chart["currency"] for chart in charts} == {"EUR"}


def test_it_says_when_cost_rows_in_another_currency_are_left_out(client, world, mia):
    client.force_login(mia)
    notes = client.get(f"{URL}?{PERIOD}&format=json").json()["notes"]
    assert any("EUR are left out" in note for note in notes)


# -- page, CSV, JSON -----------------------------------------------------------------------


def page_rows(page, table_id):
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[html.unescape(re.sub(r"<[^>]+>", "", td)).strip()
             for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def as_value(value, kind):
    if kind == "rate" and value is not None:
        return Rate(**value)
    if kind == "money" and value is not None:
        return Decimal(str(value))
    return value


def test_it_answers_the_page_csv_and_json_with_the_same_numbers(client, world, mia):
    client.force_login(mia)
    page = client.get(f"{URL}?{PERIOD}").content.decode()
    tables = client.get(f"{URL}?{PERIOD}&format=json").json()["tables"]
    assert [t["id"] for t in tables] == [
        "sources", "source-costs", "source-conversion", "attribution", "campaigns",
        "campaign-costs", "campaign-conversion", "attribution-campaigns"]
    for table in tables:
        columns = table["columns"]
        shown = [[cell(as_value(row[c["key"]], c["kind"]), c["kind"]) for c in columns]
                 for row in table["rows"]]
        assert page_rows(page, table["id"]) == shown
        text = client.get(f"{URL}?{PERIOD}&format=csv&table={table['id']}").content.decode()
        lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert len(lines) == 1 + len(table["rows"]) + 1  # header, rows, total
        for line, row in zip(lines[1:], [*table["rows"], table["total"]], strict=True):
            cells = []
            for c in columns:
                value = row[c["key"]]
                if c["kind"] == "rate":
                    cells += ["" if value[part] is None else value[part]
                              for part in ("value", "low", "high")]
                else:
                    cells.append("" if value is None else value)
            assert line == [str(v) for v in cells]


# -- who may read it, bad filters -----------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "admin", "marketing"])
def test_it_lets_managers_admins_and_marketing_read_it(client, db, role):
    client.force_login(make_user(f"reader-{role}", role))
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}?format=json").status_code == 200


@pytest.mark.parametrize("role", ["qualifier", "sales"])
def test_it_refuses_qualifiers_and_sales(client, db, role):
    client.force_login(make_user(f"other-{role}", role))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}?format=csv").status_code == 403


def test_it_refuses_an_outsider(client, charlie):
    client.force_login(charlie)
    assert client.get(f"{URL}?format=json").status_code == 403


def test_it_sends_an_anonymous_visitor_to_log_in(client, db):
    answer = client.get(URL)
    assert answer.status_code == 302 and "/login/" in answer["Location"]


def test_it_answers_400_naming_the_bad_filter(client, mia):
    client.force_login(mia)
    answer = client.get(f"{URL}?period=custom&start=2025-02-01&format=json")
    assert answer.status_code == 400 and "end" in answer.json()["errors"]
    answer = client.get(f"{URL}?source=999999&format=csv")
    assert answer.status_code == 400 and "source" in answer.json()["errors"]
    assert client.get(f"{URL}?basis=sideways").status_code == 400


def test_it_reads_fine_with_nothing_in_the_period(client, mia):
    tables = report(client, mia)
    assert tables["sources"]["rows"] == [] and tables["attribution"]["rows"] == []
    assert tables["sources"]["total"]["leads"] == 0
