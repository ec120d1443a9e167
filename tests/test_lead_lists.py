"""Lead lists: filters, sorts, pages, saved views, bulk actions (each lead's
change recorded as if made by hand, refusals by name) and the managers'
unassigned view; who may do what."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Event, Lead, StageChange, Task, Touch
from leadgate.lib.score_rank import score_rank
from leadgate.nurture.models import Enrollment
from leadgate.routing import experiments
from leadgate.routing.experiments import ArmSpec
from leadgate.routing.models import Assignment, ExperimentAssignment, SlaClock, SlaPolicy
from leadgate.workspace import lists
from leadgate.workspace.models import CallScript, SavedView
from tests.factories import make_campaign, make_lead, make_team, make_user
from tests.nurture_factories import make_cadence

pytestmark = pytest.mark.django_db

LIST = reverse("leads-list")
BULK = reverse("leads-bulk")


def names(response):
    return [row.lead.name for row in response.context["rows"]]


def test_it_lists_only_the_leads_the_viewer_may_open(client, alice, charlie):
    make_lead(owner=alice, first_name="Mine")
    make_lead(owner=charlie, first_name="Theirs")
    client.force_login(alice)
    assert [name.split()[0] for name in names(client.get(LIST))] == ["Mine"]


def test_it_filters_by_stage_owner_and_country(client, alice, bob, mia):
    make_lead(owner=alice, first_name="Ann", country="DE", stage=Stage.WORKING)
    make_lead(owner=alice, first_name="Ben", country="FR", stage=Stage.WORKING)
    make_lead(owner=bob, first_name="Cid", country="DE", stage=Stage.WORKING)
    make_lead(owner=alice, first_name="Dan", country="DE", stage=Stage.MQL)
    client.force_login(mia)
    response = client.get(LIST, {"stage": "working", "owner": alice.pk, "country": "de"})
    assert [name.split()[0] for name in names(response)] == ["Ann"]


def test_it_filters_by_source_campaign_team_and_fit_grade(client, alice, charlie, mia):
    campaign = make_campaign()
    make_lead(owner=alice, first_name="Ann", campaign=campaign, source=campaign.source,
              score_rank=score_rank("B2", 0.4))
    make_lead(owner=alice, first_name="Ben", campaign=campaign, source=campaign.source,
              score_rank=score_rank("A1", 0.9))
    make_lead(owner=charlie, first_name="Cid", score_rank=score_rank("B1", 0.4))
    client.force_login(mia)
    response = client.get(LIST, {"campaign": campaign.pk, "source": campaign.source_id,
                                 "team": alice.team_id, "grade": "B"})
    assert [name.split()[0] for name in names(response)] == ["Ann"]


def test_it_filters_by_last_touch_and_next_step_due(client, alice):
    now = timezone.now()
    touched = make_lead(owner=alice, first_name="Touched")
    stale = make_lead(owner=alice, first_name="Stale")
    make_lead(owner=alice, first_name="Never")
    Touch.objects.create(lead=touched, channel="call", disposition="connected", actor=alice)
    Touch.objects.create(lead=stale, channel="call", disposition="connected", actor=alice,
                         at=now - timedelta(days=40))
    Task.objects.create(lead=stale, title="Call", due_at=now - timedelta(days=2))
    client.force_login(alice)
    assert names(client.get(LIST, {"touched": "7"}))[0].startswith("Touched")
    assert {name.split()[0] for name in names(client.get(LIST, {"touched": "stale30"}))} == {
        "Stale", "Never"}
    assert [name.split()[0] for name in names(client.get(LIST, {"due": "overdue"}))] == ["Stale"]


def test_it_filters_by_the_created_range_in_the_viewers_time_zone(client, alice):
    alice.time_zone = "Europe/Berlin"
    alice.save()
    # 23:30 UTC on Jan 1 is already Jan 2 in Berlin.
    make_lead(owner=alice, first_name="Late",
              at=datetime(2026, 1, 1, 23, 30, tzinfo=UTC))
    make_lead(owner=alice, first_name="Early",
              at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    client.force_login(alice)
    response = client.get(LIST, {"created_from": "2026-01-02", "created_to": "2026-01-02"})
    assert [name.split()[0] for name in names(response)] == ["Late"]


def test_it_names_a_wrong_filter_value_and_still_lists(client, alice):
    make_lead(owner=alice)
    client.force_login(alice)
    response = client.get(LIST, {"country": "Germany"})
    assert response.status_code == 200
    assert "two letters" in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_it_sorts_by_name_both_ways(client, alice):
    for last in ("Babbage", "Lovelace", "Boole"):
        make_lead(owner=alice, last_name=last)
    client.force_login(alice)
    assert [n.split()[1] for n in names(client.get(LIST, {"sort": "name"}))] == [
        "Babbage", "Boole", "Lovelace"]
    assert [n.split()[1] for n in names(client.get(LIST, {"sort": "-name"}))] == [
        "Lovelace", "Boole", "Babbage"]


def test_it_sorts_by_the_next_step_due_soonest_first_and_none_last(client, alice):
    now = timezone.now()
    for name, hours in (("Later", 5), ("None", None), ("Overdue", -3), ("Soon", 1)):
        lead = make_lead(owner=alice, first_name=name)
        if hours is not None:
            Task.objects.create(lead=lead, assignee=alice, title="call",
                                due_at=now + timedelta(hours=hours))
    done = Task.objects.create(lead=Lead.objects.get(first_name="None"), assignee=alice,
                               title="done", due_at=now - timedelta(days=9))
    done.done_at = now
    done.save()
    client.force_login(alice)
    firsts = [name.split()[0] for name in names(client.get(LIST, {"sort": "due"}))]
    assert firsts == ["Overdue", "Soon", "Later", "None"]
    firsts = [name.split()[0] for name in names(client.get(LIST, {"sort": "-due"}))]
    assert firsts == ["Later", "Soon", "Overdue", "None"]


def test_it_sorts_by_the_last_touch_and_never_touched_last(client, alice):
    now = timezone.now()
    for name, days in (("Old", 9), ("Never", None), ("Fresh", 1)):
        lead = make_lead(owner=alice, first_name=name)
        if days is not None:
            Touch.objects.create(lead=lead, actor=alice, channel="phone",
                                 disposition="no_answer", at=now - timedelta(days=days))
            Touch.objects.create(lead=lead, actor=alice, channel="phone",
                                 disposition="no_answer", at=now - timedelta(days=days + 20))
    client.force_login(alice)
    assert [n.split()[0] for n in names(client.get(LIST, {"sort": "-touched"}))] == [
        "Fresh", "Old", "Never"]
    assert [n.split()[0] for n in names(client.get(LIST, {"sort": "touched"}))] == [
        "Old", "Fresh", "Never"]


def test_it_sorts_by_owner_name_with_unowned_leads_last(client, alice, bob, mia):
    alice.first_name, bob.first_name = "Zoe", "Adam"
    alice.save()
    bob.save()
    make_lead(owner=alice, first_name="Zoes")
    make_lead(owner=None, first_name="Nobodys")
    make_lead(owner=bob, first_name="Adams")
    client.force_login(mia)
    assert [n.split()[0] for n in names(client.get(LIST, {"sort": "owner"}))] == [
        "Adams", "Zoes", "Nobodys"]
    assert [n.split()[0] for n in names(client.get(LIST, {"sort": "-owner"}))] == [
        "Zoes", "Adams", "Nobodys"]


def test_it_sorts_by_grade_best_first_and_unscored_last(client, alice):
    ranks = (("Unscored", None), ("Cee", score_rank("C2", 0.3)), ("Ay", score_rank("A1", 0.9)))
    for name, rank in ranks:
        lead = make_lead(owner=alice, first_name=name)
        if rank is not None:
            Lead.objects.filter(pk=lead.pk).update(score_rank=rank)
    client.force_login(alice)
    assert [n.split()[0] for n in names(client.get(LIST, {"sort": "grade"}))] == [
        "Ay", "Cee", "Unscored"]


def test_it_links_every_sortable_column_with_its_state(client, alice):
    make_lead(owner=alice)
    client.force_login(alice)
    columns = {column["label"]: column
               for column in client.get(LIST, {"sort": "-due"}).context["columns"]}
    assert columns["Next step"]["state"] == "descending"
    assert "sort=due" in columns["Next step"]["url"]  # turns it around
    assert "sort=-touched" in columns["Last touch"]["url"]  # the latest first
    assert "sort=owner" in columns["Owner"]["url"]
    assert columns["Company"]["url"] == ""


def test_it_pages_the_list(client, alice):
    for _ in range(lists.PER_PAGE + 3):
        make_lead(owner=alice)
    client.force_login(alice)
    response = client.get(LIST, {"page": 2})
    assert len(response.context["rows"]) == 3
    assert response.context["paginator"].count == lists.PER_PAGE + 3


def test_it_caps_the_count_behind_the_pages(alice, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_CAP", 3)
    for _ in range(5):
        make_lead(owner=alice)
    paginator = lists.CappedPaginator(Lead.objects.order_by("pk"), 2)
    assert (paginator.count, paginator.more) == (4, True)


def test_it_saves_a_view_and_opens_it_again(client, alice):
    make_lead(owner=alice, first_name="Ann", country="DE")
    make_lead(owner=alice, first_name="Ben", country="FR")
    client.force_login(alice)
    response = client.post(reverse("leads-view-save"),
                           {"name": "German leads", "query": "country=DE&page=3"})
    view = SavedView.objects.get(owner=alice)
    assert view.filters == {"country": ["DE"]}
    response = client.get(response.url)
    assert response.context["view"] == view
    assert [name.split()[0] for name in names(response)] == ["Ann"]


def test_it_keeps_a_qualifiers_view_to_themselves(client, alice, bob):
    SavedView.objects.create(owner=alice, name="Mine", filters={"country": ["DE"]})
    client.force_login(bob)
    response = client.get(LIST)
    assert "Mine" not in [view.name for view in response.context["views"]]


def test_it_refuses_a_qualifier_sharing_a_view(client, alice):
    client.force_login(alice)
    response = client.post(reverse("leads-view-save"),
                           {"name": "Ours", "query": "", "team": alice.team_id})
    assert response.status_code == 403
    assert not SavedView.objects.exists()


def test_it_lists_a_managers_shared_view_for_the_team(client, alice, mia):
    client.force_login(mia)
    client.post(reverse("leads-view-save"),
                {"name": "Team DE", "query": "country=DE", "team": alice.team_id})
    client.force_login(alice)
    assert [view.name for view in client.get(LIST).context["views"]] == ["Team DE"]


def test_it_lets_only_the_owner_delete_a_view(client, alice, bob):
    view = SavedView.objects.create(owner=alice, name="Mine")
    client.force_login(bob)
    assert client.post(reverse("leads-view-delete", args=[view.pk])).status_code == 404
    client.force_login(alice)
    client.post(reverse("leads-view-delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_it_asks_to_confirm_naming_the_count_and_the_person(client, alice, bob, mia):
    bob.first_name, bob.last_name = "Bob", "Martin"
    bob.save()
    leads = [make_lead(owner=alice) for _ in range(3)]
    client.force_login(mia)
    response = client.post(BULK, {"action": "assign", "to_user": bob.pk,
                                  "lead": [lead.pk for lead in leads]})
    assert "Assign 3 leads to Bob Martin?" in response.content.decode()
    assert Lead.objects.filter(owner=bob).count() == 0


def test_it_assigns_each_lead_through_reassign_with_its_record(client, alice, bob, mia):
    leads = [make_lead(owner=alice) for _ in range(3)]
    client.force_login(mia)
    client.post(BULK, {"action": "assign", "to_user": bob.pk, "confirm": "1",
                       "lead": [lead.pk for lead in leads]})
    assert Lead.objects.filter(owner=bob).count() == 3
    assert Assignment.objects.filter(to_user=bob, by=mia).count() == 3
    assert Event.objects.filter(kind="lead.assigned", owner_id=bob.pk).count() == 3


def test_it_reports_a_lead_it_could_not_move_by_name_and_does_the_others(client, alice, mia):
    open_lead = make_lead(owner=alice, first_name="Open", stage=Stage.WORKING)
    done = make_lead(owner=alice, first_name="Gone", last_name="Done", stage=Stage.WORKING)
    client.force_login(mia)
    client.post(BULK, {"action": "disqualify", "reason": "no budget", "confirm": "1",
                       "lead": [done.pk]})
    response = client.post(BULK, {"action": "disqualify", "reason": "no need", "confirm": "1",
                                  "lead": [open_lead.pk, done.pk]})
    page = response.content.decode()
    assert "1 lead disqualified (no need)." in page
    assert "Gone Done</a>: already disqualified" in page
    open_lead.refresh_from_db()
    assert open_lead.stage == Stage.DISQUALIFIED
    assert StageChange.objects.get(lead=open_lead, to_stage=Stage.DISQUALIFIED).reason == "no need"


def test_it_moves_leads_to_nurture_in_the_chosen_cadence(client, alice):
    cadence = make_cadence(name="Slow burn")
    leads = [make_lead(owner=alice, stage=Stage.WORKING) for _ in range(2)]
    client.force_login(alice)
    response = client.post(BULK, {"action": "nurture", "cadence": cadence.pk, "confirm": "1",
                                  "lead": [lead.pk for lead in leads]})
    assert "2 leads moved to nurture (Slow burn)." in response.content.decode()
    assert Enrollment.objects.filter(lead__in=leads, version__cadence=cadence).count() == 2
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads])
               .values_list("stage", flat=True)) == {Stage.NURTURE}


def test_it_lets_a_qualifier_act_on_their_own_leads_only(client, alice, bob):
    mine = make_lead(owner=alice, stage=Stage.WORKING)
    theirs = make_lead(owner=bob, first_name="Teammate", last_name="Lead",
                       stage=Stage.WORKING)
    client.force_login(alice)
    response = client.post(BULK, {"action": "disqualify", "reason": "no need", "confirm": "1",
                                  "lead": [mine.pk, theirs.pk]})
    assert "Teammate Lead</a>: not yours" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.stage == Stage.WORKING


def test_it_refuses_bulk_assign_to_a_qualifier(client, alice, bob):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(BULK, {"action": "assign", "to_user": bob.pk, "confirm": "1",
                                  "lead": [lead.pk]})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == alice


def test_it_refuses_bulk_actions_to_a_sales_rep(client, sam):
    client.force_login(sam)
    assert client.post(BULK, {"action": "disqualify", "reason": "no need",
                              "lead": [1]}).status_code == 403


def test_it_skips_leads_the_actor_may_not_open(client, alice, charlie):
    outsider = make_lead(owner=charlie, stage=Stage.WORKING)
    client.force_login(alice)
    response = client.post(BULK, {"action": "disqualify", "reason": "no need", "confirm": "1",
                                  "lead": [outsider.pk]})
    assert "could not be found among those you may open" in response.content.decode()
    outsider.refresh_from_db()
    assert outsider.stage == Stage.WORKING


def test_it_shows_the_unassigned_view_to_managers_only(client, alice):
    client.force_login(alice)
    assert client.get(reverse("leads-unassigned")).status_code == 403


def test_it_shows_team_pools_and_leads_routed_nowhere(client, mia):
    team = make_team("Pool team")
    make_lead(first_name="Pooled", team=team)
    make_lead(first_name="Nowhere")
    make_lead(first_name="Closed", stage=Stage.DISQUALIFIED)
    make_lead(owner=make_user("zoe", "qualifier", team), first_name="Owned")
    client.force_login(mia)
    response = client.get(reverse("leads-unassigned"))
    assert {name.split()[0] for name in names(response)} == {"Pooled", "Nowhere"}
    nowhere = client.get(reverse("leads-unassigned"), {"pool": "none"})
    assert [name.split()[0] for name in names(nowhere)] == ["Nowhere"]
    assert str(response.context["nowhere"]) == "1"


def test_it_offers_a_qualifier_no_bulk_assign(client, alice):
    make_lead(owner=alice)
    client.force_login(alice)
    slugs = [item["action"].slug for item in client.get(LIST).context["actions"]]
    assert "assign" not in slugs and "disqualify" in slugs and "nurture" in slugs


def test_it_ignores_someone_elses_private_view(client, alice, bob):
    view = SavedView.objects.create(owner=alice, name="Mine", filters={"country": ["DE"]})
    make_lead(owner=bob, country="FR")
    client.force_login(bob)
    response = client.get(LIST, {"view": view.pk})
    assert response.context["view"] is None
    assert len(response.context["rows"]) == 1


def test_it_links_the_lists_from_the_desks_tabs(client, alice):
    client.force_login(alice)
    page = client.get(reverse("desk")).content.decode()
    assert f'href="{LIST}" id="tab-lists"' in page
    assert 'id="tab-unassigned"' not in page


def script_test(name="Pain first or the usual"):
    usual = CallScript.objects.create(name="Usual", position=0, opening="Hello")
    pain = CallScript.objects.create(name="Pain first", position=1, opening="Month-end?")
    return experiments.start(name=name, kind="script", goal="qualified", arms=[
        ArmSpec("Usual", str(usual.pk)), ArmSpec("Pain", str(pain.pk))])


def test_it_adds_leads_to_a_segment_test_each_in_a_random_arm(client, alice, mia):
    test = script_test()
    leads = [make_lead(owner=alice, stage=Stage.WORKING) for _ in range(40)]
    client.force_login(mia)
    response = client.post(BULK, {"action": "test", "experiment": test.pk, "confirm": "1",
                                  "lead": [lead.pk for lead in leads]})
    assert "40 leads added to the test Pain first or the usual" in response.content.decode()
    arms = Counter(ExperimentAssignment.objects.filter(experiment=test)
                   .values_list("arm__label", flat=True))
    assert sum(arms.values()) == 40 and set(arms) == {"Usual", "Pain"}
    joined = Event.objects.filter(kind="experiment.assigned",
                                  lead_id__in=[lead.pk for lead in leads])
    assert joined.count() == 40
    assert {event.data["by"] for event in joined} == {mia.pk}


def test_it_refuses_a_lead_outside_the_tests_segment_or_already_in_it(client, alice, mia):
    test = script_test()
    test.conditions = [{"field": "lead.country", "operator": "eq", "value": "DE"}]
    test.save()
    german = make_lead(owner=alice, first_name="Greta", last_name="Berlin", country="DE")
    french = make_lead(owner=alice, first_name="Fleur", last_name="Paris", country="FR")
    client.force_login(mia)
    client.post(BULK, {"action": "test", "experiment": test.pk, "confirm": "1",
                       "lead": [german.pk]})
    response = client.post(BULK, {"action": "test", "experiment": test.pk, "confirm": "1",
                                  "lead": [german.pk, french.pk]})
    page = response.content.decode()
    assert "Greta Berlin</a>: already in the test" in page
    assert "Fleur Paris</a>: not in the test&#x27;s segment" in page
    assert ExperimentAssignment.objects.filter(experiment=test).count() == 1


def test_it_refuses_a_response_time_arm_once_the_leads_clock_started(client, alice, mia):
    test = experiments.start(name="Fast or slow", kind="response_time", goal="qualified",
                             arms=[ArmSpec("5 minutes", "5"), ArmSpec("1 hour", "60")])
    clocked = make_lead(owner=alice, first_name="Clocked", last_name="Lead")
    waiting = make_lead(owner=alice, first_name="Waiting", last_name="Lead")
    SlaClock.objects.create(lead=clocked, owner=alice, cycle=clocked.cycle,
                            policy=SlaPolicy.objects.first(), started_at=timezone.now(),
                            due_at=timezone.now() + timedelta(minutes=5))
    client.force_login(mia)
    response = client.post(BULK, {"action": "test", "experiment": test.pk, "confirm": "1",
                                  "lead": [clocked.pk, waiting.pk]})
    assert "Clocked Lead</a>: its first call&#x27;s clock of this cycle has started" in (
        response.content.decode())
    assert list(ExperimentAssignment.objects.values_list("lead_id", flat=True)) == [waiting.pk]


def test_it_offers_only_running_tests_a_lead_can_join_by_hand(client, alice, mia):
    make_lead(owner=alice)
    client.force_login(mia)
    assert 'value="test"' not in client.get(LIST).content.decode()  # no test running
    cadences = [make_cadence(name="News"), make_cadence(name="Stories")]
    experiments.start(name="News or stories", kind="cadence", goal="mql", arms=[
        ArmSpec(cadence.name, str(cadence.pk)) for cadence in cadences])
    assert 'value="test"' not in client.get(LIST).content.decode()  # joins at enrollment
    experiments.stop(script_test(name="Stopped"))
    assert 'value="test"' not in client.get(LIST).content.decode()
    script_test(name="Running")
    page = client.get(LIST).content.decode()
    assert 'value="test"' in page and "Running (call script)" in page


def test_it_keeps_segment_tests_from_a_qualifiers_bulk_actions(client, alice):
    test = script_test()
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(BULK, {"action": "test", "experiment": test.pk, "confirm": "1",
                                  "lead": [lead.pk]})
    assert response.status_code == 403
    assert not ExperimentAssignment.objects.exists()
