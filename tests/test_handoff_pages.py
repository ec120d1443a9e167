"""The handoff pages: who may open them, and form errors at their field."""

from datetime import UTC, datetime, timedelta

import pytest

from leadgate.handoff.flow import send
from leadgate.leads.models import Handoff
from leadgate.workspace.touches import log_touch
from tests.factories import join_team, make_lead, make_user

BANT = {
    "need": {"value": "slow month-end", "met": True},
    "authority": {"value": "decision maker", "met": True},
    "timeframe": {"value": "this quarter", "met": True},
}


@pytest.fixture
def ready(alice):
    lead = make_lead(owner=alice, stage="working")
    log_touch(lead, alice, channel="call", disposition="connected", verdict="sales_ready",
              answers=BANT)
    lead.refresh_from_db()
    return lead


@pytest.fixture
def handoff(ready, alice, sam):
    return send(ready, by=alice, to_user=sam, dossier={"summary": "read me"})


def url(lead):
    return f"/sales/handoff/{lead.pk}/"


# --- the review page -----------------------------------------------------------------


def test_it_shows_the_dossier_with_the_suggested_rep_preselected(client, ready, alice, sam):
    client.force_login(alice)
    response = client.get(url(ready))
    assert response.status_code == 200
    html = response.content.decode()
    assert "slow month-end" in html
    assert f'<option value="{sam.pk}" selected>' in html


def test_it_links_the_handoff_page_from_a_sales_ready_lead(client, ready, alice):
    client.force_login(alice)
    assert url(ready) in client.get(f"/leads/{ready.pk}/").content.decode()


def test_it_shows_no_handoff_link_before_the_lead_is_sales_ready(client, alice):
    lead = make_lead(owner=alice, stage="working")
    client.force_login(alice)
    assert url(lead) not in client.get(f"/leads/{lead.pk}/").content.decode()


def test_it_hands_off_and_keeps_the_edited_summary(client, ready, alice, sam):
    client.force_login(alice)
    response = client.post(url(ready), {"summary": "Call her Tuesday", "to_user": sam.pk,
                                        "note": ""})
    assert response.status_code == 302
    handoff = Handoff.objects.get(lead=ready)
    assert handoff.dossier["summary"] == "Call her Tuesday"
    assert handoff.dossier["qualification"]["answers"][0]["value"] == "slow month-end"


def test_it_reads_the_meeting_time_in_the_users_time_zone(client, ready, alice, sam):
    alice.time_zone = "Europe/Paris"
    alice.save()
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    client.force_login(alice)
    client.post(url(ready), {"summary": "x", "to_user": sam.pk,
                             "meeting_at": f"{day}T15:00"})
    meeting = Handoff.objects.get(lead=ready).meeting_at
    assert meeting.astimezone(UTC).hour in (13, 14)  # 15:00 Paris, summer or winter


def test_it_shows_a_missing_rep_at_its_field_and_keeps_the_input(client, ready, alice):
    client.force_login(alice)
    response = client.post(url(ready), {"summary": "my words", "to_user": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_to_user-error"' in html
    assert "my words" in html
    assert not Handoff.objects.exists()


def test_it_shows_a_past_meeting_at_its_field(client, ready, alice, sam):
    client.force_login(alice)
    response = client.post(url(ready), {"summary": "x", "to_user": sam.pk,
                                        "meeting_at": "2020-01-01T10:00"})
    assert response.status_code == 400
    assert 'id="id_meeting_at-error"' in response.content.decode()


def test_it_refuses_a_lead_that_is_not_sales_ready(client, alice, sam):
    lead = make_lead(owner=alice, stage="working")
    client.force_login(alice)
    response = client.post(url(lead), {"summary": "x", "to_user": sam.pk})
    assert response.status_code == 400
    assert "sales-ready" in response.content.decode()


def test_it_hides_the_review_page_of_another_teams_lead(client, ready, charlie):
    client.force_login(charlie)
    assert client.get(url(ready)).status_code == 404


def test_it_refuses_the_review_page_to_a_sales_rep(client, ready, sam):
    client.force_login(sam)
    assert client.get(url(ready)).status_code == 403


def test_it_lets_a_manager_hand_off(client, ready, mia):
    client.force_login(mia)
    assert client.get(url(ready)).status_code == 200


# --- the inbox and the detail page ---------------------------------------------------


def test_it_shows_the_rep_accept_and_reject_with_the_due_time(client, handoff, sam):
    client.force_login(sam)
    html = client.get("/sales/").content.decode()
    assert f"/sales/handoffs/{handoff.pk}/accept" in html
    assert f"/sales/handoffs/{handoff.pk}/reject" in html
    assert "Answer by" in html


def test_it_flags_an_overdue_handoff(client, handoff, sam, time_machine):
    time_machine.move_to(handoff.due_at + timedelta(minutes=5), tick=False)
    client.force_login(sam)
    assert "Overdue" in client.get("/sales/").content.decode()


def test_it_shows_another_reps_handoff_nowhere(client, handoff):
    olga = make_user("olga", "sales")
    client.force_login(olga)
    assert f"handoff-{handoff.pk}" not in client.get("/sales/").content.decode()
    assert client.get(f"/sales/handoffs/{handoff.pk}/").status_code == 404
    assert client.post(f"/sales/handoffs/{handoff.pk}/accept").status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_it_shows_the_teams_handoffs_in_a_shared_inbox(client, handoff, sam, settings):
    settings.LEADGATE_HANDOFF_TEAM_INBOX = True
    sales = join_team(sam, "Sales East")
    client.force_login(make_user("olga", "sales", team=sales))
    page = client.get("/sales/").content.decode()
    assert f'id="handoff-{handoff.pk}"' in page
    assert client.post(f"/sales/handoffs/{handoff.pk}/accept").status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == "accepted"


def test_it_shows_the_rep_the_full_dossier(client, handoff, sam):
    client.force_login(sam)
    response = client.get(f"/sales/handoffs/{handoff.pk}/")
    assert response.status_code == 200
    assert "read me" in response.content.decode()


def test_it_shows_a_manager_every_handoff(client, handoff, mia):
    client.force_login(mia)
    assert client.get(f"/sales/handoffs/{handoff.pk}/").status_code == 200
    assert f"handoff-{handoff.pk}" in client.get("/sales/").content.decode()


def test_it_says_how_many_wait_when_more_than_the_inbox_lists(
        client, handoff, sam, monkeypatch):
    from leadgate.handoff import views

    client.force_login(sam)
    page = client.get("/sales/").content.decode()
    assert "(1, oldest first)" in page and 'id="waiting-more"' not in page
    for _ in range(2):
        lead = make_lead(owner=handoff.from_user, stage="working")
        log_touch(lead, handoff.from_user, channel="call", disposition="connected",
                  verdict="sales_ready", answers=BANT)
        send(lead, by=handoff.from_user, to_user=sam, dossier={"summary": "later"})
    monkeypatch.setattr(views, "INBOX_LIMIT", 2)
    page = client.get("/sales/").content.decode()
    assert "The 2 oldest of 3 are listed" in page
    assert f"handoff-{handoff.pk}" in page  # the oldest is among them


def test_it_accepts_from_the_inbox(client, handoff, sam):
    client.force_login(sam)
    response = client.post(f"/sales/handoffs/{handoff.pk}/accept")
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == "accepted"


def test_it_shows_a_reject_without_reason_at_its_field(client, handoff, sam):
    client.force_login(sam)
    response = client.post(f"/sales/handoffs/{handoff.pk}/reject", {"reason": "",
                                                                      "text": "hmm"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="reason-{handoff.pk}-error"' in html
    assert 'value="hmm"' in html


def test_it_shows_other_without_text_at_its_field(client, handoff, sam):
    client.force_login(sam)
    response = client.post(f"/sales/handoffs/{handoff.pk}/reject",
                           {"reason": "other", "next": "detail"})
    assert response.status_code == 400
    assert f'id="text-{handoff.pk}-error"' in response.content.decode()


def test_it_refuses_to_accept_a_rejected_handoff_with_400(client, handoff, sam):
    client.force_login(sam)
    client.post(f"/sales/handoffs/{handoff.pk}/reject", {"reason": "no_budget"})
    response = client.post(f"/sales/handoffs/{handoff.pk}/accept")
    assert response.status_code == 400
    handoff.refresh_from_db()
    assert handoff.status == "rejected"


def test_it_refuses_the_inbox_to_a_qualifier(client, alice):
    client.force_login(alice)
    assert client.get("/sales/").status_code == 403


def test_it_refuses_a_qualifier_the_accept(client, handoff, alice):
    client.force_login(alice)
    assert client.post(f"/sales/handoffs/{handoff.pk}/accept").status_code == 403


def test_it_shows_a_dossier_of_the_former_format_in_words(client, handoff, sam):
    Handoff.objects.filter(pk=handoff.pk).update(
        dossier={"pains": ["No visibility", "Duplicates"], "buying_plan": "Pilot first"})
    client.force_login(sam)
    html = client.get(f"/sales/handoffs/{handoff.pk}/").content.decode()
    assert "<dd>No visibility, Duplicates</dd>" in html and "[&#x27;" not in html
    assert "<dt>Buying plan</dt>" in html


def test_it_shows_a_dossier_whose_answers_are_plain_words(client, ready, alice):
    from leadgate.workspace.models import Qualification

    Qualification.objects.filter(lead=ready).update(
        answers={"need": "slow month-end close", "budget": "approved", "timeframe": "Q3"})
    client.force_login(alice)
    response = client.get(url(ready))
    assert response.status_code == 200
    assert "slow month-end close" in response.content.decode()
