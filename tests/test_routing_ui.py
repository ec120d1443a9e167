"""The managers' routing pages: who may use them, rules and their order, seats,
absences, team hours, SLA policies, alerts, reassignment by hand, pause."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadgate.leads.models import Lead
from leadgate.routing.models import Absence, Alert, Assignment, RoutingRule, Seat, SlaPolicy
from tests.factories import hours_grid_data, make_lead, make_user

pytestmark = pytest.mark.django_db

MANAGER_PAGES = ["routing-rules", "routing-rule-new", "routing-seats", "routing-teams",
                 "routing-sla", "routing-alerts"]


@pytest.fixture
def ada(db):
    """An admin."""
    return make_user("ada", "admin")


@pytest.fixture
def rule(team):
    return RoutingRule.objects.create(name="France", position=1, team=team, conditions=[
        {"field": "account.country", "operator": "in", "value": ["FR"]}])


def client_for(client, user):
    client.force_login(user)
    return client


def rule_data(name="France", team=None, user=None, active=True, conditions=()):
    data = {"name": name, "team": team.pk if team else "", "user": user.pk if user else "",
            "conditions-TOTAL_FORMS": len(conditions), "conditions-INITIAL_FORMS": 0,
            "conditions-MIN_NUM_FORMS": 0, "conditions-MAX_NUM_FORMS": 1000}
    if active:
        data["active"] = "on"
    for number, (field, operator, value) in enumerate(conditions):
        data.update({f"conditions-{number}-field": field,
                     f"conditions-{number}-operator": operator,
                     f"conditions-{number}-value": value})
    return data


def seat_data(weight="1", max_open="", paused=False, hours=None, **grid):
    """A seat's form: the team's hours, or `hours` (a spec) as its own, posted
    through the grid; `grid` adds or replaces grid fields."""
    data = {"weight": weight, "max_open": max_open, "hours_mode": "team" if hours is None
            else "own", **hours_grid_data(hours or {}), **grid}
    if paused:
        data["paused"] = "on"
    return data


# Permissions ------------------------------------------------------------------------


@pytest.mark.parametrize("page", MANAGER_PAGES)
def test_it_shows_each_routing_page_to_a_manager(client, mia, alice, page):
    assert client_for(client, mia).get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", MANAGER_PAGES)
def test_it_shows_each_routing_page_to_an_admin(client, ada, page):
    assert client_for(client, ada).get(reverse(page)).status_code == 200


@pytest.mark.parametrize("page", MANAGER_PAGES)
def test_it_refuses_routing_pages_to_qualifiers_and_sales(client, alice, sam, page):
    assert client_for(client, alice).get(reverse(page)).status_code == 403
    assert client_for(client, sam).get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", MANAGER_PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_every_routing_post_to_a_qualifier(client, alice, rule, team):
    alert = Alert.objects.create(kind=Alert.Kind.NO_OWNER, message="x")
    policy = SlaPolicy.objects.get(segment="hot_inbound")
    absence = Absence.objects.create(user=alice, starts_on=date(2030, 1, 1),
                                     ends_on=date(2030, 1, 2))
    client_for(client, alice)
    posts = [
        (reverse("routing-rule-new"), rule_data(team=team)),
        (reverse("routing-rule", args=[rule.pk]), rule_data(team=team)),
        (reverse("routing-rule-delete", args=[rule.pk]), {}),
        (reverse("routing-rule-move", args=[rule.pk]), {"direction": "up"}),
        (reverse("routing-rule-toggle", args=[rule.pk]), {}),
        (reverse("routing-seat", args=[alice.pk]), seat_data(weight="5")),
        (reverse("routing-absence-add", args=[alice.pk]),
         {"starts_on": "2030-02-01", "ends_on": "2030-02-02"}),
        (reverse("routing-absence-delete", args=[absence.pk]), {}),
        (reverse("routing-team", args=[team.pk]), {"time_zone": "Asia/Tokyo"}),
        (reverse("routing-sla-edit", args=[policy.pk]), {"minutes": "1"}),
        (reverse("routing-alert-resolve", args=[alert.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert RoutingRule.objects.filter(pk=rule.pk, active=True).exists()
    assert Absence.objects.filter(pk=absence.pk).exists()
    assert Alert.objects.get(pk=alert.pk).resolved_at is None


def test_it_shows_the_routing_link_and_alert_count_to_managers_only(client, mia, alice):
    Alert.objects.create(kind=Alert.Kind.SLA_BREACH, message="late")
    page = client_for(client, mia).get(reverse("routing-rules")).content.decode()
    assert 'title="open alerts">1</span>' in page
    desk = client_for(client, alice).get(reverse("desk")).content.decode()
    assert reverse("routing-rules") not in desk


# Rules ------------------------------------------------------------------------------


def test_it_creates_a_rule_with_its_conditions_at_the_end(client, mia, team, rule):
    response = client_for(client, mia).post(reverse("routing-rule-new"), rule_data(
        "Germany", team=team, conditions=[("account.country", "in", "DE")]))
    assert response.status_code == 302
    created = RoutingRule.objects.get(name="Germany")
    assert created.conditions == [{"field": "account.country", "operator": "in",
                                   "value": ["DE"]}]
    assert created.position > rule.position and created.created_by == mia


def test_it_lists_rules_with_their_conditions_readably(client, mia, rule):
    page = client_for(client, mia).get(reverse("routing-rules")).content.decode()
    assert "account.country is one of FR" in page


def test_it_refuses_an_invalid_condition_naming_its_row(client, mia, team):
    response = client_for(client, mia).post(reverse("routing-rule-new"), rule_data(
        "Bad", team=team, conditions=[("account.country", "in", "FR"),
                                      ("account.colour", "eq", "red")]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "condition 2: account has no field &#x27;colour&#x27;" in page
    assert 'value="account.colour"' in page  # the input is kept
    assert not RoutingRule.objects.filter(name="Bad").exists()


def test_it_refuses_a_condition_value_that_is_not_a_number_naming_its_row(client, mia, team):
    response = client_for(client, mia).post(reverse("routing-rule-new"), rule_data(
        "Bad", team=team, conditions=[("account.country", "in", "FR"),
                                      ("account.employees", "gte", "many")]))
    assert response.status_code == 400
    assert "condition 2: “many” is not a number" in response.content.decode()
    assert not RoutingRule.objects.filter(name="Bad").exists()


def test_it_requires_a_team_or_a_qualifier_as_target(client, mia):
    response = client_for(client, mia).post(reverse("routing-rule-new"), rule_data("Nowhere"))
    assert response.status_code == 400
    assert "choose a team or a qualifier" in response.content.decode()


def test_it_edits_a_rule_to_a_named_qualifier(client, mia, rule, alice):
    response = client_for(client, mia).post(
        reverse("routing-rule", args=[rule.pk]),
        rule_data("France to Alice", user=alice, active=False,
                  conditions=[("lead.country", "eq", "FR")]))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.user, rule.team, rule.active) == ("France to Alice", alice, None,
                                                              False)
    assert rule.conditions == [{"field": "lead.country", "operator": "eq", "value": "FR"}]


def test_it_moves_a_rule_up_and_down(client, mia, team, rule):
    second = RoutingRule.objects.create(name="Second", position=1, team=team)  # same position
    third = RoutingRule.objects.create(name="Third", position=5, team=team)
    client_for(client, mia)
    client.post(reverse("routing-rule-move", args=[third.pk]), {"direction": "up"})
    assert list(RoutingRule.objects.values_list("name", flat=True)) == [
        "France", "Third", "Second"]
    client.post(reverse("routing-rule-move", args=[rule.pk]), {"direction": "down"})
    assert list(RoutingRule.objects.values_list("name", flat=True)) == [
        "Third", "France", "Second"]
    assert list(RoutingRule.objects.values_list("position", flat=True)) == [1, 2, 3]
    client.post(reverse("routing-rule-move", args=[third.pk]), {"direction": "up"})  # top
    assert RoutingRule.objects.first() == third
    assert second.pk  # untouched


def test_it_toggles_and_deletes_a_rule(client, mia, rule):
    client_for(client, mia).post(reverse("routing-rule-toggle", args=[rule.pk]))
    assert RoutingRule.objects.get(pk=rule.pk).active is False
    client.post(reverse("routing-rule-delete", args=[rule.pk]))
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()


# Seats and absences -----------------------------------------------------------------


def test_it_lists_a_seat_per_qualifier_with_availability_and_open_count(client, mia, alice):
    Seat.objects.create(user=alice, paused=True)
    make_lead(owner=alice)
    page = client_for(client, mia).get(reverse("routing-seats")).content.decode()
    assert f'id="seat-{alice.pk}"' in page
    assert "unavailable: paused" in page
    assert "1 open lead" in page


def test_it_saves_a_seat(client, mia, alice):
    response = client_for(client, mia).post(reverse("routing-seat", args=[alice.pk]), seat_data(
        weight="2", max_open="15", paused=True, hours={"mon-fri": "08:00-16:00"}))
    assert response.status_code == 302
    seat = Seat.objects.get(user=alice)
    assert (seat.weight, seat.max_open, seat.paused) == (2.0, 15, True)
    assert seat.hours == {"mon-fri": "08:00-16:00"}


@pytest.mark.parametrize(("data", "message"), [
    (seat_data(weight="0"), "the weight must be above 0"),
    (seat_data(max_open="0"), "Ensure this value is greater than or equal to 1"),
    (seat_data(hours={"mon-fri": "18:00-20:00"}, mon_closes_1="08:00"),
     "Monday: closes before it opens (18:00 to 08:00)"),
    (seat_data(hours={"mon": "09:00-17:00"}, mon_opens_1="9 am"),
     "Monday opens: not a time such as 09:00"),
    (seat_data(hours={}), "open on at least one day"),
])
def test_it_refuses_an_invalid_seat_at_its_field(client, mia, alice, data, message):
    response = client_for(client, mia).post(reverse("routing-seat", args=[alice.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Seat.objects.filter(user=alice, weight=0).exists()


def test_it_adds_and_removes_an_absence(client, mia, alice):
    client_for(client, mia).post(reverse("routing-absence-add", args=[alice.pk]),
                                 {"starts_on": "2030-08-01", "ends_on": "2030-08-15"})
    absence = Absence.objects.get(user=alice)
    assert (absence.starts_on, absence.ends_on) == (date(2030, 8, 1), date(2030, 8, 15))
    client.post(reverse("routing-absence-delete", args=[absence.pk]))
    assert not Absence.objects.exists()


def test_it_refuses_an_absence_ending_before_it_starts(client, mia, alice):
    response = client_for(client, mia).post(reverse("routing-absence-add", args=[alice.pk]),
                                            {"starts_on": "2030-08-15", "ends_on": "2030-08-01"})
    assert response.status_code == 400
    assert "the last day (2030-08-01) is before the first (2030-08-15)" in (
        response.content.decode())
    assert not Absence.objects.exists()


# Team hours and SLA policies ------------------------------------------------------


def test_it_saves_team_hours_and_holidays(client, mia, team):
    response = client_for(client, mia).post(reverse("routing-team", args=[team.pk]), {
        "time_zone": "Europe/Paris",
        **hours_grid_data({"mon-thu": "08:00-17:00", "fri": "08:00-12:00"}),
        "holidays": "2030-12-25\n2030-01-01"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.time_zone == "Europe/Paris"
    assert team.hours == {"mon-thu": "08:00-17:00", "fri": "08:00-12:00"}
    assert team.holidays == ["2030-01-01", "2030-12-25"]


@pytest.mark.parametrize(("data", "message"), [
    ({"time_zone": "Mars/Olympus"}, "is not a time zone name"),
    ({"time_zone": "UTC", "tue_opens_1": "25:00"}, "Tuesday opens: not a time such as 09:00"),
    ({"time_zone": "UTC", "holidays": "2030-13-40"}, "&#x27;2030-13-40&#x27; is not a date"),
])
def test_it_refuses_invalid_team_hours_at_their_field(client, mia, team, data, message):
    response = client_for(client, mia).post(reverse("routing-team", args=[team.pk]), {
        **hours_grid_data({"mon-fri": "09:00-18:00"}), "holidays": "", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    team.refresh_from_db()
    assert team.time_zone == "UTC"


def test_it_edits_an_sla_policy(client, mia):
    policy = SlaPolicy.objects.get(segment="inbound")
    response = client_for(client, mia).post(reverse("routing-sla-edit", args=[policy.pk]),
                                            {"minutes": "30", "active": "on"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.minutes, policy.business_hours, policy.active, policy.escalate) == (
        30, False, True, False)


def test_it_refuses_an_sla_policy_of_zero_minutes(client, mia):
    policy = SlaPolicy.objects.get(segment="inbound")
    response = client_for(client, mia).post(reverse("routing-sla-edit", args=[policy.pk]),
                                            {"minutes": "0"})
    assert response.status_code == 400
    assert f'id="sla{policy.pk}_minutes-error"' in response.content.decode()
    assert SlaPolicy.objects.get(pk=policy.pk).minutes == 60


# Alerts -----------------------------------------------------------------------------


def test_it_lists_open_alerts_newest_first_filtered_by_kind(client, mia):
    now = timezone.now()
    Alert.objects.create(kind="sla_breach", message="older breach",
                         created_at=now - timedelta(hours=1))
    Alert.objects.create(kind="sla_breach", message="newer breach", created_at=now)
    Alert.objects.create(kind="no_owner", message="orphan lead")
    Alert.objects.create(kind="sla_breach", message="done already", resolved_at=now)
    page = client_for(client, mia).get(reverse("routing-alerts"),
                                       {"kind": "sla_breach"}).content.decode()
    assert page.index("newer breach") < page.index("older breach")
    assert "orphan lead" not in page and "done already" not in page


def test_it_resolves_an_alert_recording_who(client, mia):
    alert = Alert.objects.create(kind="no_owner", message="orphan lead")
    response = client_for(client, mia).post(reverse("routing-alert-resolve", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == mia and alert.resolved_at is not None


# Reassignment by hand ---------------------------------------------------------------


def reassign_url(lead):
    return reverse("lead-reassign", args=[lead.pk])


def test_it_lets_a_manager_reassign_to_any_qualifier(client, mia, alice, charlie):
    lead = make_lead(owner=alice, stage="working")
    response = client_for(client, mia).post(reassign_url(lead),
                                            {"to_user": charlie.pk, "note": "speaks Japanese"})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == charlie
    row = Assignment.objects.get(lead=lead)
    assert (row.why, row.by, row.from_user, row.to_user, row.note) == (
        "manual", mia, alice, charlie, "speaks Japanese")


def test_it_lets_a_qualifier_give_a_lead_to_a_teammate(client, alice, bob):
    lead = make_lead(owner=alice, stage="working")
    response = client_for(client, alice).post(reassign_url(lead), {"to_user": bob.pk})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == bob
    assert Assignment.objects.get(lead=lead).by == alice


def test_it_refuses_a_qualifier_giving_a_lead_outside_the_team(client, alice, charlie):
    lead = make_lead(owner=alice, stage="working")
    response = client_for(client, alice).post(reassign_url(lead), {"to_user": charlie.pk})
    assert response.status_code == 400
    assert 'id="reassign-to_user-error">charlie is not on your team' in (
        response.content.decode())
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert not Assignment.objects.exists()


def test_it_refuses_reassigning_to_someone_who_is_not_a_qualifier(client, mia, alice, sam):
    lead = make_lead(owner=alice, stage="working")
    response = client_for(client, mia).post(reassign_url(lead), {"to_user": sam.pk})
    assert response.status_code == 400
    assert "sam is not an active qualifier" in response.content.decode()
    assert not Assignment.objects.exists()


def test_it_hides_a_lead_a_qualifier_cannot_see(client, charlie, alice):
    lead = make_lead(owner=alice, stage="working")
    response = client_for(client, charlie).post(reassign_url(lead), {"to_user": charlie.pk})
    assert response.status_code == 404


def test_it_refuses_reassignment_to_sales(client, sam, alice, bob):
    lead = make_lead(owner=alice, stage="working")
    assert client_for(client, sam).post(reassign_url(lead), {"to_user": bob.pk}).status_code == 403


def test_it_shows_the_assignment_history_on_the_lead_page(client, mia, alice, bob):
    lead = make_lead(owner=alice, stage="working")
    client_for(client, mia).post(reassign_url(lead), {"to_user": bob.pk, "note": "cover"})
    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert 'id="reassign-form"' in page
    assert "By hand" in page and "cover" in page


# Pause toggle -----------------------------------------------------------------------


def test_it_lets_a_qualifier_pause_and_resume(client, alice):
    client_for(client, alice)
    response = client.post(reverse("routing-pause"), {"paused": "1"})
    assert response.status_code == 302
    assert Seat.objects.get(user=alice).paused is True
    client.post(reverse("routing-pause"))  # no value: toggles
    assert Seat.objects.get(user=alice).paused is False


def test_it_answers_htmx_pause_with_the_toggle(client, alice):
    response = client_for(client, alice).post(reverse("routing-pause"), {"paused": "1"},
                                              HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Paused: no new leads" in response.content.decode()


def test_it_refuses_the_pause_toggle_to_non_qualifiers(client, sam, mia):
    assert client_for(client, sam).post(reverse("routing-pause")).status_code == 403
    assert client_for(client, mia).post(reverse("routing-pause")).status_code == 403


def test_it_keeps_a_pause_redirect_on_this_site(client, alice):
    response = client_for(client, alice).post(reverse("routing-pause"),
                                              {"next": "https://evil.example/"})
    assert response["Location"] == reverse("desk")


def test_it_pauses_only_the_qualifier_who_asks(client, alice, bob):
    client_for(client, alice).post(reverse("routing-pause"), {"paused": "1"})
    assert not Seat.objects.filter(user=bob, paused=True).exists()
