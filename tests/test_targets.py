"""The targets editor: a year of months by metrics for the company or a team,
saved at once; a wrong cell is named and nothing is saved; an empty cell
removes its target; managers and admins edit, marketing reads."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client

from leadgate.reports.models import Target
from tests.factories import make_team, make_user

pytestmark = pytest.mark.django_db

URL = "/reports/targets/"
METRICS = ["inquiries", "mqls", "sals", "opportunities", "won", "revenue", "cost"]
T0 = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


def grid(year=2026, team="", **cells):
    """A whole posted grid: every cell empty but those given as metric_month."""
    data = {"year": str(year), "team": str(team)}
    for metric in METRICS:
        for month in range(1, 13):
            data[f"{metric}-{month}"] = ""
    for name, value in cells.items():
        metric, month = name.rsplit("_", 1)
        data[f"{metric}-{month}"] = value
    return data


def targets(team=None):
    return {(t.month, t.metric): t.value for t in Target.objects.filter(team=team)}


def test_it_saves_the_whole_grid_at_once(client, mia, now):
    client.force_login(mia)
    answer = client.post(URL, grid(sals_1="40", sals_2="42", revenue_3="85000.50",
                                   inquiries_12="1,200"))
    assert answer.status_code == 302
    assert answer["Location"] == f"{URL}?year=2026"
    assert targets() == {(date(2026, 1, 1), "sals"): Decimal("40"),
                         (date(2026, 2, 1), "sals"): Decimal("42"),
                         (date(2026, 3, 1), "revenue"): Decimal("85000.50"),
                         (date(2026, 12, 1), "inquiries"): Decimal("1200")}
    assert set(Target.objects.values_list("set_by", "set_at")) == {(mia.pk, now)}
    page = client.get(answer["Location"]).content.decode()
    assert "4 set or changed, 0 removed" in page
    assert 'name="revenue-3" id="cell-revenue-3" value="85000.5"' in page


def test_it_removes_the_target_of_a_cell_left_empty(client, mia, now):
    client.force_login(mia)
    client.post(URL, grid(sals_1="40", sals_2="42"))
    answer = client.post(URL, grid(sals_1="40"))
    assert answer.status_code == 302
    assert targets() == {(date(2026, 1, 1), "sals"): Decimal("40")}


def test_it_keeps_who_set_a_target_the_save_did_not_change(client, mia, now, time_machine):
    client.force_login(mia)
    client.post(URL, grid(sals_1="40", sals_2="42"))
    admin = make_user("ada", "admin")
    time_machine.move_to(datetime(2026, 3, 11, 9, tzinfo=UTC), tick=False)
    client.force_login(admin)
    client.post(URL, grid(sals_1="40", sals_2="45"))
    kept = Target.objects.get(metric="sals", month=date(2026, 1, 1))
    changed = Target.objects.get(metric="sals", month=date(2026, 2, 1))
    assert (kept.set_by, kept.set_at) == (mia, now)
    assert (changed.set_by, changed.value) == (admin, Decimal("45"))
    assert changed.set_at == datetime(2026, 3, 11, 9, tzinfo=UTC)


@pytest.mark.parametrize(("value", "why"), [
    ("abc", "not a number"), ("-5", "cannot be negative"), ("1.234", "at most two decimals"),
    ("1e20", "too large"), ("NaN", "not a number"),
])
def test_it_names_the_wrong_cell_and_saves_nothing(client, mia, now, value, why):
    client.force_login(mia)
    answer = client.post(URL, grid(sals_1="40", mqls_3=value))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert f"MQLs, Mar 2026: {why}" in page
    assert 'id="cell-mqls-3"' in page and 'aria-invalid="true"' in page
    assert f'value="{value}"' in page  # what was typed stays, to be corrected
    assert not Target.objects.exists()


def test_it_keeps_the_company_and_each_team_apart(client, mia, now):
    team = make_team("Qualifiers DACH")
    client.force_login(mia)
    client.post(URL, grid(sals_1="40"))
    answer = client.post(URL, grid(team=team.pk, sals_1="12"))
    assert answer["Location"] == f"{URL}?year=2026&team={team.pk}"
    assert targets() == {(date(2026, 1, 1), "sals"): Decimal("40")}
    assert targets(team) == {(date(2026, 1, 1), "sals"): Decimal("12")}
    page = client.get(f"{URL}?year=2026&team={team.pk}").content.decode()
    assert 'name="sals-1" id="cell-sals-1" value="12"' in page


def test_it_switches_years(client, mia, now):
    client.force_login(mia)
    client.post(URL, grid(year=2027, won_6="9"))
    page = client.get(URL).content.decode()  # this year by default
    assert "Targets 2026" in page and 'value="9"' not in page
    assert 'href="?year=2027"' in page and 'href="?year=2025"' in page
    page = client.get(f"{URL}?year=2027").content.decode()
    assert 'name="won-6" id="cell-won-6" value="9"' in page
    assert "Year" in page and "1 target set for 2027" in page


def test_it_answers_a_bad_year_or_team_with_its_name(client, mia, now):
    client.force_login(mia)
    answer = client.get(f"{URL}?year=twenty")
    assert answer.status_code == 400
    assert 'id="year-error"' in answer.content.decode()
    answer = client.post(URL, grid(team=9999, sals_1="4"))
    assert answer.status_code == 400
    assert 'id="team-error"' in answer.content.decode()
    assert not Target.objects.exists()


def test_it_lets_marketing_read_but_not_write(client, now):
    client.force_login(make_user("meg", "marketing"))
    page = client.get(URL)
    assert page.status_code == 200
    assert "<input" not in page.content.decode().split('id="targets"')[1].split("</table>")[0]
    assert client.post(URL, grid(sals_1="40")).status_code == 403
    assert not Target.objects.exists()


def test_it_refuses_qualifiers_and_sales_and_sends_strangers_to_log_in(client, alice, sam):
    assert client.get(URL).status_code == 302
    for user in (alice, sam):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, grid(sals_1="40")).status_code == 403


def test_it_needs_the_csrf_token(mia, now):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    assert client.post(URL, grid(sals_1="40")).status_code == 403
    page = client.get(URL).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert not Target.objects.exists()


def test_it_shows_who_changed_the_targets_last(client, mia, now):
    mia.first_name, mia.last_name = "Mia", "Manager"
    mia.save()
    client.force_login(mia)
    client.post(URL, grid(cost_4="5000"))
    page = client.get(URL).content.decode()
    assert "last changed by Mia Manager on Mar 10, 2026 09:00" in page
