"""The lifecycle: every legal move, every illegal one refused with its reason,
complete histories, and new cycles for returning people."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from leadgate.leads.lifecycle import CLOSED, TRANSITIONS, IllegalMove, Stage, check_move
from leadgate.leads.models import Handoff, Lead, Outcome, StageChange
from leadgate.leads.transitions import advance
from leadgate.workspace.models import Qualification
from tests.factories import make_lead

LEGAL = [(src, dst) for src, moves in TRANSITIONS.items() for dst in moves]
ILLEGAL = [
    (src, dst)
    for src in Stage
    for dst in Stage
    if dst not in TRANSITIONS[src] and src not in CLOSED
]


def sales_ready(lead: Lead) -> Qualification:
    """A sales-ready verdict of the lead's current cycle (the touch form's row)."""
    lead.refresh_from_db()
    return Qualification.objects.create(lead=lead, cycle=lead.cycle,
                                        verdict=Qualification.Verdict.SALES_READY)


def gate(lead: Lead, target: str) -> dict:
    """What the handoff passes to a move to `qualified`: a verdict and a dossier."""
    if target != Stage.QUALIFIED:
        return {}
    return {"verdict": sales_ready(lead), "dossier": {"need": "CRM"}}


def put_in_stage(lead: Lead, stage: str, sam) -> None:
    """Walk a fresh lead along the lifecycle to `stage` the way people would."""
    paths = {
        Stage.INQUIRY: [],
        Stage.MQL: [Stage.MQL],
        Stage.WORKING: [Stage.WORKING],
        Stage.QUALIFIED: [Stage.WORKING, Stage.QUALIFIED],
        Stage.ACCEPTED: [Stage.WORKING, Stage.QUALIFIED, Stage.ACCEPTED],
        Stage.OPPORTUNITY: [Stage.WORKING, Stage.QUALIFIED, Stage.ACCEPTED, Stage.OPPORTUNITY],
        Stage.WON: [Stage.WORKING, Stage.QUALIFIED, Stage.ACCEPTED, Stage.OPPORTUNITY, Stage.WON],
        Stage.LOST: [Stage.WORKING, Stage.QUALIFIED, Stage.ACCEPTED, Stage.LOST],
        Stage.NURTURE: [Stage.NURTURE],
        Stage.DISQUALIFIED: [Stage.DISQUALIFIED],
        Stage.REJECTED: [Stage.WORKING, Stage.QUALIFIED, Stage.REJECTED],
    }
    for step in paths[Stage(stage)]:
        advance(lead, step, by=None, reason="test path", to_user=sam, **gate(lead, step))


@pytest.mark.parametrize(("src", "dst"), LEGAL, ids=[f"{s}->{d}" for s, d in LEGAL])
def test_it_allows_every_legal_move(db, sam, src, dst):
    lead = make_lead()
    put_in_stage(lead, src, sam)
    change = advance(lead, dst, by=None, reason="because", to_user=sam, **gate(lead, dst)).change
    lead.refresh_from_db()
    assert lead.stage == dst
    assert (change.from_stage, change.to_stage) == (src, dst)


@pytest.mark.parametrize(("src", "dst"), ILLEGAL, ids=[f"{s}->{d}" for s, d in ILLEGAL])
def test_it_refuses_every_illegal_move_with_the_reason(db, sam, src, dst):
    lead = make_lead()
    put_in_stage(lead, src, sam)
    before = lead.stage_changes.count()
    with pytest.raises(IllegalMove) as refused:
        advance(lead, dst, by=None, reason="because", to_user=sam)
    assert f"cannot move from {src.value!r} to {dst.value!r}" in str(refused.value)
    lead.refresh_from_db()
    assert lead.stage == src
    assert lead.stage_changes.count() == before


@pytest.mark.parametrize("closed", sorted(CLOSED))
def test_it_refuses_any_move_out_of_a_closed_cycle(db, sam, closed):
    lead = make_lead()
    put_in_stage(lead, closed, sam)
    with pytest.raises(IllegalMove, match="cycle is closed"):
        advance(lead, Stage.WORKING, by=None)


def test_it_refuses_an_unknown_stage_naming_the_valid_ones():
    with pytest.raises(IllegalMove, match="unknown stage 'hot'.*inquiry, mql"):
        check_move(Stage.INQUIRY, "hot", None, "")


def test_it_requires_a_reason_to_disqualify(db):
    lead = make_lead()
    with pytest.raises(IllegalMove, match="needs a reason") as refused:
        advance(lead, Stage.DISQUALIFIED, by=None, reason="  ")
    assert refused.value.field == "reason"


def test_it_refuses_a_qualifier_the_moves_of_sales(db, alice, sam):
    lead = make_lead(owner=alice)
    put_in_stage(lead, Stage.QUALIFIED, sam)
    with pytest.raises(IllegalMove, match="is for: sales") as refused:
        advance(lead, Stage.ACCEPTED, by=alice)
    assert refused.value.field == "role"


def test_it_lets_a_manager_make_any_legal_move(db, mia, sam):
    lead = make_lead()
    put_in_stage(lead, Stage.QUALIFIED, sam)
    advance(lead, Stage.ACCEPTED, by=mia)
    assert lead.stage == Stage.ACCEPTED


def test_it_offers_a_user_only_the_moves_of_their_role(db, alice, sam):
    lead = make_lead(owner=alice)
    put_in_stage(lead, Stage.QUALIFIED, sam)
    assert lead.next_stages(alice) == []
    assert lead.next_stages(sam) == [Stage.ACCEPTED, Stage.REJECTED]


def test_it_refuses_to_qualify_without_a_sales_rep(db, alice):
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=alice)
    with pytest.raises(IllegalMove, match="sales rep") as refused:
        advance(lead, Stage.QUALIFIED, by=alice, **gate(lead, Stage.QUALIFIED))
    assert refused.value.field == "to_user"


def test_it_refuses_to_hand_off_to_someone_who_is_not_in_sales(db, alice, bob):
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=alice)
    with pytest.raises(IllegalMove, match="bob is not an active sales rep"):
        advance(lead, Stage.QUALIFIED, by=alice, to_user=bob, **gate(lead, Stage.QUALIFIED))
    assert not Handoff.objects.exists()


def test_it_refuses_qualified_without_a_verdict_naming_verdict(db, sam):
    lead = make_lead()
    put_in_stage(lead, Stage.WORKING, sam)
    with pytest.raises(IllegalMove, match="sales-ready verdict") as refused:
        advance(lead, Stage.QUALIFIED, by=None, to_user=sam, dossier={"need": "CRM"})
    assert refused.value.field == "verdict"
    assert not Handoff.objects.exists()


def test_it_refuses_qualified_on_a_verdict_of_an_earlier_cycle(db, sam):
    lead = make_lead()
    old = sales_ready(lead)
    advance(lead, Stage.DISQUALIFIED, by=None, reason="student")
    lead.start_new_cycle()
    put_in_stage(lead, Stage.WORKING, sam)
    with pytest.raises(IllegalMove) as refused:
        advance(lead, Stage.QUALIFIED, by=None, to_user=sam, dossier={"need": "CRM"},
                verdict=old)
    assert refused.value.field == "verdict"


def test_it_refuses_qualified_without_a_dossier(db, sam):
    lead = make_lead()
    put_in_stage(lead, Stage.WORKING, sam)
    with pytest.raises(IllegalMove) as refused:
        advance(lead, Stage.QUALIFIED, by=None, to_user=sam, verdict=sales_ready(lead))
    assert refused.value.field == "dossier"


def test_it_records_the_full_history_of_a_won_lead(db, alice, sam):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        lead = make_lead(owner=alice)
        steps = [
            (Stage.MQL, alice, {}),
            (Stage.WORKING, alice, {}),
            (Stage.QUALIFIED, alice, {"to_user": sam, "dossier": {"need": "CRM"},
                                      "verdict": sales_ready(lead)}),
            (Stage.ACCEPTED, sam, {}),
            (Stage.OPPORTUNITY, sam, {"amount": Decimal("12000")}),
            (Stage.WON, sam, {"amount": Decimal("11500")}),
        ]
        for stage, actor, extra in steps:
            clock.shift(timedelta(hours=1))
            advance(lead, stage, by=actor, **extra)

    history = list(lead.history())
    assert [(c.from_stage, c.to_stage) for c in history] == [
        ("", "inquiry"), ("inquiry", "mql"), ("mql", "working"), ("working", "qualified"),
        ("qualified", "accepted"), ("accepted", "opportunity"), ("opportunity", "won"),
    ]
    assert [c.by for c in history[1:]] == [alice, alice, alice, sam, sam, sam]
    assert [c.at - start for c in history[1:]] == [timedelta(hours=h) for h in range(1, 7)]
    handoff = Handoff.objects.get(lead=lead)
    assert (handoff.status, handoff.to_user, handoff.dossier) == ("accepted", sam, {"need": "CRM"})
    assert list(Outcome.objects.filter(lead=lead).values_list("kind", "amount")) == [
        ("opportunity", Decimal("12000")), ("won", Decimal("11500")),
    ]


def test_it_records_a_reject_and_the_recycling(db, alice, sam):
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=alice)
    advance(lead, Stage.QUALIFIED, by=alice, to_user=sam, **gate(lead, Stage.QUALIFIED))
    advance(lead, Stage.REJECTED, by=sam, reason="no budget this year")
    advance(lead, Stage.WORKING, by=alice)
    advance(lead, Stage.NURTURE, by=alice, reason="budget in Q3")

    assert [(c.from_stage, c.to_stage, c.reason) for c in lead.history()][3:] == [
        ("qualified", "rejected", "no budget this year"),
        ("rejected", "working", ""),
        ("working", "nurture", "budget in Q3"),
    ]
    handoff = Handoff.objects.get(lead=lead)
    assert (handoff.status, handoff.decision_reason) == ("rejected", "no budget this year")
    assert handoff.decided_at is not None


def test_it_refuses_a_second_handoff_on_the_verdict_sales_rejected(db, alice, sam):
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=alice)
    verdict = sales_ready(lead)
    advance(lead, Stage.QUALIFIED, by=alice, to_user=sam, verdict=verdict, dossier={"n": 1})
    advance(lead, Stage.REJECTED, by=sam, reason="wrong territory")
    advance(lead, Stage.WORKING, by=alice)
    with pytest.raises(IllegalMove, match="sales rejected") as refused:
        advance(lead, Stage.QUALIFIED, by=alice, to_user=sam, verdict=verdict, dossier={"n": 1})
    assert refused.value.field == "verdict"


def test_it_allows_a_second_handoff_after_a_reject_with_a_new_verdict(db, alice, sam):
    lead = make_lead(owner=alice)
    advance(lead, Stage.WORKING, by=alice)
    advance(lead, Stage.QUALIFIED, by=alice, to_user=sam, **gate(lead, Stage.QUALIFIED))
    advance(lead, Stage.REJECTED, by=sam, reason="wrong territory")
    advance(lead, Stage.WORKING, by=alice)
    advance(lead, Stage.QUALIFIED, by=alice, to_user=sam, **gate(lead, Stage.QUALIFIED))
    assert list(lead.handoffs.order_by("pk").values_list("status", flat=True)) == [
        "rejected", "pending",
    ]


def test_it_starts_a_new_cycle_for_a_returning_lead(db, alice, sam):
    lead = make_lead(owner=alice)
    advance(lead, Stage.DISQUALIFIED, by=alice, reason="student")
    lead.start_new_cycle(reason="came back from a webinar")
    advance(lead, Stage.WORKING, by=alice)

    lead.refresh_from_db()
    assert (lead.stage, lead.cycle) == (Stage.WORKING, 2)
    assert [(c.cycle, c.from_stage, c.to_stage) for c in lead.history()] == [
        (1, "", "inquiry"), (1, "inquiry", "disqualified"),
        (2, "disqualified", "inquiry"), (2, "inquiry", "working"),
    ]


def test_it_refuses_a_new_cycle_while_the_lead_is_open(db, alice):
    lead = make_lead(owner=alice)
    with pytest.raises(IllegalMove, match="still in 'inquiry'"):
        lead.start_new_cycle()
    assert lead.stage_changes.count() == 1


def test_it_keeps_a_lead_and_its_history_unchanged_when_a_move_fails(db, alice):
    lead = make_lead(owner=alice)
    with pytest.raises(IllegalMove):
        advance(lead, Stage.WON, by=alice, amount=Decimal("10"))
    assert StageChange.objects.filter(lead=lead).count() == 1
    assert not Outcome.objects.exists()


def test_it_refuses_a_negative_amount(db, sam):
    lead = make_lead()
    put_in_stage(lead, Stage.ACCEPTED, sam)
    with pytest.raises(IllegalMove, match="negative") as refused:
        advance(lead, Stage.OPPORTUNITY, by=sam, amount=Decimal("-1"))
    assert refused.value.field == "amount"
    lead.refresh_from_db()
    assert lead.stage == Stage.ACCEPTED


def test_it_returns_the_outcome_a_move_records(db, sam):
    lead = make_lead()
    put_in_stage(lead, Stage.ACCEPTED, sam)
    move = advance(lead, Stage.OPPORTUNITY, by=sam, amount=Decimal("1200"))
    assert move.outcome == Outcome.objects.get(lead=lead, kind=Stage.OPPORTUNITY)
    assert (move.outcome.amount, move.outcome.at) == (Decimal("1200"), move.change.at)


def test_it_returns_the_handoff_a_move_to_qualified_opens(db, sam):
    lead = make_lead()
    put_in_stage(lead, Stage.WORKING, sam)
    move = advance(lead, Stage.QUALIFIED, by=None, to_user=sam, reason="handed off",
                   **gate(lead, Stage.QUALIFIED))
    assert move.handoff == Handoff.objects.get(lead=lead)
    assert move.outcome is None
