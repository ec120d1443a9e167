"""Data migrations: what they do to rows written by the previous version."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


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
