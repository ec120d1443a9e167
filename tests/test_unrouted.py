"""No lead invisible: in a set-up like the demo's (two teams, no default team,
no routing rule) a new lead waits in the unrouted pool that managers see on
their desk with its count; a default team set in the database routes it to a
qualifier; one alert per lead and cause however often routing and the
no-lead-left-behind check run; every routed lead has its first call."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from leadgate.leads.models import Lead, Task, Team
from leadgate.lib.business_hours import OFFICE_HOURS
from leadgate.orchestration.tasks import after_intake
from leadgate.routing.assign import default_team, route
from leadgate.routing.models import Alert, Assignment, Seat, SlaClock
from leadgate.workspace.followup import ensure_next_steps
from tests.api_helpers import api_post, make_key
from tests.factories import hours_grid_data, make_lead

pytestmark = pytest.mark.django_db

# A Monday, 10:00 UTC: office hours in UTC and in London.
MONDAY_10 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)
    return MONDAY_10


@pytest.fixture
def demo_like(now, alice, bob, charlie):
    """Two teams (alice and bob in EMEA, charlie in APAC), neither the default,
    and no routing rule: what `leadgate demo` had."""
    return alice.team, charlie.team


def new_api_lead(**fields) -> Lead:
    """A lead sent to the API, through the steps after intake as the worker runs them."""
    body = {"email": "grace@hopper.example", "first_name": "Grace", "last_name": "Hopper",
            **fields}
    response = api_post(make_key(None, scopes=("intake",)), "/leads", body)
    assert response.status_code == 201, response.content
    after_intake.call(response.json()["lead"])
    return Lead.objects.select_related("owner", "team").get(pk=response.json()["lead"])


def kinds(lead: Lead) -> list[str]:
    return sorted(Alert.objects.filter(lead=lead).values_list("kind", flat=True))


def test_it_puts_a_new_api_lead_in_the_unrouted_pool(demo_like):
    lead = new_api_lead()
    assert (lead.owner, lead.team) == (None, None)
    assert Assignment.objects.get(lead=lead).why == Assignment.Why.POOL
    assert kinds(lead) == ["nobody_available"]


def test_it_gives_an_unrouted_lead_its_first_call_due_with_its_sla(demo_like):
    lead = new_api_lead()
    clock = SlaClock.objects.get(lead=lead)
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.assignee, task.done_at) == ("first_call", None, None)
    assert task.due_at == clock.due_at == MONDAY_10 + timedelta(hours=1)


def test_it_shows_managers_the_unrouted_pool_with_its_count(client, demo_like, mia):
    lead = new_api_lead()
    client.force_login(mia)
    desk = client.get(reverse("desk")).content.decode()
    assert "Unrouted <span class=\"tab-count waiting\">(1)</span>" in desk
    listing = client.get(reverse("desk"), {"tab": "unrouted"})
    assert list(listing.context["leads"]) == [lead]


def test_it_hides_the_unrouted_pool_from_qualifiers(client, demo_like, alice):
    new_api_lead()
    client.force_login(alice)
    assert "Unrouted" not in client.get(reverse("desk")).content.decode()
    assert client.get(reverse("desk"), {"tab": "unrouted"}).status_code == 403


def test_it_routes_a_new_lead_to_a_qualifier_of_the_default_team_set_in_the_database(
        demo_like, alice, bob):
    emea, _apac = demo_like
    Team.objects.filter(pk=emea.pk).update(is_default=True)
    lead = new_api_lead()
    assert lead.owner in (alice, bob) and lead.team == emea
    assert kinds(lead) == []


def test_it_gives_a_new_routed_lead_its_first_call_and_no_alert_later(demo_like, alice,
                                                                      time_machine):
    Team.objects.filter(pk=alice.team_id).update(is_default=True)
    lead = new_api_lead()
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.assignee) == ("first_call", lead.owner)
    assert task.due_at == SlaClock.objects.get(lead=lead).due_at
    time_machine.move_to(MONDAY_10 + timedelta(minutes=6), tick=False)
    assert ensure_next_steps() == {"no_owner": 0, "no_next_step": 0, "routed": 0}
    assert kinds(lead) == []


def test_it_raises_one_alert_per_lead_however_often_it_is_routed_and_checked(
        demo_like, time_machine):
    lead = new_api_lead()
    for minutes in (5, 10, 15):
        route(lead)
        time_machine.move_to(MONDAY_10 + timedelta(minutes=minutes), tick=False)
        ensure_next_steps()
    assert kinds(lead) == ["nobody_available"]
    assert Assignment.objects.filter(lead=lead).count() == 1  # the pool, once
    assert Task.objects.filter(lead=lead).count() == 1


def test_it_routes_a_pooled_lead_once_a_qualifier_is_available_and_resolves_its_alert(
        now, alice):
    seat = Seat.objects.create(user=alice, paused=True)
    lead = new_api_lead()
    assert (lead.owner, lead.team) == (None, alice.team)  # the only team's pool
    assert ensure_next_steps()["routed"] == 0  # still nobody
    seat.paused = False
    seat.save()
    assert ensure_next_steps()["routed"] == 1
    lead.refresh_from_db()
    assert lead.owner == alice
    alert = Alert.objects.get(lead=lead)
    assert (alert.kind, alert.resolved_at) == ("nobody_available", now)
    assert Task.objects.get(lead=lead).assignee == alice  # the first call moved with it


def test_it_moves_an_unrouted_lead_to_the_default_team_once_there_is_one(
        demo_like, alice, bob):
    emea, _apac = demo_like
    lead = new_api_lead()
    for everyone_away in (alice, bob):
        Seat.objects.create(user=everyone_away, paused=True)
    Team.objects.filter(pk=emea.pk).update(is_default=True)
    ensure_next_steps()
    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (None, emea)
    alert = Alert.objects.get(lead=lead)  # the one alert now says where it waits
    assert (alert.team, alert.resolved_at) == (emea, None)
    assert "pool of Qualifiers EMEA" in alert.message


def test_it_gives_a_waiting_lead_to_a_qualifier_from_the_desk(client, demo_like, mia, charlie):
    lead = new_api_lead()
    client.force_login(mia)
    back = reverse("desk") + "?tab=unrouted"
    response = client.post(reverse("lead-reassign", args=[lead.pk]),
                           {"to_user": charlie.pk, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (charlie, charlie.team)
    assert Task.objects.get(lead=lead).assignee == charlie
    assert Alert.objects.get(lead=lead).resolved_at is not None


def test_it_offers_a_manager_to_give_an_unrouted_lead_from_its_page(client, demo_like, mia,
                                                                   alice, charlie):
    lead = new_api_lead()
    client.force_login(mia)
    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert 'title="no routing rule matched and there is no default team">unrouted' in page
    assert 'id="reassign-form"' in page
    assert f'<option value="{alice.pk}"' in page and f'<option value="{charlie.pk}"' in page
    client.post(reverse("lead-reassign", args=[lead.pk]), {"to_user": alice.pk})
    lead.refresh_from_db()
    assert lead.owner == alice


def test_it_refuses_to_send_a_giver_back_to_another_site(client, demo_like, mia, charlie):
    lead = new_api_lead()
    client.force_login(mia)
    response = client.post(reverse("lead-reassign", args=[lead.pk]),
                           {"to_user": charlie.pk, "next": "https://evil.example/"})
    assert response["Location"] == reverse("lead", args=[lead.pk])


def test_it_shows_a_qualifier_the_team_pool_with_its_count(client, now, alice, bob):
    Seat.objects.create(user=alice, paused=True)
    Seat.objects.create(user=bob, paused=True)
    lead = new_api_lead()
    client.force_login(bob)
    desk = client.get(reverse("desk")).content.decode()
    assert "Team pool <span class=\"tab-count waiting\">(1)</span>" in desk
    assert list(client.get(reverse("desk"), {"tab": "pool"}).context["leads"]) == [lead]


def test_it_shows_managers_every_team_pool_and_one_team_on_demand(client, demo_like, mia):
    emea, apac = demo_like
    in_emea = make_lead(team=emea)
    in_apac = make_lead(team=apac)
    client.force_login(mia)
    pools = client.get(reverse("desk"), {"tab": "pool"})
    assert set(pools.context["leads"]) == {in_emea, in_apac}
    one = client.get(reverse("desk"), {"tab": "pool", "team": apac.pk})
    assert list(one.context["leads"]) == [in_apac]


def test_it_caps_the_pool_count(client, demo_like, mia, monkeypatch):
    monkeypatch.setattr("leadgate.routing.pools.COUNT_CAP", 2)
    for _ in range(3):
        make_lead()
    client.force_login(mia)
    assert "Unrouted <span class=\"tab-count waiting\">(2+)</span>" in (
        client.get(reverse("desk")).content.decode())


def test_it_puts_a_new_lead_of_the_demo_company_on_a_desk(now):
    call_command("demo", leads=30, quiet=True, stdout=StringIO())
    lead = new_api_lead(email="new@prospect.example")
    assert lead.team.is_default and lead.owner.team == lead.team
    assert kinds(lead) == []


# --- the default team -----------------------------------------------------------------


def test_it_takes_the_setting_then_the_flagged_team_then_the_only_team(
        demo_like, settings):
    emea, apac = demo_like
    assert default_team() is None
    Team.objects.filter(pk=apac.pk).update(is_default=True)
    assert default_team() == apac
    settings.LEADGATE_DEFAULT_TEAM = emea.name
    assert default_team() == emea
    settings.LEADGATE_DEFAULT_TEAM = "No such team"
    assert default_team() == apac  # a setting naming no team is passed over


def test_it_allows_one_default_team_at_most(demo_like):
    emea, apac = demo_like
    Team.objects.filter(pk=emea.pk).update(is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.filter(pk=apac.pk).update(is_default=True)


def team_form(team, **changes):
    return {"time_zone": team.time_zone, **hours_grid_data(team.hours or OFFICE_HOURS),
            "holidays": "", **changes}


def test_it_lets_a_manager_make_a_team_the_default_on_the_team_hours_page(
        client, demo_like, mia):
    emea, apac = demo_like
    client.force_login(mia)
    client.post(reverse("routing-team", args=[emea.pk]), team_form(emea, make_default="on"))
    response = client.post(reverse("routing-team", args=[apac.pk]),
                           team_form(apac, make_default="on"))
    assert response.status_code == 302
    assert list(Team.objects.filter(is_default=True)) == [apac]  # the one set last
    page = client.get(reverse("routing-teams")).content.decode()
    assert "go to <strong>Qualifiers APAC</strong>" in page


def test_it_says_on_the_team_hours_page_when_there_is_no_default_team(client, demo_like, mia):
    client.force_login(mia)
    page = client.get(reverse("routing-teams")).content.decode()
    assert "No default team" in page
