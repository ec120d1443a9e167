"""No lead left behind: the periodic check fixes leads without a next step or
an owner in batches, alerts managers; the aging view lists untouched leads."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext

from leadgate.leads.models import Task, Touch
from leadgate.leads.periodic import JOBS
from leadgate.routing.models import Alert
from leadgate.workspace import followup
from leadgate.workspace.followup import ensure_next_steps
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


def settled(owner=None, **fields):
    """A lead whose steps after intake ran (routed, in the real pipeline)."""
    fields.setdefault("processed_at", T0 - timedelta(minutes=5))
    return make_lead(owner=owner, **fields)


NOTHING = {"no_owner": 0, "no_next_step": 0, "routed": 0}


def test_it_gives_every_lead_without_an_open_task_a_follow_up_for_its_owner(now, alice, routed):
    bare = [settled(alice, stage=stage) for stage in ("mql", "working", "inquiry")]
    ok = settled(alice, stage="working")
    Task.objects.create(lead=ok, assignee=alice, title="Call", due_at=T0 + timedelta(days=1))
    assert ensure_next_steps()["no_next_step"] == 3
    for lead in bare:
        task = Task.objects.get(lead=lead)
        assert (task.kind, task.due_at, task.assignee, task.done_at) == (
            "follow_up", T0, alice, None)
    assert Task.objects.filter(lead=ok).count() == 1


def test_it_leaves_leads_off_the_desk_alone(now, alice, routed):
    for stage in ("nurture", "qualified", "disqualified"):
        settled(alice, stage=stage)
    assert ensure_next_steps() == NOTHING
    assert not Task.objects.exists() and not Alert.objects.exists()


def test_it_alerts_for_each_lead_it_gave_a_next_step(now, alice, routed):
    lead = settled(alice, stage="working")
    ensure_next_steps()
    alert = Alert.objects.get(kind="no_next_step")
    assert (alert.lead, alert.team, alert.created_at) == (lead, alice.team, T0)


def walks(queries) -> list[str]:
    """The statements of a run that read a batch of leads (keyset: id > last)."""
    return [query["sql"] for query in queries
            if query["sql"].startswith("SELECT") and 'FROM "leads_lead"' in query["sql"]
            and '"leads_lead"."id" >' in query["sql"]]


def test_it_walks_the_leads_in_batches_from_where_the_last_one_ended(now, alice, routed):
    leads = [settled(alice, stage="working") for _ in range(10)]
    with CaptureQueriesContext(connection) as run:
        assert ensure_next_steps(batch=4)["no_next_step"] == 10
    # Three batches and the empty read that ends the walk, each after the last
    # lead of the one before: no batch starts over.
    bounds = [leads[3].pk, leads[7].pk, leads[9].pk]
    statements = walks(run.captured_queries)
    assert len(statements) == 4
    for statement, after in zip(statements[1:], bounds, strict=True):
        assert f'"leads_lead"."id" > {after}' in statement


def test_it_reads_a_constant_number_of_statements_per_batch(now, alice, routed):
    def statements(leads: int) -> int:
        Task.objects.all().delete()
        Alert.objects.all().delete()
        for _ in range(leads):
            settled(alice, stage="working")
        with CaptureQueriesContext(connection) as run:
            ensure_next_steps(batch=4)
        return len(run)

    end = statements(0)  # the empty read that ends the walk
    one_batch = statements(4) - end
    assert statements(8) - end == 3 * one_batch  # 4 + 8 leads: three batches


def test_it_does_nothing_on_a_second_run(now, alice, routed):
    settled(alice, stage="working")
    ensure_next_steps()
    assert ensure_next_steps() == NOTHING
    assert Alert.objects.count() == 1


def test_it_alerts_once_and_routes_a_lead_without_an_owner_on_every_run(now, team, routed):
    lead = settled(team=team, stage="mql")
    Task.objects.create(lead=lead, title="Call", due_at=T0 + timedelta(hours=1))
    assert ensure_next_steps()["no_owner"] == 1
    assert Alert.objects.get(kind="no_owner").lead == lead
    assert ensure_next_steps()["no_owner"] == 0  # still unresolved: not again
    assert Alert.objects.filter(kind="no_owner").count() == 1
    assert routed == [lead, lead]  # someone may be available by now


def test_it_adds_no_alert_for_a_lead_waiting_in_a_pool_with_its_alert(now, team, routed):
    lead = settled(team=team, stage="mql")
    Task.objects.create(lead=lead, title="First call", due_at=T0)
    Alert.objects.create(kind="nobody_available", lead=lead, team=team, message="waits")
    assert ensure_next_steps() == NOTHING
    assert list(Alert.objects.values_list("kind", flat=True)) == ["nobody_available"]
    assert routed == [lead]


def test_it_leaves_a_lead_still_in_intake_to_intake(now, alice, routed):
    make_lead(team=alice.team, stage="inquiry")  # its steps after intake are still queued
    assert ensure_next_steps() == NOTHING
    assert routed == [] and not Alert.objects.exists()


def test_it_takes_over_a_lead_whose_intake_never_finished(now, alice, routed):
    lead = make_lead(team=alice.team, stage="inquiry", at=T0 - timedelta(hours=2))
    assert ensure_next_steps() == {"no_owner": 1, "no_next_step": 1, "routed": 0}
    assert routed == [lead]


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
    # The log-in throttle (axes) counts attempts by request; a blank one will do.
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    response = client.get("/desk/aging/?days=7")
    assert response.status_code == 200
    assert [lead.pk for lead in response.context["page"].object_list] == [older.pk, old.pk]


def test_it_counts_never_touched_leads_from_their_arrival(client, now, alice):
    make_lead(owner=alice, stage="mql", at=T0 - timedelta(days=9))
    make_lead(owner=alice, stage="mql", at=T0 - timedelta(days=1))
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    assert response_count(client.get("/desk/aging/")) == 1


def response_count(response):
    return response.context["page"].paginator.count


def test_it_shows_qualifiers_only_their_own_aging_leads(client, now, alice, bob):
    untouched(alice, 10)
    untouched(bob, 10)
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    assert response_count(client.get("/desk/aging/")) == 1


def test_it_shows_managers_every_aging_lead(client, now, alice, bob, mia):
    untouched(alice, 10)
    untouched(bob, 10)
    client.login(request=HttpRequest(), username="mia", password=PASSWORD)
    assert response_count(client.get("/desk/aging/")) == 2


def test_it_forbids_the_aging_view_to_sales(client, now, sam):
    client.login(request=HttpRequest(), username="sam", password=PASSWORD)
    assert client.get("/desk/aging/").status_code == 403


def test_it_names_a_bad_days_value(client, now, alice):
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    response = client.get("/desk/aging/?days=soon")
    assert response.status_code == 400 and b"days:" in response.content


def test_it_pages_the_aging_list(client, now, alice):
    for _ in range(51):
        untouched(alice, 10)
    client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    assert len(client.get("/desk/aging/?page=2").context["page"].object_list) == 1
