"""Merging two leads of one person and undoing it: every row moves to the
survivor and back, who/when/why is kept, and a merge never moves a person
backwards."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leadgate.intake.merge import MergeError, merge, pick_survivor, undo
from leadgate.intake.models import DuplicateCandidate, Inquiry, Merge
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Handoff, Lead, StageChange, Task, Touch
from leadgate.leads.transitions import advance
from leadgate.workspace.models import Qualification
from tests.factories import hand_off as send_to_sales
from tests.factories import make_account, make_lead

pytestmark = pytest.mark.django_db


def add_rows(lead, actor=None):
    """A touch, a task and a qualification on the lead; returns them."""
    touch = Touch.objects.create(
        lead=lead, channel="call", disposition="no_answer", actor=actor
    )
    task = Task.objects.create(
        lead=lead, title="Call back", due_at=timezone.now() + timedelta(hours=1)
    )
    qualification = Qualification.objects.create(lead=lead, answers={"need": "CRM"})
    return touch, task, qualification


def hand_off(lead, qualifier, rep):
    send_to_sales(lead, qualifier, rep)
    return lead


def handed_back(lead, qualifier, rep):
    """Handed off, then rejected by sales: a lead with a (decided) handoff."""
    hand_off(lead, qualifier, rep)
    advance(lead, "rejected", by=rep, reason="no budget yet")
    lead.refresh_from_db()
    return lead


def working_lead(owner):
    lead = make_lead(owner=owner)
    advance(lead, "working", by=owner)
    lead.refresh_from_db()
    return lead


def rows_of(lead):
    return {
        "inquiries": set(Inquiry.objects.filter(lead=lead).values_list("pk", flat=True)),
        "touches": set(Touch.objects.filter(lead=lead).values_list("pk", flat=True)),
        "tasks": set(Task.objects.filter(lead=lead).values_list("pk", flat=True)),
        "qualifications": set(
            Qualification.objects.filter(lead=lead).values_list("pk", flat=True)
        ),
        "stage_changes": set(StageChange.objects.filter(lead=lead).values_list("pk", flat=True)),
        "handoffs": set(Handoff.objects.filter(lead=lead).values_list("pk", flat=True)),
    }


def test_it_moves_every_row_of_the_merged_lead_to_the_survivor(alice, sam):
    survivor = working_lead(alice)
    merged = handed_back(make_lead(owner=alice), alice, sam)
    add_rows(merged, alice)
    before = rows_of(merged)
    assert all(before.values())
    merge(survivor, merged, by=alice)
    after = rows_of(survivor)
    for kind, ids in before.items():
        assert ids <= after[kind], kind
    assert not Lead.objects.filter(pk=merged.pk).exists()


def test_it_records_who_when_and_why(alice):
    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    start = timezone.now()
    record = merge(survivor, merged, by=alice, reason="  same person, new email  ")
    assert record.by == alice
    assert record.at >= start
    assert record.reason == "same person, new email"
    assert (record.survivor_id, record.merged_lead_id) == (survivor.pk, merged.pk)
    assert record.snapshot["email"] == merged.email


def test_it_fills_the_survivors_empty_fields_and_keeps_the_others(alice):
    account = make_account()
    survivor = make_lead(owner=alice, phone="", title="")
    merged = make_lead(phone="+14155550100", title="CTO", account=account)
    merge(survivor, merged, by=alice)
    survivor.refresh_from_db()
    assert (survivor.phone, survivor.title, survivor.account) == ("+14155550100", "CTO", account)
    assert survivor.email != merged.email  # not empty: kept


def test_it_picks_the_working_lead_over_the_newer_inquiry_one(alice):
    working = make_lead(owner=alice)
    advance(working, "working", by=alice)
    inquiry = make_lead(owner=alice)
    assert pick_survivor(inquiry, working) == (working, inquiry)
    assert pick_survivor(working, inquiry) == (working, inquiry)


def test_it_picks_the_working_lead_even_when_it_is_the_newer_one(alice):
    inquiry = make_lead(owner=alice)
    working = make_lead(owner=alice)
    advance(working, "working", by=alice)
    assert pick_survivor(inquiry, working) == (working, inquiry)


def test_it_picks_the_older_lead_on_a_tie(alice):
    older = make_lead(owner=alice, at=timezone.now() - timedelta(days=3))
    newer = make_lead(owner=alice)
    assert pick_survivor(newer, older) == (older, newer)


def test_it_picks_an_open_lead_over_a_closed_one(alice):
    closed = make_lead(owner=alice, at=timezone.now() - timedelta(days=30))
    advance(closed, "disqualified", by=alice, reason="student")
    fresh = make_lead(owner=alice)
    assert pick_survivor(closed, fresh) == (fresh, closed)


def test_it_ranks_a_lead_rejected_by_sales_above_an_mql(alice, sam):
    rejected = hand_off(make_lead(owner=alice), alice, sam)
    advance(rejected, "rejected", by=sam, reason="no budget")
    mql = make_lead(owner=alice, at=timezone.now() - timedelta(days=3))
    advance(mql, "mql", by=alice)
    assert pick_survivor(mql, rejected) == (rejected, mql)


def test_it_keeps_the_survivors_more_advanced_stage(alice):
    working = make_lead(owner=alice)
    advance(working, "working", by=alice)
    inquiry = make_lead(owner=alice)
    survivor, merged = pick_survivor(inquiry, working)
    merge(survivor, merged, by=alice)
    working.refresh_from_db()
    assert working.stage == Stage.WORKING


def test_it_refuses_to_merge_an_active_lead_into_one_behind_it(alice):
    working = make_lead(owner=alice)
    advance(working, "working", by=alice)
    inquiry = make_lead(owner=alice)
    with pytest.raises(MergeError, match="further along"):
        merge(inquiry, working, by=alice)
    assert Lead.objects.filter(pk=working.pk).exists()
    assert not Merge.objects.exists()


def test_it_refuses_to_merge_a_lead_into_itself(alice):
    lead = make_lead(owner=alice)
    with pytest.raises(MergeError, match="itself"):
        merge(lead, lead, by=alice)
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_it_refuses_two_leads_with_pending_handoffs_without_changing_anything(alice, sam):
    first = hand_off(make_lead(owner=alice), alice, sam)
    second = hand_off(make_lead(owner=alice), alice, sam)
    with pytest.raises(MergeError, match="pending handoff"):
        merge(first, second, by=alice)
    assert Lead.objects.filter(pk=second.pk).exists()
    assert Handoff.objects.filter(lead=second).count() == 1
    assert Inquiry.objects.filter(lead=second).count() == 1
    assert not Merge.objects.exists()


def test_it_undoes_a_merge_with_the_same_id_and_exactly_the_moved_rows(alice, sam):
    survivor = working_lead(alice)
    add_rows(survivor)
    merged = handed_back(make_lead(owner=alice), alice, sam)
    add_rows(merged)
    survivor_rows, merged_rows = rows_of(survivor), rows_of(merged)
    snapshot = Lead.objects.filter(pk=merged.pk).values().get()
    record = merge(survivor, merged, by=alice)
    later = Touch.objects.create(lead=survivor, channel="email", disposition="sent")
    restored = undo(record, by=alice)
    assert restored.pk == merged.pk
    assert rows_of(restored) == merged_rows
    assert {k: v - {later.pk} for k, v in rows_of(survivor).items()} == survivor_rows
    assert Touch.objects.get(pk=later.pk).lead_id == survivor.pk  # added after: stays
    again = Lead.objects.filter(pk=merged.pk).values().get()
    snapshot.pop("updated_at"), again.pop("updated_at")
    assert again == snapshot  # every field, times to the microsecond
    record.refresh_from_db()
    assert (record.undone_by, record.undone_at is not None) == (alice, True)


def test_it_puts_back_the_survivor_fields_the_merge_filled(alice):
    survivor = make_lead(owner=alice, phone="", title="")
    merged = make_lead(phone="+14155550100", title="CTO")
    record = merge(survivor, merged, by=alice)
    undo(record, by=alice)
    survivor.refresh_from_db()
    assert (survivor.phone, survivor.title) == ("", "")


def test_it_keeps_a_filled_field_changed_since_the_merge(alice):
    survivor = make_lead(owner=alice, title="")
    merged = make_lead(title="CTO")
    record = merge(survivor, merged, by=alice)
    Lead.objects.filter(pk=survivor.pk).update(title="CEO")
    undo(record, by=alice)
    survivor.refresh_from_db()
    assert survivor.title == "CEO"


def test_it_refuses_to_undo_twice(alice):
    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    record = merge(survivor, merged, by=alice)
    undo(record, by=alice)
    with pytest.raises(MergeError, match="undone already"):
        undo(record, by=alice)
    assert Lead.objects.filter(pk=merged.pk).count() == 1


def test_it_keeps_an_earlier_merge_undoable_when_its_survivor_is_merged_on(alice):
    a, b, c = make_lead(owner=alice), make_lead(owner=alice), make_lead(owner=alice)
    a_rows = rows_of(a)
    first = merge(b, a, by=alice)
    second = merge(c, b, by=alice)
    first.refresh_from_db()  # not deleted with b
    assert first.survivor_id == c.pk
    restored_a = undo(first, by=alice)
    assert rows_of(restored_a) == a_rows
    restored_b = undo(second, by=alice)
    assert Merge.objects.get(pk=first.pk).survivor_id == restored_b.pk


def test_it_puts_the_pair_back_on_the_review_list_after_an_undo(alice):
    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    DuplicateCandidate.objects.create(lead=merged, candidate=survivor, score=93, reasons=["x"])
    record = merge(survivor, merged, by=alice)
    assert not DuplicateCandidate.objects.exists()
    undo(record, by=alice)
    pair = DuplicateCandidate.objects.get()
    assert (pair.lead_id, pair.candidate_id, pair.status) == (merged.pk, survivor.pk, "open")


def test_it_queues_a_new_duplicate_search_for_the_survivor(alice):
    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    merge(survivor, merged, by=alice)
    queued = DBTaskResult.objects.get(task_path="leadgate.orchestration.tasks.after_intake")
    assert queued.args_kwargs["args"] == [survivor.pk]


def processed_lead(owner, **fields):
    """A lead as the service leaves it: enriched, scored, routed with its SLA
    clock running, touched, and open on its owner's screen (a claim)."""
    from leadgate.orchestration.tasks import after_intake_many
    from leadgate.workspace.models import Claim

    lead = make_lead(title="Head of Sales", phone="+49 30 1234567", **fields)
    Inquiry.objects.filter(lead=lead).update(is_hot=True)
    after_intake_many([lead.pk])
    lead.refresh_from_db()
    Touch.objects.create(lead=lead, channel="call", disposition="no_answer", actor=owner)
    Claim.objects.create(lead=lead, user=owner, expires_at=timezone.now() + timedelta(minutes=5))
    return lead


def one_to_one_rows(lead):
    from leadgate.enrich.models import Enrichment
    from leadgate.routing.models import SlaClock
    from leadgate.scoring.models import LeadScore
    from leadgate.workspace.models import Claim

    return {
        "score": set(LeadScore.objects.filter(lead=lead).values_list("pk", flat=True)),
        "claim": set(Claim.objects.filter(lead=lead).values_list("pk", flat=True)),
        "facts": set(Enrichment.objects.filter(lead=lead).values_list("pk", flat=True)),
        "running clocks": set(SlaClock.objects.filter(lead=lead, state="running")
                              .values_list("pk", flat=True)),
    }


def test_it_merges_two_fully_processed_leads_keeping_the_survivors_one_of_a_kind_rows(alice, team):
    team.is_default = True
    team.save()
    survivor, merged = processed_lead(alice), processed_lead(alice)
    kept = one_to_one_rows(survivor)
    assert all(kept.values()), kept  # scored, claimed, enriched, a running clock
    record = merge(survivor, merged, by=alice)
    assert not Lead.objects.filter(pk=merged.pk).exists()
    assert one_to_one_rows(survivor) == kept
    assert Touch.objects.filter(lead=survivor).count() == 2  # the rest moved
    assert set(record.dropped) >= {"scoring.leadscore", "workspace.claim", "enrich.enrichment",
                                   "routing.slaclock"}


def test_it_restores_the_dropped_one_of_a_kind_rows_on_undo(alice, team):
    team.is_default = True
    team.save()
    survivor, merged = processed_lead(alice), processed_lead(alice)
    survivor_rows, merged_rows = one_to_one_rows(survivor), one_to_one_rows(merged)
    restored = undo(merge(survivor, merged, by=alice), by=alice)
    assert one_to_one_rows(restored) == merged_rows
    assert one_to_one_rows(survivor) == survivor_rows


def test_it_moves_a_one_of_a_kind_row_the_survivor_lacks(alice, team):
    from leadgate.workspace.models import Claim

    team.is_default = True
    team.save()
    survivor, merged = processed_lead(alice), processed_lead(alice)
    Claim.objects.filter(lead=survivor).delete()
    claim = Claim.objects.get(lead=merged)
    record = merge(survivor, merged, by=alice)
    assert Claim.objects.get(pk=claim.pk).lead_id == survivor.pk
    assert "workspace.claim" not in record.dropped


def test_it_keeps_one_of_two_copies_of_an_activity_a_sender_reported_for_both(alice):
    from leadgate.intake.models import Activity

    survivor, merged = make_lead(owner=alice), make_lead(owner=alice)
    for lead in (survivor, merged):
        Activity.objects.create(lead=lead, kind="page_visit", external_id="evt-1", sender="key:1")
    record = merge(survivor, merged, by=alice)
    assert Activity.objects.filter(lead=survivor).count() == 1
    assert len(record.dropped["intake.activity"]["rows"]) == 1
