"""The live queue: its order, calling hours, claims, pruning and the queue API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import include, path, reverse

import leadgate.urls
from leadgate.leads.models import Event, Task
from leadgate.lib.score_rank import score_rank
from leadgate.routing.assign import route
from leadgate.routing.models import SlaClock, SlaPolicy
from leadgate.routing.sla import start_clock
from leadgate.scoring.models import LeadScore
from leadgate.scoring.ranks import apply_ranks
from leadgate.workspace.models import Claim
from leadgate.workspace.queue import claim, claimed_by_other, queue_for, release
from leadgate.workspace.tasks import prune_queue
from tests.api_helpers import api_get, make_key
from tests.factories import make_lead

# The queue page replaces /desk/ once leadgate/urls.py includes queue_urls;
# until then these tests mount it themselves.
urlpatterns = [path("", include("leadgate.workspace.queue_urls")), *leadgate.urls.urlpatterns]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# 12:00 UTC on a Tuesday: 13:00 in Paris (callable), 04:00 in Los Angeles and
# 21:00 in Tokyo (both outside 08:00-20:00).
NOON = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def noon(time_machine):
    time_machine.move_to(NOON, tick=False)
    return NOON


def lead(owner, grade="", probability=None, time_zone="Europe/Paris", **fields):
    made = make_lead(owner=owner, time_zone=time_zone, **fields)
    if grade or probability is not None:
        LeadScore.objects.create(lead=made, grade=grade, probability=probability)
        # What scoring does when it saves a score: the rank the queue sorts by.
        apply_ranks([(made.pk, score_rank(grade, probability))])
        made.refresh_from_db()
    return made


def task(of, due, assignee=None):
    return Task.objects.create(lead=of, assignee=assignee or of.owner, title="call",
                               due_at=due)


def sla(of, due):
    policy, _ = SlaPolicy.objects.get_or_create(segment="hot_inbound",
                                                defaults={"minutes": 5})
    return SlaClock.objects.create(lead=of, policy=policy, owner=of.owner, due_at=due)


def order(user, **kwargs):
    return [(item.lead, item.reason) for item in queue_for(user, **kwargs)]


def test_it_orders_sla_first_then_due_follow_ups_then_by_score(alice, noon):
    scored = lead(alice, "A1")
    follow_up = lead(alice, "D4")
    task(follow_up, noon - timedelta(hours=1))
    later = lead(alice, "B2")
    task(later, noon + timedelta(days=1))  # not due yet: ranked by score
    urgent = lead(alice, "D4")
    sla(urgent, noon + timedelta(minutes=3))
    assert order(alice) == [(urgent, "sla"), (follow_up, "follow-up"),
                            (scored, "score"), (later, "score")]


def test_it_orders_sla_clocks_by_due_time_and_lists_each_lead_once(alice, noon):
    second, first = lead(alice, "A1"), lead(alice, "D4")
    sla(second, noon + timedelta(minutes=4))
    sla(first, noon + timedelta(minutes=1))
    task(first, noon - timedelta(hours=1))
    assert order(alice) == [(first, "sla"), (second, "sla")]


@pytest.mark.parametrize("few_due", [200, 0])  # due follow-ups read at once, or in rank order
def test_it_lists_a_new_lead_once_with_its_sla_clock_and_its_first_call(
        alice, noon, time_machine, monkeypatch, few_due):
    monkeypatch.setattr("leadgate.workspace.queue.FEW_DUE", few_due)
    fresh = make_lead(team=alice.team, time_zone="Europe/Paris")
    route(fresh)  # alice's, with its first call
    clock = start_clock(fresh, fresh.inquiries.get(), now=noon)
    assert Task.objects.get(lead=fresh).due_at == clock.due_at
    assert order(alice) == [(fresh, "sla")]
    time_machine.move_to(clock.due_at + timedelta(seconds=1), tick=False)  # both due now
    assert order(alice) == [(fresh, "sla")]


def test_it_orders_due_follow_ups_by_grade_then_probability_then_due_time(alice, noon):
    b1 = lead(alice, "B1", 0.9)
    a2_low = lead(alice, "A2", 0.2)
    a2_high = lead(alice, "A2", 0.7)
    unscored = lead(alice)
    a1_late, a1_early = lead(alice, "A1", 0.5), lead(alice, "A1", 0.5)
    for each in (b1, a2_low, a2_high, unscored):
        task(each, noon - timedelta(hours=1))
    task(a1_late, noon - timedelta(minutes=5))
    task(a1_early, noon - timedelta(hours=5))
    assert [item[0] for item in order(alice)] == [a1_early, a1_late, a2_high, a2_low, b1,
                                                  unscored]


def test_it_orders_many_due_follow_ups_the_same_way_read_in_rank_order(
        alice, noon, monkeypatch):
    leads = [lead(alice, grade, 0.5, time_zone=zone) for grade, zone in
             [("C1", "Europe/Paris"), ("A1", "Asia/Tokyo"), ("B1", "Europe/Paris"),
              ("A2", "Europe/Paris"), ("D1", "Asia/Tokyo")]]
    for hours, each in enumerate(leads, start=1):
        task(each, noon - timedelta(hours=hours))
    few = [(item.lead, item.held_back) for item in queue_for(alice)]
    monkeypatch.setattr("leadgate.workspace.queue.FEW_DUE", 2)
    many = [(item.lead, item.held_back) for item in queue_for(alice)]
    assert few == many == [(leads[3], False), (leads[2], False), (leads[0], False),
                           (leads[1], True), (leads[4], True)]


def test_it_orders_the_rest_by_score_with_unscored_last(alice, noon):
    none, c3, a1 = lead(alice), lead(alice, "C3"), lead(alice, "A1", 0.1)
    assert order(alice) == [(a1, "score"), (c3, "score"), (none, "score")]


def test_it_ranks_scores_in_one_sortable_number():
    ranks = [score_rank("A1", 0.9), score_rank("A1", 0.1), score_rank("A1", None),
             score_rank("B4", 1.0), score_rank("D4", 0.5), score_rank("", 0.99)]
    assert ranks == sorted(ranks)


def test_it_leaves_out_other_peoples_and_closed_leads(alice, bob, noon):
    mine = lead(alice, "B1")
    lead(bob, "A1")
    lead(alice, "A1", stage="won")
    theirs = lead(bob, "A1")
    task(theirs, noon - timedelta(hours=1))  # bob's task
    assert order(alice) == [(mine, "score")]


def test_it_holds_back_leads_outside_their_calling_hours_and_lists_them_last(alice, noon):
    tokyo = lead(alice, "A1", time_zone="Asia/Tokyo")
    paris = lead(alice, "C1", time_zone="Europe/Paris")
    items = queue_for(alice)
    assert [(item.lead, item.held_back) for item in items] == [(paris, False), (tokyo, True)]
    assert items[0].local_time.strftime("%H:%M %Z") == "13:00 CET"
    assert items[1].local_time.strftime("%H:%M") == "21:00"


def test_it_never_holds_back_a_lead_with_an_unknown_time_zone(alice, noon):
    nowhere = lead(alice, "A1", time_zone="")
    item, = queue_for(alice)
    assert (item.lead, item.held_back, item.local_time) == (nowhere, False, None)


def test_it_follows_the_calling_hours_setting(alice, noon, settings):
    settings.LEADGATE_CALLING_HOURS = "14:00-22:00"
    tokyo, paris = lead(alice, time_zone="Asia/Tokyo"), lead(alice, time_zone="Europe/Paris")
    assert [(i.lead, i.held_back) for i in queue_for(alice)] == [(tokyo, False), (paris, True)]


def test_it_marks_a_lead_claimed_by_someone_else(alice, bob, noon):
    worked = lead(alice, "A1")
    assert claim(worked, bob) is None
    item, = queue_for(alice)
    assert item.claimed_by == bob
    assert queue_for(bob) == []  # not bob's lead; his own claim is not a mark anyway


def test_it_ignores_expired_claims(alice, bob, noon, time_machine, settings):
    settings.LEADGATE_CLAIM_MINUTES = 10
    worked = lead(alice, "A1")
    claim(worked, bob)
    time_machine.move_to(NOON + timedelta(minutes=11), tick=False)
    assert queue_for(alice)[0].claimed_by is None
    assert claimed_by_other(worked, alice) is None
    assert claim(worked, alice) is None  # the expired claim does not stand in the way


def test_it_keeps_a_live_claim_for_its_holder(alice, bob, noon):
    worked = lead(alice, "A1")
    claim(worked, bob)
    assert claim(worked, alice) == bob
    assert claimed_by_other(worked, alice) == bob
    assert Claim.objects.get(lead=worked).user == bob


def test_it_tells_the_owner_when_someone_claims_and_releases_their_lead(alice, bob, noon):
    worked = lead(alice, "A1")
    claim(worked, bob)
    claim(worked, bob)  # opened again: renewed, not announced again
    assert release(worked, bob) is True
    assert list(Event.objects.filter(owner_id=alice.pk).values_list("kind", "lead_id")) == [
        ("claim.taken", worked.pk), ("claim.released", worked.pk)]
    assert not Claim.objects.exists()


def test_it_prunes_expired_claims(alice, bob, noon, time_machine):
    worked, other = lead(alice, "A1"), lead(alice, "A2")
    claim(worked, bob)
    time_machine.move_to(NOON + timedelta(days=1, minutes=1), tick=False)
    claim(other, bob)
    assert prune_queue.call() == {"claims": 1}
    assert list(Claim.objects.values_list("lead_id", flat=True)) == [other.pk]


def test_it_shows_the_queue_on_the_desk_with_held_back_leads_and_claims(client, alice, bob,
                                                                       noon):
    urgent = lead(alice, "A1", first_name="Urgent")
    sla(urgent, noon + timedelta(minutes=3))
    lead(alice, "A1", first_name="Sleeping", time_zone="Asia/Tokyo")
    claim(urgent, bob)
    client.force_login(alice)
    response = client.get(reverse("desk"))
    page = response.content.decode()
    assert [item.lead for item in response.context["items"]][0] == urgent
    assert page.index("Urgent") < page.index("Held back") < page.index("Sleeping")
    assert "being worked by bob" in page
    assert 'data-countdown' in page and "events" in page


def test_it_serves_the_rows_alone_for_live_refreshes(client, alice, noon):
    lead(alice, "A1", first_name="Fresh")
    client.force_login(alice)
    response = client.get(reverse("desk-rows"))
    assert "Fresh" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_it_keeps_the_team_pool_tab(client, alice, noon):
    pooled = make_lead(team=alice.team, first_name="Pooled")
    client.force_login(alice)
    response = client.get(reverse("desk"), {"tab": "pool"})
    assert list(response.context["leads"]) == [pooled]


def test_it_refuses_the_desk_to_a_sales_rep(client, sam):
    client.force_login(sam)
    assert client.get(reverse("desk")).status_code == 403


def api_queue(key, username):
    return api_get(key, "/queue", user=username)


def test_it_answers_a_users_own_queue_through_the_api(alice, noon):
    first = lead(alice, "A1", company_name="Acme")
    sla(first, noon + timedelta(minutes=3))
    response = api_queue(make_key(alice, ("read",)), "alice")
    assert response.status_code == 200
    assert response.json()[0] == {
        "lead_id": first.pk, "name": first.name, "company": "Acme", "reason": "sla",
        "due_at": "2025-03-04T12:03:00Z", "local_time": "2025-03-04T13:00:00+01:00",
        "held_back": False, "claimed_by": None, "grade": "A1"}


def test_it_refuses_another_qualifiers_queue_to_a_users_key(alice, bob):
    response = api_queue(make_key(alice, ("read",)), "bob")
    assert response.status_code == 403


def test_it_lets_a_manager_and_a_service_key_read_anyones_queue(alice, mia, noon):
    lead(alice, "A1")
    for key in (make_key(mia, ("read",)), make_key(None, ("read",))):
        response = api_queue(key, "alice")
        assert response.status_code == 200
        assert len(response.json()) == 1


def test_it_requires_the_read_scope_for_the_queue(alice):
    assert api_queue(make_key(alice, ("intake",)), "alice").status_code == 403


def test_it_answers_in_the_desks_order(client, alice, bob, noon):
    for n, (grade, zone) in enumerate([("B1", "Europe/Paris"), ("A1", "Asia/Tokyo"),
                                       ("", ""), ("A3", "Europe/Paris"), ("D1", "")]):
        made = lead(alice, grade, time_zone=zone)
        if n % 2:
            task(made, noon - timedelta(minutes=n))
    claim(made, bob)
    client.force_login(alice)
    page = [item.lead.pk for item in client.get(reverse("desk")).context["items"]]
    answer = api_queue(make_key(alice, ("read",)), "alice").json()
    assert [item["lead_id"] for item in answer] == page
    assert {item["lead_id"]: item["claimed_by"] for item in answer}[made.pk] == "bob"


def test_it_tells_a_teammate_opening_a_lead_that_it_is_being_worked(client, alice, bob):
    shared = make_lead(owner=alice, first_name="Shared")
    client.force_login(alice)
    assert 'id="claimed"' not in client.get(f"/leads/{shared.pk}/").content.decode()
    client.force_login(bob)
    page = client.get(f"/leads/{shared.pk}/").content.decode()
    assert 'id="claimed"' in page and "Being worked by alice" in page


def test_it_names_the_user_a_service_keys_queue_request_needs(alice):
    response = api_get(make_key(None, ("read",)), "/queue")
    assert response.status_code == 422
    body = response.json()
    assert (body["field"], body["errors"][0]["field"]) == ("user", "user")


def test_it_leaves_the_lead_to_its_qualifier_when_a_manager_opens_it(client, alice, bob, mia,
                                                                    noon):
    worked = lead(alice, "A1")
    client.force_login(mia)
    page = client.get(f"/leads/{worked.pk}/").content.decode()
    assert not Claim.objects.exists()
    assert "Being worked by" not in page
    claim(worked, alice)
    page = client.get(f"/leads/{worked.pk}/").content.decode()
    assert "Being worked by" in page
    assert Claim.objects.get(lead=worked).user == alice


def test_it_claims_the_lead_a_teammate_opens(client, alice, bob, noon):
    worked = lead(alice, "A1")
    client.force_login(bob)
    client.get(f"/leads/{worked.pk}/")
    assert Claim.objects.get(lead=worked).user == bob
