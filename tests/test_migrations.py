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
