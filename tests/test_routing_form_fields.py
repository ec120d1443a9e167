"""The routing pages' form fields (issue 16): business hours in a weekly grid
(team hours, a seat's own hours) and rule conditions chosen from a list with
their values as plain text; what is saved is what routing reads."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from leadgate.lib.business_hours import is_open
from leadgate.routing.availability import team_schedule
from leadgate.routing.models import RoutingRule, Seat
from tests.factories import hours_grid_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, mia):
    client.force_login(mia)
    return client


def team_post(manager, team, **fields):
    data = {"time_zone": team.time_zone, "holidays": "", **fields}
    return manager.post(reverse("routing-team", args=[team.pk]), data)


def rule_post(manager, team, *rows, rule=None):
    """Save a rule sending to `team` with condition rows (field, operator, value[, fact])."""
    data = {"name": "Rule", "team": team.pk, "active": "on",
            "conditions-TOTAL_FORMS": len(rows), "conditions-INITIAL_FORMS": 0}
    for number, (field, operator, value, *fact) in enumerate(rows):
        data.update({f"conditions-{number}-field": field,
                     f"conditions-{number}-operator": operator,
                     f"conditions-{number}-value": value,
                     f"conditions-{number}-fact": fact[0] if fact else ""})
    url = reverse("routing-rule", args=[rule.pk]) if rule else reverse("routing-rule-new")
    return manager.post(url, data)


def saved_conditions(response):
    assert response.status_code == 302, response.content.decode()[-3000:]
    return RoutingRule.objects.get(name="Rule").conditions


# Team hours ---------------------------------------------------------------------


def test_it_saves_team_hours_from_the_grid_as_the_spec_schedules_read(manager, team):
    grid = {f"{day}_{part}": value for day in ("mon", "tue", "wed", "thu", "fri")
            for part, value in (("open", "on"), ("opens_1", "09:00"), ("closes_1", "12:30"),
                                ("opens_2", "13:30"), ("closes_2", "18:00"))}
    response = team_post(manager, team, time_zone="Europe/Paris", **grid,
                         sat_open="on", sat_opens_1="10:00", sat_closes_1="14:00")
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.hours == {"mon-fri": "09:00-12:30,13:30-18:00", "sat": "10:00-14:00"}
    schedule = team_schedule(team)  # 2030-06-03 is a Monday; Paris is UTC+2 in June
    assert is_open(schedule, datetime(2030, 6, 3, 8, 0, tzinfo=UTC))
    assert not is_open(schedule, datetime(2030, 6, 3, 11, 0, tzinfo=UTC))  # lunch
    assert is_open(schedule, datetime(2030, 6, 8, 11, 0, tzinfo=UTC))  # Saturday
    assert not is_open(schedule, datetime(2030, 6, 9, 11, 0, tzinfo=UTC))  # Sunday


def test_it_saves_a_day_closing_at_midnight_as_open_until_24_00(manager, team):
    team_post(manager, team, fri_open="on", fri_opens_1="18:00", fri_closes_1="00:00")
    team.refresh_from_db()
    assert team.hours == {"fri": "18:00-24:00"}


def test_it_refuses_a_day_closing_before_it_opens_naming_the_day(manager, team):
    team.hours = {"mon-fri": "08:00-16:00"}
    team.save()
    response = team_post(manager, team, **{**hours_grid_data({"mon-fri": "09:00-18:00"}),
                                           "tue_closes_1": "08:00"})
    assert response.status_code == 400
    assert "Tuesday: closes before it opens (09:00 to 08:00)" in response.content.decode()
    team.refresh_from_db()
    assert team.hours == {"mon-fri": "08:00-16:00"}  # nothing saved


def test_it_refuses_a_second_span_opening_before_the_first_closes(manager, team):
    response = team_post(manager, team, wed_open="on", wed_opens_1="09:00",
                         wed_closes_1="13:00", wed_opens_2="12:00", wed_closes_2="18:00")
    assert response.status_code == 400
    assert "Wednesday: opens again at 12:00, before it closes at 13:00" in (
        response.content.decode())


@pytest.mark.parametrize(("fields", "message"), [
    ({"thu_open": "on"}, "Thursday: give its opening and closing times, or untick it"),
    ({"thu_open": "on", "thu_opens_1": "09:00"}, "Thursday: give the closing time too"),
    ({}, "open on at least one day"),
])
def test_it_refuses_an_open_day_without_its_times(manager, team, fields, message):
    response = team_post(manager, team, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_it_ignores_the_times_of_a_day_not_ticked_open(manager, team):
    team_post(manager, team, mon_open="on", mon_opens_1="09:00", mon_closes_1="17:00",
              sun_opens_1="10:00", sun_closes_1="12:00")
    team.refresh_from_db()
    assert team.hours == {"mon": "09:00-17:00"}


def test_it_shows_stored_team_hours_in_the_grid(manager, team):
    team.hours = {"sun-tue": "09:00-12:30,13:30-18:00"}
    team.save()
    page = manager.get(reverse("routing-teams")).content.decode()
    prefix = f"team{team.pk}_"
    assert f'id="{prefix}sun_open" checked' in page
    assert 'name="mon_opens_2" value="13:30" class="hours-time" aria-label="Monday opens again"' \
        in page
    assert f'id="{prefix}wed_open">' in page  # closed: not ticked
    assert 'name="wed_opens_1" class' in page  # and no time


def test_it_shows_a_third_span_when_stored_hours_have_one(manager, team):
    team.hours = {"mon": "08:00-10:00,11:00-12:00,14:00-16:00"}
    team.save()
    page = manager.get(reverse("routing-teams")).content.decode()
    assert "Opens (3)" in page
    assert 'name="mon_opens_3" value="14:00"' in page


def test_it_shows_a_team_without_hours_at_office_hours(manager, team):
    page = manager.get(reverse("routing-teams")).content.decode()
    assert 'name="fri_opens_1" value="09:00"' in page
    assert 'name="fri_closes_1" value="18:00"' in page


# A seat's own hours -------------------------------------------------------------


def seat_post(manager, user, mode, **grid):
    return manager.post(reverse("routing-seat", args=[user.pk]),
                        {"weight": "1", "max_open": "", "hours_mode": mode, **grid})


def test_it_sets_a_seat_back_to_the_team_hours(manager, alice):
    Seat.objects.create(user=alice, hours={"mon-fri": "08:00-16:00"})
    # The grid still holds the old hours (and a wrong time): unused, so not checked.
    response = seat_post(manager, alice, "team", **{
        **hours_grid_data({"mon-fri": "08:00-16:00"}), "mon_closes_1": "07:00"})
    assert response.status_code == 302
    assert Seat.objects.get(user=alice).hours == {}


def test_it_saves_a_seats_own_hours_with_a_break(manager, alice):
    response = seat_post(manager, alice, "own", mon_open="on", mon_opens_1="08:00",
                         mon_closes_1="12:00", mon_opens_2="13:00", mon_closes_2="16:00")
    assert response.status_code == 302
    assert Seat.objects.get(user=alice).hours == {"mon": "08:00-12:00,13:00-16:00"}


def test_it_refuses_own_hours_closed_every_day(manager, alice):
    Seat.objects.create(user=alice, hours={"mon": "08:00-12:00"})
    response = seat_post(manager, alice, "own")
    assert response.status_code == 400
    assert "open on at least one day" in response.content.decode()
    assert Seat.objects.get(user=alice).hours == {"mon": "08:00-12:00"}


def test_it_starts_a_seat_on_team_hours_with_the_teams_grid(manager, alice, team):
    team.hours = {"mon-thu": "07:00-15:00"}
    team.save()
    page = manager.get(reverse("routing-seats")).content.decode()
    assert f'id="seat{alice.pk}_hours_mode_0" checked' in page
    assert 'name="thu_opens_1" value="07:00"' in page


def test_it_shows_a_seats_own_hours_as_chosen(manager, alice):
    Seat.objects.create(user=alice, hours={"sat": "10:00-14:00"})
    page = manager.get(reverse("routing-seats")).content.decode()
    assert f'id="seat{alice.pk}_hours_mode_1" checked' in page
    assert 'name="sat_opens_1" value="10:00"' in page


# Rule conditions ----------------------------------------------------------------


def test_it_saves_an_in_list_condition_as_a_list(manager, team):
    conditions = saved_conditions(rule_post(manager, team, ("account.country", "in",
                                                            "DE, AT ,CH")))
    assert conditions == [{"field": "account.country", "operator": "in",
                           "value": ["DE", "AT", "CH"]}]


def test_it_saves_numbers_as_numbers(manager, team):
    conditions = saved_conditions(rule_post(
        manager, team, ("account.employees", "gte", "200"),
        ("score.probability", "lte", "0.5"), ("account.employees", "in", "10, 50")))
    assert [c["value"] for c in conditions] == [200, 0.5, [10, 50]]
    assert isinstance(conditions[0]["value"], int)


def test_it_saves_yes_no_fields_as_booleans(manager, team):
    conditions = saved_conditions(rule_post(manager, team, ("inquiry.hot", "eq", "yes"),
                                            ("lead.email_free", "ne", "No")))
    assert [c["value"] for c in conditions] == [True, False]


def test_it_saves_is_set_and_is_missing_without_a_value(manager, team):
    conditions = saved_conditions(rule_post(manager, team, ("lead.country", "exists", ""),
                                            ("account.industry", "missing", "")))
    assert conditions == [{"field": "lead.country", "operator": "exists", "value": None},
                          {"field": "account.industry", "operator": "exists", "value": False}]


def test_it_saves_an_enrichment_fact_chosen_or_named(manager, team):
    conditions = saved_conditions(rule_post(manager, team, ("fact.seniority", "in", "vp, cxo"),
                                            ("fact", "eq", "de", "language")))
    assert conditions == [
        {"field": "fact.seniority", "operator": "in", "value": ["vp", "cxo"]},
        {"field": "fact.language", "operator": "eq", "value": "de"}]


def test_it_refuses_another_fact_without_its_name_naming_the_row(manager, team):
    response = rule_post(manager, team, ("lead.country", "eq", "FR"), ("fact", "eq", "de"))
    assert response.status_code == 400
    assert "condition 2: name the enrichment fact" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_it_refuses_a_value_missing_or_not_yes_or_no_naming_the_row(manager, team):
    response = rule_post(manager, team, ("lead.country", "eq", ""), ("inquiry.hot", "eq", "hot"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "condition 1: give a value" in page
    assert "condition 2: “hot” is not yes or no" in page


def test_it_lists_the_fields_routing_reads_in_groups(manager):
    page = manager.get(reverse("routing-rule-new")).content.decode()
    for group in ("Lead", "Account", "Score", "Latest inquiry", "Enrichment fact"):
        assert f'<optgroup label="{group}">' in page
    assert '<option value="account.employees">Account: employees (number)</option>' in page
    assert '<option value="inquiry.hot">Inquiry: hot (yes / no)</option>' in page
    assert '<option value="fact.seniority">Fact: seniority</option>' in page


OLD_CONDITIONS = [
    {"field": "account.country", "operator": "in", "value": ["FR", "BE"]},
    {"field": "account.employees", "operator": "gte", "value": 200},
    {"field": "score.probability", "operator": "lte", "value": 0.35},
    {"field": "inquiry.hot", "operator": "eq", "value": True},
    {"field": "fact.seniority", "operator": "in", "value": ["c-level", "director"]},
    {"field": "fact.budget_code", "operator": "eq", "value": "42"},
    {"field": "fact.team_size", "operator": "gte", "value": "10"},
    {"field": "lead.source_id", "operator": "eq", "value": 7},
    {"field": "account.name", "operator": "contains", "value": "Acme, Inc"},
    {"field": "lead.country", "operator": "exists", "value": None},
    {"field": "lead.title", "operator": "exists", "value": True},
    {"field": "account.industry", "operator": "exists", "value": False},
]


def test_it_shows_stored_conditions_back_in_the_form_as_they_were(manager, team):
    rule = RoutingRule.objects.create(name="Rule", position=1, team=team,
                                      conditions=OLD_CONDITIONS)
    response = manager.get(reverse("routing-rule", args=[rule.pk]))
    page = response.content.decode()
    assert '<option value="account.country" selected>Account: country</option>' in page
    assert 'value="FR, BE"' in page
    assert '<option value="fact.budget_code" selected>Fact: budget_code</option>' in page
    assert 'value="&quot;42&quot;"' in page  # text that looks like a number stays text
    assert '<optgroup label="Other">' in page and 'value="lead.source_id" selected' in page
    assert '<option value="missing" selected>is missing</option>' in page
    # Saving the form as shown keeps every condition exactly.
    rows = [(form["field"].value(), form["operator"].value(), form["value"].value())
            for form in response.context["conditions"].forms if form["field"].value()]
    assert saved_conditions(rule_post(manager, team, *rows, rule=rule)) == OLD_CONDITIONS
