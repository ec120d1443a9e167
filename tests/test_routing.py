"""Routing: rules, the account owner, the fair rotation, availability, the pool,
and reassignment."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadgate.enrich.models import Enrichment
from leadgate.intake.models import Inquiry, Source, WebForm
from leadgate.leads.lifecycle import IllegalMove
from leadgate.leads.models import Event, Lead, Task
from leadgate.routing.assign import next_available, reassign, route, route_many
from leadgate.routing.availability import is_available, unavailable_because
from leadgate.routing.models import Absence, Alert, Assignment, RoutingRule, Seat
from leadgate.scoring.models import LeadScore
from tests.factories import make_account, make_lead, make_team, make_user

pytestmark = pytest.mark.django_db

# A Monday, 10:00 UTC: inside office hours (09:00-18:00) in UTC and in Paris.
MONDAY_10 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def office_time(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def rule(team=None, user=None, *conditions, position=0):
    return RoutingRule.objects.create(
        name=f"rule {position}", position=position, team=team, user=user,
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions])


def squad(name, size, **seat):
    team = make_team(name)
    users = [make_user(f"{name.lower()}{n}", "qualifier", team) for n in range(size)]
    for user in users:
        Seat.objects.create(user=user, **seat)
    return team, users


# --- rules ----------------------------------------------------------------------

def test_it_routes_by_country_in_a_list(alice, charlie):
    rule(charlie.team, None, ("lead.country", "in", ["JP", "AU"]))
    assert route(make_lead(country="AU", team=alice.team)).to_user == charlie


def test_it_skips_a_rule_whose_country_does_not_match(alice, charlie):
    rule(charlie.team, None, ("lead.country", "in", ["JP", "AU"]))
    assert route(make_lead(country="FR", team=alice.team)).to_user == alice


def test_it_routes_by_the_accounts_region(alice, charlie):
    rule(charlie.team, None, ("account.state", "in", ["Bavaria", "Hesse"]))
    account = make_account()
    account.state = "Bavaria"
    account.save()
    assert route(make_lead(account=account, team=alice.team)).to_user == charlie


def test_it_routes_large_companies_by_employee_count(alice, charlie):
    rule(charlie.team, None, ("account.employees", "gte", 1000))
    account = make_account()
    account.employees = 5000
    account.save()
    assignment = route(make_lead(account=account, team=alice.team))
    assert (assignment.to_user, assignment.rule.name) == (charlie, "rule 0")


def test_it_routes_small_companies_by_employee_count(alice, charlie):
    rule(charlie.team, None, ("account.employees", "lte", 50))
    big, small = make_account("Big"), make_account("Small")
    big.employees, small.employees = 51, 12
    big.save()
    small.save()
    assert route(make_lead(account=small, team=alice.team)).to_user == charlie
    assert route(make_lead(account=big, team=alice.team)).to_user == alice


def test_it_routes_by_the_inquirys_source(alice, charlie):
    rule(charlie.team, None, ("inquiry.source", "eq", "Partner portal"))
    lead = make_lead(team=alice.team)
    Inquiry.objects.filter(lead=lead).update(
        source=Source.objects.create(name="Partner portal", kind="partner"))
    assert route(lead).to_user == charlie


def test_it_routes_by_the_form(alice, charlie):
    rule(charlie.team, None, ("inquiry.form", "eq", "Demo request"))
    lead = make_lead(team=alice.team)
    Inquiry.objects.filter(lead=lead).update(form=WebForm.objects.create(name="Demo request"))
    assert route(lead).to_user == charlie


def test_it_routes_by_score_grade(alice, charlie):
    rule(charlie.team, None, ("score.grade", "in", ["A1", "A2"]))
    lead = make_lead(team=alice.team)
    LeadScore.objects.create(lead=lead, grade="A2")
    assert route(lead).to_user == charlie


def test_it_routes_by_language_from_enrichment(alice, charlie):
    # Leads have no language field: the language is an enrichment fact.
    rule(charlie.team, None, ("fact.language", "eq", "de"))
    lead = make_lead(team=alice.team)
    Enrichment.objects.create(lead=lead, field="language", value="de", provider="test")
    assert route(lead).to_user == charlie


def test_it_takes_the_first_matching_rule_by_position(alice, charlie):
    rule(alice.team, None, ("lead.country", "eq", "FR"), position=2)
    rule(charlie.team, None, ("lead.country", "eq", "FR"), position=1)
    assert route(make_lead(country="FR")).to_user == charlie


def test_it_ignores_inactive_rules(alice, charlie):
    RoutingRule.objects.create(name="off", team=charlie.team, active=False)
    assert route(make_lead(team=alice.team)).to_user == alice


def test_it_sends_a_lead_to_a_named_qualifier(alice, bob):
    rule(None, bob, ("lead.country", "eq", "FR"))
    assignment = route(make_lead(country="FR", team=alice.team))
    assert (assignment.to_user, assignment.why) == (bob, Assignment.Why.RULE)


def test_it_falls_back_to_the_named_qualifiers_team_when_they_are_away(alice, bob):
    rule(None, bob, ("lead.country", "eq", "FR"))
    Seat.objects.create(user=bob, paused=True)
    assignment = route(make_lead(country="FR"))
    assert (assignment.to_user, assignment.why) == (alice, Assignment.Why.ROTATION)


def test_it_uses_the_default_team_setting_when_no_rule_matches(alice, charlie, settings):
    settings.LEADGATE_DEFAULT_TEAM = "Qualifiers APAC"
    assert route(make_lead()).to_user == charlie


def test_it_uses_the_only_team_when_no_rule_matches(alice):
    assert route(make_lead()).to_user == alice


# --- account owner -------------------------------------------------------------

def test_it_gives_an_account_owners_leads_to_the_owner_first(alice, charlie):
    rule(alice.team, None)  # matches everything
    account = make_account()
    account.owner = charlie
    account.save()
    assignment = route(make_lead(account=account))
    assert (assignment.to_user, assignment.why) == (charlie, Assignment.Why.ACCOUNT_OWNER)


def test_it_routes_by_rule_when_the_account_owner_is_away(alice, charlie):
    rule(alice.team, None)
    Seat.objects.create(user=charlie, paused=True)
    account = make_account()
    account.owner = charlie
    account.save()
    assert route(make_lead(account=account)).to_user == alice


# --- the rotation --------------------------------------------------------------

def test_it_rotates_evenly_over_eight_equal_qualifiers():
    team, users = squad("Eight", 8)
    counts: Counter = Counter()
    for _ in range(100):
        counts[route(make_lead(team=team)).to_user.pk] += 1
        spread = [counts[user.pk] for user in users]
        assert max(spread) - min(spread) <= 1
    assert sorted(counts.values()) == [12, 12, 12, 12, 13, 13, 13, 13]


def test_it_rotates_two_to_one_with_weights_two_and_one():
    team, (heavy, light) = squad("Weighted", 2)
    Seat.objects.filter(user=heavy).update(weight=2.0)
    owners = Counter(route(make_lead(team=team)).to_user for _ in range(90))
    assert (owners[heavy], owners[light]) == (60, 30)


def test_it_records_the_rotation_state_on_the_seat(alice):
    route(make_lead(team=alice.team))
    seat = Seat.objects.get(user=alice)
    assert (seat.virtual_start, seat.last_assigned) == (1.0, 1)


def test_it_does_not_flood_a_qualifier_back_from_leave():
    team, (back, *others) = squad("Returning", 3)
    Absence.objects.create(user=back, starts_on=date(2025, 3, 3), ends_on=date(2025, 3, 3))
    for _ in range(30):
        assert route(make_lead(team=team)).to_user != back
    Absence.objects.all().delete()
    owners = Counter(route(make_lead(team=team)).to_user for _ in range(30))
    assert owners[back] == 10  # its share from now on, no catch-up
    assert [owners[user] for user in others] == [10, 10]


def test_it_leaves_a_lead_with_an_available_owner_alone(alice, bob):
    lead = make_lead(owner=alice)
    assert route(lead) is None
    assert route(lead, force=True) is not None  # forced: routed again, recorded


def test_it_leaves_a_lead_off_the_desk_alone(alice):
    lead = make_lead(team=alice.team, stage="nurture")
    assert route(lead) is None


# --- availability --------------------------------------------------------------

def test_it_skips_a_qualifier_at_the_cap(alice, bob):
    Seat.objects.create(user=alice, max_open=1)
    make_lead(owner=alice)
    assert route(make_lead(team=alice.team)).to_user == bob
    assert unavailable_because(alice) == "at the cap of open leads"


def test_it_does_not_count_closed_leads_against_the_cap(alice):
    Seat.objects.create(user=alice, max_open=1)
    make_lead(owner=alice, stage="lost")
    assert route(make_lead(team=alice.team)).to_user == alice


def test_it_skips_a_paused_qualifier(alice, bob):
    Seat.objects.create(user=alice, paused=True)
    assert {route(make_lead(team=alice.team)).to_user for _ in range(3)} == {bob}


def test_it_skips_a_qualifier_out_of_office(alice, bob):
    Absence.objects.create(user=alice, starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 7))
    assert {route(make_lead(team=alice.team)).to_user for _ in range(3)} == {bob}


def test_it_reads_out_of_office_dates_in_the_qualifiers_time_zone(alice, time_machine):
    # 23:00 UTC on Monday is already Tuesday in Auckland, the day alice is away.
    alice.time_zone = "Pacific/Auckland"
    alice.save()
    Absence.objects.create(user=alice, starts_on=date(2025, 3, 4), ends_on=date(2025, 3, 4))
    Seat.objects.create(user=alice, hours={"mon-sun": "00:00-24:00"})
    assert not is_available(alice, datetime(2025, 3, 3, 23, 0, tzinfo=UTC))
    assert is_available(alice, datetime(2025, 3, 3, 10, 0, tzinfo=UTC))


def test_it_skips_a_qualifier_outside_their_own_working_hours(alice, bob):
    # 10:00 UTC is 05:00 in New York: alice starts at 08:00 her time.
    alice.time_zone = "America/New_York"
    alice.save()
    Seat.objects.create(user=alice, hours={"mon-fri": "08:00-17:00"})
    assert route(make_lead(team=alice.team)).to_user == bob
    assert unavailable_because(alice) == "outside working hours"
    assert is_available(alice, MONDAY_10 + timedelta(hours=4))


def test_it_counts_team_hours_in_the_teams_time_zone(alice):
    alice.team.time_zone = "Asia/Tokyo"  # 10:00 UTC is 19:00 in Tokyo: closed
    alice.team.save()
    alice.refresh_from_db()
    assert unavailable_because(alice) == "outside working hours"


def test_it_creates_a_default_seat_for_a_qualifier_on_first_routing(alice):
    assert not Seat.objects.filter(user=alice).exists()
    route(make_lead(team=alice.team))
    seat = Seat.objects.get(user=alice)
    assert (seat.weight, seat.max_open, seat.paused) == (1.0, None, False)


def test_it_never_gives_a_lead_to_someone_who_is_not_a_qualifier(alice):
    make_user("mgr", "manager", alice.team)
    assert {route(make_lead(team=alice.team)).to_user for _ in range(3)} == {alice}


# --- the pool ------------------------------------------------------------------

def test_it_puts_a_lead_in_the_team_pool_and_alerts_when_nobody_is_available(alice, bob):
    Seat.objects.create(user=alice, paused=True)
    Seat.objects.create(user=bob, paused=True)
    lead = make_lead(team=alice.team)
    assignment = route(lead)
    lead.refresh_from_db()
    assert (lead.owner, lead.team, assignment.why) == (None, alice.team, Assignment.Why.POOL)
    alert = Alert.objects.get()
    assert (alert.kind, alert.team, alert.lead) == ("nobody_available", alice.team, lead)


def test_it_routes_a_pool_lead_once_someone_is_back(alice):
    seat = Seat.objects.create(user=alice, paused=True)
    lead = make_lead(team=alice.team)
    route(lead)
    seat.paused = False
    seat.save()
    assert route(lead).to_user == alice


# --- assignments and events ----------------------------------------------------

def test_it_records_every_routing_and_tells_the_new_owner(alice):
    lead = make_lead(team=alice.team)
    assignment = route(lead)
    assert (assignment.to_user, assignment.why, assignment.by) == (
        alice, Assignment.Why.ROTATION, None)
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert Event.objects.filter(owner_id=alice.pk, lead_id=lead.pk, kind="lead.assigned").exists()


def test_it_records_a_reassignment_by_hand(alice, bob, mia):
    lead = make_lead(owner=alice)
    assignment = reassign(lead, bob, by=mia, note="alice is on a course")
    assert (assignment.from_user, assignment.to_user, assignment.by, assignment.why) == (
        alice, bob, mia, Assignment.Why.MANUAL)
    assert Lead.objects.get(pk=lead.pk).owner == bob
    assert list(Event.objects.filter(lead_id=lead.pk).values_list(
        "kind", "owner_id", "previous_owner_id", "actor_id")) == [
        ("lead.assigned", bob.pk, alice.pk, mia.pk)]


def test_it_moves_the_open_next_step_with_the_lead(alice, bob, mia):
    lead = make_lead(owner=alice)
    task = Task.objects.create(lead=lead, assignee=alice, title="Call", due_at=MONDAY_10)
    reassign(lead, bob, by=mia)
    task.refresh_from_db()
    assert task.assignee == bob


def test_it_refuses_to_give_a_lead_to_someone_who_is_not_a_qualifier(alice, sam, mia):
    lead = make_lead(owner=alice)
    with pytest.raises(IllegalMove) as refused:
        reassign(lead, sam, by=mia)
    assert refused.value.field == "to_user"
    assert Lead.objects.get(pk=lead.pk).owner == alice
    assert not Assignment.objects.exists()


def test_it_finds_the_next_available_qualifier_leaving_some_out(alice, bob):
    assert next_available(alice.team, exclude=[alice]) == bob
    assert next_available(alice.team, exclude=[alice, bob]) is None


# --- batches -------------------------------------------------------------------

def test_it_routes_a_batch_in_the_same_turns_as_one_by_one():
    team, users = squad("Batch", 3)
    Seat.objects.filter(user=users[0]).update(weight=2.0)
    batch = route_many([make_lead(team=team) for _ in range(8)])
    alone_team, alone_users = squad("Alone", 3)
    Seat.objects.filter(user=alone_users[0]).update(weight=2.0)
    alone = [route(make_lead(team=alone_team)) for _ in range(8)]
    assert ([users.index(a.to_user) for a in batch]
            == [alone_users.index(a.to_user) for a in alone])
    assert (sorted(Seat.objects.filter(user__in=users).values_list("last_assigned", flat=True))
            == sorted(Seat.objects.filter(user__in=alone_users)
                      .values_list("last_assigned", flat=True)))


def test_it_counts_a_batchs_own_leads_against_a_cap(alice, bob):
    Seat.objects.create(user=alice, max_open=1)
    routed = route_many([make_lead(team=alice.team) for _ in range(3)])
    assert [a.to_user for a in routed].count(alice) == 1


def test_it_routes_a_lead_listed_twice_in_a_batch_once(alice):
    lead = make_lead(team=alice.team)
    first, second = route_many([lead, lead])
    assert (first.to_user, second) == (alice, None)
    assert Assignment.objects.filter(lead=lead).count() == 1


def test_it_routes_a_batch_in_a_number_of_statements_that_does_not_grow_with_it(
        alice, bob, django_assert_max_num_queries):
    few = [make_lead(team=alice.team) for _ in range(2)]
    many = [make_lead(team=alice.team) for _ in range(20)]

    with CaptureQueriesContext(connection) as small:
        route_many(few)
    with django_assert_max_num_queries(len(small.captured_queries)):
        route_many(many)
    first_calls = Task.objects.filter(lead__in=many, kind="first_call", assignee__isnull=False)
    assert first_calls.count() == 20


@pytest.mark.django_db(transaction=True)
def test_it_never_picks_from_stale_state_when_two_workers_route_at_once():
    import threading

    from django.db import connection, connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("SQLite's in-memory test database does not run writers in parallel")
    team, users = squad("Parallel", 4)
    leads = [make_lead(team=team) for _ in range(40)]
    start = threading.Barrier(4)
    errors = []

    def work(mine):
        try:
            start.wait()
            for lead in mine:
                route(lead, now=MONDAY_10)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(leads[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = Counter(Lead.objects.filter(team=team).values_list("owner_id", flat=True))
    assert sorted(counts.values()) == [10, 10, 10, 10]
    assert sorted(Seat.objects.values_list("last_assigned", flat=True)) == [37, 38, 39, 40]
