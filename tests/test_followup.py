"""No lead left behind: the periodic check fixes leads without a next step or
an owner in batches, alerts managers; the aging view lists untouched leads."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadgate.leads.periodic import JOBS
from leadgate.routing.models import Alert
from leadgate.workspace import followup
from leadgate.workspace.followup import ensure_next_steps
from leadgate.workspace.models import Task, Touch
from tests.factories import PASSWORD, make_lead

pytestmark = [pytest.mark.django_db]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def now(db, time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


@pytest.fixture
def routed(monkeypatch):
    """routing.assign.route() stood in for: records the leads it was asked to route."""
    calls = []
    monkeypatch.setattr(followup, "_route", calls.append)
    return calls


def test_it_gives_every_lead_without_an_open_task_a_follow_up_for_its_owner(now, alice, routed):
    bare = [make_lead(owner=alice, stage=stage) for stage in ("mql", "working", "inquiry")]
    ok = make_lead(owner=alice, stage="working")
    Task.objects.create(lead=ok, assignee=alice, title="Call", due_at=T0 + timedelta(days=1))
    assert ensure_next_steps()["no_next_step"] == 3
    for lead in bare:
        task = Task.objects.get(lead=lead)
        assert (task.kind, task.due_at, task.assignee, task.done_at) == (
            "follow_up", T0, alice, None)
    assert Task.objects.filter(lead=ok).count() == 1


def test_it_leaves_leads_off_the_desk_alone(now, alice, routed):
    for stage in ("nurture", "qualified", "disqualified"):
        make_lead(owner=alice, stage=stage)
    assert ensure_next_steps() == {"no_owner": 0, "no_next_step": 0}
    assert not Task.objects.exists() and not Alert.objects.exists()


def test_it_alerts_for_each_lead_it_gave_a_next_step(now, alice, routed):
    lead = make_lead(owner=alice, stage="working")
    ensure_next_steps()
    alert = Alert.objects.get(kind="no_next_step")
    assert (alert.lead, alert.team, alert.created_at) == (lead, alice.team, T0)


def test_it_finds_violators_in_a_constant_number_of_queries(now, alice, routed):
    for _ in range(3):
        make_lead(owner=alice, stage="working")
    with CaptureQueriesContext(connection) as three:
        ensure_next_steps()
    Task.objects.all().delete()
    for _ in range(12):
        make_lead(owner=alice, stage="working")
    with CaptureQueriesContext(connection) as fifteen:
        assert ensure_next_steps()["no_next_step"] == 15
    assert len(fifteen) == len(three)


def test_it_does_nothing_on_a_second_run(now, alice, routed):
    make_lead(owner=alice, stage="working")
    ensure_next_steps()
    assert ensure_next_steps() == {"no_owner": 0, "no_next_step": 0}
    assert Alert.objects.count() == 1


def test_it_alerts_and_routes_a_lead_without_an_owner_once(now, team, routed):
    lead = make_lead(team=team, stage="mql")
    assert ensure_next_steps()["no_owner"] == 1
    assert routed == [lead]
    assert Alert.objects.get(kind="no_owner").lead == lead
    ensure_next_steps()
    assert Alert.objects.filter(kind="no_owner").count() == 1  # still unresolved: not again


def test_it_runs_every_five_minutes():
    from leadgate.workspace.tasks import ensure_next_steps as task

    assert JOBS[task.module_path][0] == 300


def untouched(owner, days, **fields):
    lead = make_lead(owner=owner, stage="working", **fields)
    Touch.objects.create(lead=lead, channel="call", disposition="no_answer",
                         at=T0 - timedelta(days=days))
    return lead


def test_it_lists_leads_untouched_for_n_days_longest_first(client, now, alice):
    old, older = untouched(alice, 8, first_name="Old"), untouched(alice, 30, first_name="Older")
    untouched(alice, 2, first_name="Fresh")
    client.login(username="alice", password=PASSWORD)
    response = client.get("/desk/aging/?days=7")
    assert response.status_code == 200
    assert [lead.pk for lead in response.context["page"].object_list] == [older.pk, old.pk]


def test_it_counts_never_touched_leads_from_their_arrival(client, now, alice):
    make_lead(owner=alice, stage="mql", at=T0 - timedelta(days=9))
    make_lead(owner=alice, stage="mql", at=T0 - timedelta(days=1))
    client.login(username="alice", password=PASSWORD)
    assert response_count(client.get("/desk/aging/")) == 1


def response_count(response):
    return response.context["page"].paginator.count


def test_it_shows_qualifiers_only_their_own_aging_leads(client, now, alice, bob):
    untouched(alice, 10)
    untouched(bob, 10)
    client.login(username="alice", password=PASSWORD)
    assert response_count(client.get("/desk/aging/")) == 1


def test_it_shows_managers_every_aging_lead(client, now, alice, bob, mia):
    untouched(alice, 10)
    untouched(bob, 10)
    client.login(username="mia", password=PASSWORD)
    assert response_count(client.get("/desk/aging/")) == 2


def test_it_forbids_the_aging_view_to_sales(client, now, sam):
    client.login(username="sam", password=PASSWORD)
    assert client.get("/desk/aging/").status_code == 403


def test_it_names_a_bad_days_value(client, now, alice):
    client.login(username="alice", password=PASSWORD)
    response = client.get("/desk/aging/?days=soon")
    assert response.status_code == 400 and b"days:" in response.content


def test_it_pages_the_aging_list(client, now, alice):
    for _ in range(51):
        untouched(alice, 10)
    client.login(username="alice", password=PASSWORD)
    assert len(client.get("/desk/aging/?page=2").context["page"].object_list) == 1
