"""The handoff to sales: the dossier, the rep's choice, sending (with the email
and its .ics), accept, reject with both return paths, and the acceptance SLA."""

import email
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import icalendar
import pytest

from leadgate.enrich.models import Enrichment
from leadgate.handoff.flow import (
    HandoffError,
    RejectReason,
    accept,
    build_ics,
    check_acceptance_sla,
    compose_dossier,
    reject,
    send,
    suggest_rep,
)
from leadgate.intake.models import Inquiry
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Handoff, Task
from leadgate.routing.models import Alert
from leadgate.scoring.models import LeadScore
from leadgate.workspace.touches import log_touch
from tests.factories import join_team, make_account, make_campaign, make_lead, make_team, make_user
from tests.outbox import run_email_tasks

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BANT = {
    "need": {"value": "month-end close takes a week", "met": True},
    "authority": {"value": "decision maker", "met": True},
    "timeframe": {"value": "this quarter", "met": True},
    "budget": {"value": "50k approved", "met": True},
}


def qualify(lead, actor, notes="Pain: manual reconciliations\nStakeholders: the CFO signs"):
    """A connected call with the sales-ready verdict and BANT answers."""
    return log_touch(lead, actor, channel="call", disposition="connected", notes=notes,
                     verdict="sales_ready", answers=BANT)


@pytest.fixture
def lead(alice):
    return make_lead(owner=alice, stage="working", title="CFO",
                     account=make_account("Initech"))


@pytest.fixture
def ready(lead, alice):
    qualify(lead, alice)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def handoff(ready, alice, sam):
    return send(ready, by=alice, to_user=sam, dossier=compose_dossier(ready))


# --- the dossier ---------------------------------------------------------------


def test_it_puts_the_answers_per_question_in_the_dossier(ready):
    answers = {a["key"]: a for a in compose_dossier(ready)["qualification"]["answers"]}
    assert answers["need"] == {"key": "need", "label": "Need",
                               "value": "month-end close takes a week", "met": True}
    assert answers["authority"]["value"] == "decision maker"


def test_it_gathers_pains_and_stakeholders_from_answers_and_touch_notes(ready):
    dossier = compose_dossier(ready)
    assert "Need: month-end close takes a week" in dossier["pains"]
    assert any(item.startswith("manual reconciliations") for item in dossier["pains"])
    assert any(item.startswith("the CFO signs") for item in dossier["stakeholders"])
    assert dossier["timeframe"] == ["this quarter"]  # under Timeframe: not said twice
    assert dossier["buying_plan"] == ["Budget: 50k approved"]


def test_it_summarises_the_touch_history(ready, alice):
    log_touch(ready, alice, channel="email", disposition="sent", notes="sent the deck",
              next_step=("Call", datetime.now(UTC) + timedelta(days=1)))
    touches = compose_dossier(ready)["touches"]
    assert touches["total"] == 2
    assert touches["by_channel"] == {"call": 1, "email": 1}
    assert touches["by_disposition"] == {"connected": 1, "sent": 1}
    assert touches["last"][0]["notes"] == "sent the deck"


def test_it_includes_score_reasons_and_model_probability(ready):
    LeadScore.objects.create(lead=ready, grade="A1", fit=80, probability=0.62, reasons=[
        {"rule": "Finance title", "kind": "fit", "points": 30, "at": None}])
    score = compose_dossier(ready)["score"]
    assert score["grade"] == "A1"
    assert score["reasons"][0]["rule"] == "Finance title"
    assert score["probability"] == pytest.approx(0.62)


def test_it_lists_every_inquiry_with_source_and_campaign(ready):
    campaign = make_campaign(name="Spring webinar")
    Inquiry.objects.create(lead=ready, channel="api", source=campaign.source, campaign=campaign)
    inquiries = compose_dossier(ready)["inquiries"]
    assert [i["channel"] for i in inquiries] == ["form", "api"]
    assert inquiries[1]["campaign"] == "Spring webinar"
    assert inquiries[1]["source"] == str(campaign.source)


def test_it_includes_the_company_and_enrichment_facts(ready):
    Enrichment.objects.create(lead=ready, field="seniority", value="executive", provider="titles")
    dossier = compose_dossier(ready)
    assert dossier["company"]["name"] == "Initech"
    assert dossier["who"]["facts"]["seniority"]["value"] == "executive"
    json.dumps(dossier)  # stored as JSON and sent by the API as is


# --- the rep ---------------------------------------------------------------------


def test_it_suggests_the_account_owner_when_a_sales_rep(ready, sam):
    other = make_user("olga", "sales")
    ready.account.owner = other
    ready.account.save()
    assert suggest_rep(ready) == other


def test_it_suggests_the_rep_with_the_fewest_pending_handoffs(ready, alice, sam):
    busy_lead = make_lead(owner=alice, stage="working")
    qualify(busy_lead, alice)
    send(busy_lead, by=alice, to_user=sam, dossier={})
    olga = make_user("olga", "sales")
    assert suggest_rep(ready) == olga


def test_it_breaks_ties_between_reps_by_id(ready, sam):
    make_user("olga", "sales")
    assert suggest_rep(ready) == sam


def test_it_skips_an_account_owner_who_is_not_a_rep(ready, alice, sam):
    ready.account.owner = alice
    ready.account.save()
    assert suggest_rep(ready) == sam


# --- sending --------------------------------------------------------------------------


def test_it_refuses_a_lead_without_a_sales_ready_verdict(lead, alice, sam):
    with pytest.raises(HandoffError) as refused:
        send(lead, by=alice, to_user=sam, dossier={})
    assert refused.value.field == "verdict"
    assert not Handoff.objects.exists()


def test_it_refuses_a_rep_who_is_not_in_sales(ready, alice, bob):
    with pytest.raises(HandoffError) as refused:
        send(ready, by=alice, to_user=bob, dossier={})
    assert refused.value.field == "to_user"


def test_it_refuses_a_meeting_in_the_past(ready, alice, sam):
    with pytest.raises(HandoffError) as refused:
        send(ready, by=alice, to_user=sam, dossier={},
             meeting_at=datetime.now(UTC) - timedelta(hours=1))
    assert refused.value.field == "meeting_at"


def test_it_moves_the_lead_to_qualified_and_closes_the_handoff_task(handoff, ready):
    ready.refresh_from_db()
    assert ready.stage == Stage.QUALIFIED
    assert handoff.status == "pending"
    assert not Task.objects.filter(lead=ready, title="Hand off to sales",
                                   done_at__isnull=True).exists()


def test_it_sets_the_acceptance_due_time_in_business_hours(ready, alice, sam, time_machine):
    time_machine.move_to(MONDAY_10, tick=False)
    handoff = send(ready, by=alice, to_user=sam, dossier={})
    # 9 business hours of office hours: Monday 10-18 then Tuesday 9-10.
    assert handoff.due_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_it_counts_the_due_time_in_the_reps_team_hours(ready, alice, time_machine):
    time_machine.move_to(MONDAY_10, tick=False)
    sales = make_team("Sales NYC")
    sales.time_zone, sales.hours = "UTC", {"mon-fri": "08:00-20:00"}
    sales.save()
    rep = make_user("ray", "sales", sales)
    handoff = send(ready, by=alice, to_user=rep, dossier={})
    assert handoff.due_at == datetime(2026, 3, 2, 19, 0, tzinfo=UTC)


def test_it_emails_the_rep_the_dossier_with_an_ics_invitation(ready, alice, sam, smtp):
    meeting = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    handoff = send(ready, by=alice, to_user=sam, dossier=compose_dossier(ready),
                   meeting_at=meeting, note="She wants a demo; call before noon")
    assert run_email_tasks() == ["sent"]
    [(recipients, raw)] = smtp.messages
    assert recipients == ["sam@example.com"]
    message = email.message_from_string(raw)
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    text = body.get_payload(decode=True).decode()
    assert "month-end close takes a week" in text
    assert "call before noon" in text
    [invite] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_filename() == "meeting.ics"
    ics = invite.get_payload(decode=True).decode()
    lines = ics.replace("\r\n ", "").split("\r\n")
    assert "METHOD:REQUEST" in lines
    assert f"UID:handoff-{handoff.pk}@localhost" in lines
    assert f"DTSTART:{meeting:%Y%m%dT%H%M%SZ}" in lines
    assert f"DTEND:{meeting + timedelta(minutes=30):%Y%m%dT%H%M%SZ}" in lines
    assert any(line.startswith("ATTENDEE") and "mailto:sam@example.com" in line
               for line in lines)


def test_it_escapes_text_in_the_ics(ready, alice, sam):
    handoff = send(ready, by=alice, to_user=sam, dossier={"summary": "a; b, c\\d\nnext"},
                   meeting_at=datetime.now(UTC) + timedelta(days=1))
    ics = build_ics(handoff).replace("\r\n ", "")
    assert "a\\; b\\, c\\\\d\\nnext" in ics
    assert all(len(line.encode()) <= 75 for line in build_ics(handoff).split("\r\n"))


def test_it_writes_an_ics_that_a_calendar_reads_back(ready, alice, sam):
    meeting = datetime(2030, 5, 6, 15, 30, tzinfo=UTC)
    handoff = send(ready, by=alice, to_user=sam, dossier={"summary": "a; b, c\\d\nnext"},
                   meeting_at=meeting, note='Ask for "Ada"')
    calendar = icalendar.Calendar.from_ical(build_ics(handoff))
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        meeting, meeting + timedelta(minutes=30))
    assert str(event["DESCRIPTION"]).endswith('Ask for "Ada"\na; b, c\\d\nnext')
    attendees = {str(attendee): attendee.params for attendee in event["ATTENDEE"]}
    assert attendees["mailto:sam@example.com"]["RSVP"] == "TRUE"
    assert f"mailto:{ready.email}" in attendees


def test_it_sends_no_ics_without_a_meeting(ready, alice, sam, smtp):
    send(ready, by=alice, to_user=sam, dossier={})
    run_email_tasks()
    [(_, raw)] = smtp.messages
    message = email.message_from_string(raw)
    assert not [p for p in message.walk() if p.get_content_type() == "text/calendar"]


# --- accept and reject -----------------------------------------------------------------------


def test_it_accepts_a_pending_handoff(handoff, sam):
    accepted = accept(handoff, by=sam)
    assert (accepted.status, accepted.decided_by) == ("accepted", sam)
    assert accepted.decided_at is not None
    assert accepted.lead.stage == Stage.ACCEPTED


def test_it_refuses_to_accept_a_rejected_handoff(handoff, sam):
    reject(handoff, by=sam, reason=RejectReason.BAD_TIMING)
    with pytest.raises(HandoffError) as refused:
        accept(handoff, by=sam)
    assert refused.value.field == "status"


def test_it_refuses_a_reject_without_a_reason(handoff, sam):
    with pytest.raises(HandoffError) as refused:
        reject(handoff, by=sam, reason="")
    assert refused.value.field == "reason"
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_it_refuses_other_without_a_text(handoff, sam):
    with pytest.raises(HandoffError) as refused:
        reject(handoff, by=sam, reason="other", text="  ")
    assert refused.value.field == "text"


def test_it_refuses_a_rep_the_handoff_was_not_addressed_to(handoff):
    olga = make_user("olga", "sales")
    with pytest.raises(HandoffError) as refused:
        accept(handoff, by=olga)
    assert refused.value.field == "to_user"
    with pytest.raises(HandoffError):
        reject(handoff, by=olga, reason=RejectReason.NOT_A_FIT)


def test_it_lets_a_teammate_decide_with_the_team_inbox(handoff, sam, settings):
    settings.LEADGATE_HANDOFF_TEAM_INBOX = True
    sales = join_team(sam, "Sales East")
    olga = make_user("olga", "sales", team=sales)
    make_user("rita", "sales", team=make_team("Sales West"))
    assert accept(handoff, by=olga).decided_by == olga


def test_it_refuses_a_rep_of_another_team_with_the_team_inbox(handoff, sam, settings):
    settings.LEADGATE_HANDOFF_TEAM_INBOX = True
    join_team(sam, "Sales East")
    rita = make_user("rita", "sales", team=make_team("Sales West"))
    with pytest.raises(HandoffError) as refused:
        accept(handoff, by=rita)
    assert refused.value.field == "to_user"


def test_it_lets_a_manager_decide_for_the_rep(handoff, mia):
    assert accept(handoff, by=mia).status == "accepted"


def test_it_keeps_the_record_of_a_reject(handoff, sam):
    rejected = reject(handoff, by=sam, reason="other", text="already talking to them")
    assert rejected.status == "rejected"
    assert rejected.reject_reason == "other"
    assert rejected.decision_reason == "already talking to them"
    assert rejected.decided_by == sam
    assert rejected.decided_at is not None


def test_it_returns_a_rejected_lead_to_its_qualifier_with_a_task(handoff, ready, alice, sam):
    reject(handoff, by=sam, reason=RejectReason.NO_BUDGET, text="frozen until Q3")
    ready.refresh_from_db()
    assert (ready.stage, ready.owner) == (Stage.WORKING, alice)
    task = Task.objects.get(lead=ready, done_at__isnull=True)
    assert task.title == "Sales rejected: No budget: frozen until Q3"
    assert task.assignee == alice
    assert ready.history().filter(to_stage="rejected").exists()


def test_it_returns_the_lead_to_the_qualifier_who_handed_it_off(ready, alice, bob, sam):
    handoff = send(ready, by=bob, to_user=sam, dossier={})
    reject(handoff, by=sam, reason=RejectReason.NOT_A_FIT)
    ready.refresh_from_db()
    assert ready.owner == bob
    assert Task.objects.get(lead=ready, done_at__isnull=True).assignee == bob


def test_it_sends_a_rejected_lead_to_nurture_by_setting(handoff, ready, sam, settings):
    settings.LEADGATE_REJECT_RETURN = "nurture"
    reject(handoff, by=sam, reason=RejectReason.BAD_TIMING, text="next year")
    ready.refresh_from_db()
    assert ready.stage == Stage.NURTURE
    assert ready.history().last().reason == "sales rejected: Bad timing: next year"
    assert not Task.objects.filter(lead=ready, title__startswith="Sales rejected").exists()


def test_it_refuses_a_second_handoff_until_the_lead_is_qualified_again(
        handoff, ready, alice, sam):
    reject(handoff, by=sam, reason=RejectReason.BAD_TIMING)
    with pytest.raises(HandoffError) as refused:
        send(ready, by=alice, to_user=sam, dossier={})
    assert refused.value.field == "verdict"
    assert "sales rejected this lead" in str(refused.value)


def test_it_hands_off_again_after_a_reject_and_a_new_verdict(
        handoff, ready, alice, sam, time_machine):
    reject(handoff, by=sam, reason=RejectReason.BAD_TIMING)
    time_machine.move_to(datetime.now(UTC) + timedelta(minutes=5))
    qualify(ready, alice, notes="Budget moved to this quarter")
    again = send(ready, by=alice, to_user=sam, dossier={})
    accept(again, by=sam)
    ready.refresh_from_db()
    assert ready.stage == Stage.ACCEPTED
    assert list(Handoff.objects.filter(lead=ready).order_by("pk")
                .values_list("status", flat=True)) == ["rejected", "accepted"]


def test_it_lets_the_accepted_lead_become_a_won_deal(handoff, ready, sam):
    from leadgate.leads.transitions import advance

    accept(handoff, by=sam)
    advance(ready, Stage.OPPORTUNITY, by=sam, amount=Decimal("12000"))
    advance(ready, Stage.WON, by=sam, amount=Decimal("11500"))
    assert ready.outcomes.get(kind="won").amount == Decimal("11500")


# --- the acceptance SLA ---------------------------------------------------------------


def test_it_escalates_an_unanswered_handoff_once_and_emails_the_manager(
    ready, alice, sam, mia, smtp, time_machine
):
    time_machine.move_to(MONDAY_10, tick=False)
    handoff = send(ready, by=alice, to_user=sam, dossier={})
    time_machine.move_to(handoff.due_at - timedelta(minutes=1), tick=False)
    assert check_acceptance_sla() == 0
    time_machine.move_to(handoff.due_at + timedelta(minutes=1), tick=False)
    assert check_acceptance_sla() == 1
    assert check_acceptance_sla() == 0
    run_email_tasks()
    handoff.refresh_from_db()
    assert handoff.escalated_at == handoff.due_at + timedelta(minutes=1)
    alert = Alert.objects.get(lead=ready)
    assert alert.kind == Alert.Kind.SLA_BREACH
    assert "Acceptance SLA" in alert.message
    [(recipients, raw)] = [m for m in smtp.messages if "Acceptance SLA breached" in m[1]]
    assert recipients == ["mia@example.com"]


def test_it_mails_the_reps_team_managers_first(ready, alice, mia, smtp, time_machine):
    time_machine.move_to(MONDAY_10, tick=False)
    sales = make_team("Sales")
    rep = make_user("ray", "sales", sales)
    make_user("max", "manager", sales)
    handoff = send(ready, by=alice, to_user=rep, dossier={})
    time_machine.move_to(handoff.due_at + timedelta(seconds=1), tick=False)
    check_acceptance_sla()
    run_email_tasks()
    [(recipients, _)] = [m for m in smtp.messages if "Acceptance SLA breached" in m[1]]
    assert recipients == ["max@example.com"]


def test_it_does_not_escalate_a_handoff_answered_in_time(handoff, sam, time_machine):
    accept(handoff, by=sam)
    time_machine.move_to(handoff.due_at + timedelta(hours=1), tick=False)
    assert check_acceptance_sla() == 0
    assert not Alert.objects.exists()
