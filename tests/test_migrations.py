"""Data migrations: what they do to rows written by the previous version."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def back_to_the_latest():
    """Each test migrates back and part of the way forward: leave the database
    where the other tests expect it (a table of a later migration's past, left
    behind, would keep their flush from emptying the tables)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_it_moves_outcome_details_out_of_the_reason_into_their_fields():
    old = migrate(("handoff", "0003_handoff_decision_sla"))
    team = old.get_model("leads", "Team").objects.create(name="Paris")
    lead = old.get_model("leads", "Lead").objects.create(email="kim@example.com", team=team)
    Outcome = old.get_model("handoff", "Outcome")
    kept = Outcome.objects.create(
        lead=lead, kind="opportunity",
        reason="budget freed\nstage: Proposal\nexpected close: 2031-03-31\ncrm id: 006XYZ")
    plain = Outcome.objects.create(lead=lead, kind="lost", reason="price: too high\nno budget")
    new = migrate(("handoff", "0004_outcome_crm_fields"))
    Outcome = new.get_model("handoff", "Outcome")
    moved = Outcome.objects.get(pk=kept.pk)
    assert (moved.reason, moved.stage, str(moved.expected_close), moved.external_id) == (
        "budget freed", "Proposal", "2031-03-31", "006XYZ")
    assert Outcome.objects.get(pk=plain.pk).reason == "price: too high\nno budget"


def test_it_migrates_the_import_runs_already_there_as_done():
    old = migrate(("intake", "0007_activity_sender"))
    ImportRun = old.get_model("intake", "ImportRun")
    earlier = ImportRun.objects.create(file_name="leads.csv", rows=5, created=3)
    new = migrate(("intake", "0008_importrun_jobs"))
    ImportRun = new.get_model("intake", "ImportRun")
    migrated = ImportRun.objects.get(pk=earlier.pk)
    assert (migrated.state, migrated.progress, migrated.failure, migrated.upload) == (
        "done", 0, "", "")
    assert ImportRun.objects.create(file_name="next.csv").state == "queued"


BEFORE_THE_MOVE = [("leads", "0010_events"), ("workspace", "0005_open_task_indexes"),
                   ("handoff", "0004_outcome_crm_fields"), ("routing", "0004_alert_open_partial"),
                   ("intake", "0009_arrival")]
AFTER_THE_MOVE = [("workspace", "0006_touch_task_are_core_records"),
                  ("handoff", "0005_handoff_outcome_are_core_records"),
                  ("routing", "0005_slaclock_touch_in_leads"),
                  ("intake", "0010_merge_labels_of_core_records")]
MOVED = [("workspace", "touch"), ("workspace", "task"), ("handoff", "handoff"),
         ("handoff", "outcome")]


def migrate_all(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_it_makes_touches_tasks_handoffs_and_outcomes_core_records_keeping_their_rows():
    old = migrate_all(BEFORE_THE_MOVE)
    lead = old.get_model("leads", "Lead").objects.create(email="kim@example.com")
    sam = old.get_model("leads", "User").objects.create(username="sam")
    touch = old.get_model("workspace", "Touch").objects.create(
        lead=lead, channel="call", disposition="connected", actor=sam)
    task = old.get_model("workspace", "Task").objects.create(
        lead=lead, title="Call back", due_at="2031-03-31T09:00:00Z", assignee=sam)
    handoff = old.get_model("handoff", "Handoff").objects.create(lead=lead, to_user=sam)
    outcome = old.get_model("handoff", "Outcome").objects.create(
        lead=lead, kind="won", amount="1200.00", external_id="006XYZ")
    policy = old.get_model("routing", "SlaPolicy").objects.create(segment="imported", minutes=60)
    clock = old.get_model("routing", "SlaClock").objects.create(
        lead=lead, policy=policy, due_at="2031-03-31T10:00:00Z", touch=touch)
    # Their content types (and so permissions granted, the admin's history) follow them.
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="leads", model__in=[m for _app, m in MOVED]).delete()
    types = {model: ContentType.objects.get_or_create(app_label=app, model=model)[0].pk
             for app, model in MOVED}
    # A merge before the move names the rows it moved by their old labels.
    Merge = old.get_model("intake", "Merge")
    merge = Merge.objects.create(
        survivor=lead, merged_lead_id=lead.pk + 1, snapshot={},
        moved={"workspace.touch": {"field": "lead", "ids": [touch.pk]},
               "intake.inquiry": {"field": "lead", "ids": [7]}},
        dropped={"handoff.handoff": {"field": "lead", "rows": []}})

    new = migrate_all(AFTER_THE_MOVE)
    Touch, Task = new.get_model("leads", "Touch"), new.get_model("leads", "Task")
    Handoff, Outcome = new.get_model("leads", "Handoff"), new.get_model("leads", "Outcome")
    assert Touch._meta.db_table == "workspace_touch"
    assert Touch.objects.get(pk=touch.pk).actor_id == sam.pk
    assert Task.objects.get(pk=task.pk).title == "Call back"
    assert Handoff.objects.get(pk=handoff.pk).status == "pending"
    assert Outcome.objects.get(pk=outcome.pk).external_id == "006XYZ"
    assert new.get_model("routing", "SlaClock").objects.get(pk=clock.pk).touch.pk == touch.pk
    for model in ("workspace.touch", "workspace.task", "handoff.handoff", "handoff.outcome"):
        with pytest.raises(LookupError):
            new.get_model(model)
    ContentType = new.get_model("contenttypes", "ContentType")
    assert {model: ContentType.objects.get(app_label="leads", model=model).pk
            for _app, model in MOVED} == types
    merge = new.get_model("intake", "Merge").objects.get(pk=merge.pk)
    assert (set(merge.moved), set(merge.dropped)) == (
        {"leads.touch", "intake.inquiry"}, {"leads.handoff"})
