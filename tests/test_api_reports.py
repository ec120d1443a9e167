"""GET /api/v1/reports: the reports' figures for integrations."""

from datetime import timedelta

from django.utils import timezone

from leadgate.leads.transitions import advance
from leadgate.reports import facts
from tests.api_helpers import api_get, make_key
from tests.factories import make_lead

PERIOD = {"period": "this_year"}


def test_it_lists_the_reports_a_service_key_may_read(db):
    key = make_key(scopes=("read",))
    answer = api_get(key, "/reports")
    assert answer.status_code == 200
    assert "waterfall" in [report["slug"] for report in answer.json()]


def test_it_answers_the_waterfall_as_the_page_does(client, alice, mia):
    leads = [make_lead(owner=alice) for _ in range(3)]
    advance(leads[0], "mql", by=mia)
    facts.refresh(lead.pk for lead in leads)
    body = api_get(make_key(scopes=("read",)), "/reports/waterfall", **PERIOD).json()
    client.force_login(mia)
    page = client.get("/reports/waterfall/?period=this_year&format=json").json()
    assert body["tables"] == page["tables"]
    assert body["tables"][0]["rows"][0]["reached"] == 3
    assert body["tables"][0]["rows"][1]["reached"] == 1


def test_it_refuses_a_key_without_the_read_scope(db):
    answer = api_get(make_key(scopes=("intake",)), "/reports/waterfall")
    assert answer.status_code == 403


def test_it_refuses_a_qualifiers_key(alice):
    answer = api_get(make_key(user=alice, scopes=("read",)), "/reports/waterfall")
    assert answer.status_code == 403


def test_it_names_a_bad_filter(db):
    key = make_key(scopes=("read",))
    answer = api_get(key, "/reports/waterfall", period="custom",
                     start=(timezone.localdate() - timedelta(days=3)).isoformat())
    assert answer.status_code == 422
    assert answer.json()["field"] == "end"
    assert api_get(key, "/reports/waterfall", source=999999).json()["field"] == "source"


def test_it_answers_404_for_an_unknown_report(db):
    answer = api_get(make_key(scopes=("read",)), "/reports/nothing-here")
    assert answer.status_code == 404
