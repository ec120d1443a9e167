"""The web desk: stage moves from the lead page, the inbox, htmx fragments,
escaping, and the funnel's figures against the database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leadgate.handoff.flow import send
from leadgate.leads.lifecycle import FUNNEL, Stage
from leadgate.leads.models import Handoff, Lead, Outcome, StageChange, Task
from leadgate.leads.transitions import advance
from tests.factories import PASSWORD, hand_off, make_lead, qualify_sales_ready

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def stage_url(lead):
    return reverse("lead-stage", args=[lead.pk])


def test_it_logs_in_through_the_login_form(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("desk")


def test_it_records_a_move_to_working_and_shows_it_in_the_timeline(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "working", "reason": "calling now"})
    assert response.status_code == 302
    assert response["Location"] == reverse("lead", args=[lead.pk])
    change = StageChange.objects.get(lead=lead, to_stage="working")
    assert (change.from_stage, change.by, change.reason) == ("inquiry", alice, "calling now")
    page = client.get(response["Location"]).content.decode()
    assert "Inquiry → Working" in page
    assert "calling now" in page


def test_it_refuses_an_illegal_move_with_400_and_no_change(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "won"})
    assert response.status_code == 400
    assert "cannot move from &#x27;inquiry&#x27; to &#x27;won&#x27;" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.INQUIRY
    assert StageChange.objects.filter(lead=lead).count() == 1


def test_it_refuses_a_move_without_its_required_reason(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "disqualified", "reason": "  "})
    assert response.status_code == 400
    assert response.context["moves"]  # the page is re-rendered with its forms
    move = next(m for m in response.context["moves"] if m["target"] == "disqualified")
    assert move["errors"] == {"reason": "moving to 'disqualified' needs a reason"}
    assert 'id="reason-disqualified-error"' in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.INQUIRY


def test_it_refuses_an_unknown_stage_with_400(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "teleported"})
    assert response.status_code == 400
    assert response.context["panel_errors"]


def test_it_offers_only_the_moves_legal_for_the_user(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.get(reverse("lead", args=[lead.pk]))
    targets = [move["target"] for move in response.context["moves"]]
    assert targets == [s.value for s in lead.next_stages(alice)]
    required = {m["target"] for m in response.context["moves"] if m["reason_required"]}
    assert required == {"nurture", "disqualified"}


def test_it_hands_off_to_sam_who_sees_it_in_his_inbox(client, alice, sam):
    lead = make_lead(owner=alice, company_name="Initech")
    hand_off(lead, alice, sam)
    handoff = Handoff.objects.get(lead=lead)
    assert (handoff.to_user, handoff.from_user, handoff.status) == (sam, alice, "pending")
    client.force_login(sam)
    inbox = client.get(reverse("inbox"))
    assert inbox.status_code == 200
    assert [h for h, _summary in inbox.context["pending"]] == [handoff]
    page = inbox.content.decode()
    assert reverse("lead", args=[lead.pk]) in page
    assert "Initech" in page


def test_it_offers_no_qualified_button_on_the_lead_page(client, alice):
    lead = make_lead(owner=alice)
    advance(lead, "working", by=alice)
    client.force_login(alice)
    response = client.get(reverse("lead", args=[lead.pk]))
    assert "qualified" not in [move["target"] for move in response.context["moves"]]
    assert 'data-move="qualified"' not in response.content.decode()


def test_it_refuses_a_forged_qualified_post_with_the_message(client, alice, sam):
    # No answers on the lead: a plain move would hand sales an empty dossier.
    lead = make_lead(owner=alice)
    advance(lead, "working", by=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "qualified", "to_user": sam.pk})
    assert response.status_code == 400
    [message] = response.context["panel_errors"]
    assert "sales-ready verdict" in message and "Hand off" in message
    assert message in response.content.decode()
    lead.refresh_from_db()
    assert (lead.stage, Handoff.objects.filter(lead=lead).exists()) == ("working", False)


def test_it_lets_sam_accept_and_record_an_opportunity_with_its_amount(client, alice, sam):
    lead = make_lead(owner=alice)
    hand_off(lead, alice, sam)
    client.force_login(sam)
    assert client.post(stage_url(lead), {"target": "accepted"}).status_code == 302
    response = client.post(stage_url(lead), {"target": "opportunity", "amount": "12500.50"})
    assert response.status_code == 302
    assert Outcome.objects.get(lead=lead).amount == Decimal("12500.50")


def test_it_returns_the_panel_fragment_to_htmx(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "working"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section id=\"lead-panel\"")
    assert "<html" not in body
    assert "Inquiry → Working" in body
    assert "Moved to Working." in body


def test_it_returns_the_fragment_with_400_to_htmx_on_a_refused_move(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(stage_url(lead), {"target": "nurture"}, **HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<html" not in body
    assert "needs a reason" in body


def test_it_escapes_lead_data(client, alice):
    lead = make_lead(
        owner=alice, first_name="<script>alert(1)</script>", company_name="<b>Evil</b>"
    )
    client.force_login(alice)
    for url in (reverse("lead", args=[lead.pk]), reverse("desk")):
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<b>Evil</b>" not in body


def test_it_orders_the_desk_by_next_task_due_then_newest(client, alice):
    now = timezone.now()
    old = make_lead(owner=alice, at=now - timedelta(days=3))
    new = make_lead(owner=alice, at=now - timedelta(days=1))
    due = make_lead(owner=alice, at=now - timedelta(days=5))
    Task.objects.create(lead=due, assignee=alice, title="Call", due_at=now + timedelta(hours=1))
    client.force_login(alice)
    listing = client.get(reverse("desk"), {"tab": "all"})
    assert list(listing.context["leads"]) == [due, new, old]


def test_it_renders_the_desk_in_a_fixed_number_of_queries(
    client, alice, django_assert_max_num_queries
):
    for _ in range(12):
        lead = make_lead(owner=alice)
        Task.objects.create(lead=lead, title="Call", due_at=timezone.now())
    client.force_login(alice)
    client.get(reverse("desk"), {"tab": "all"})  # warm the session and the user's roles
    # Six, and the header's count of what waits for her (hot leads, answers).
    with django_assert_max_num_queries(8):
        response = client.get(reverse("desk"), {"tab": "all"})
    assert len(response.context["leads"]) == 12


def test_it_pages_the_desk_without_counting(client, alice, monkeypatch):
    monkeypatch.setattr("leadgate.workspace.views.DESK_PAGE_SIZE", 2)
    for _ in range(3):
        make_lead(owner=alice)
    client.force_login(alice)
    first = client.get(reverse("desk"), {"tab": "all"})
    second = client.get(reverse("desk"), {"tab": "all", "page": 2})
    assert (len(first.context["leads"]), first.context["has_next"]) == (2, True)
    assert (len(second.context["leads"]), second.context["has_next"]) == (1, False)


def test_it_counts_the_funnel_from_the_database(client, alice, sam, mia):
    now = timezone.now()
    make_lead(owner=alice)  # inquiry
    working = make_lead(owner=alice)
    advance(working, "working", by=alice)
    rejected = make_lead(owner=alice)
    hand_off(rejected, alice, sam)
    advance(rejected, "rejected", by=sam, reason="no budget")
    make_lead(owner=alice, at=now - timedelta(days=800))  # outside the 12 months
    client.force_login(mia)
    response = client.get(reverse("funnel"))

    by_stage = dict(response.context["by_stage"])
    for stage in Stage:
        assert by_stage[stage] == Lead.objects.filter(stage=stage).count()
    assert response.context["total"] == Lead.objects.count() == 4

    this_month = response.context["cohorts"][-1]
    assert this_month["month"].month == timezone.localtime(now).month
    reached = dict(zip(FUNNEL, this_month["reached"], strict=True))
    # inquiry: 3 leads; mql: counted up to the furthest stage (working, qualified);
    # the rejected lead still reached qualified.
    assert reached == {
        Stage.INQUIRY: 3, Stage.MQL: 2, Stage.WORKING: 2, Stage.QUALIFIED: 1,
        Stage.ACCEPTED: 0, Stage.OPPORTUNITY: 0, Stage.WON: 0,
    }
    assert sum(row["created"] for row in response.context["cohorts"]) == 3


@pytest.mark.parametrize("path", ["leadgate/htmx.min.js", "leadgate/leadgate.css"])
def test_it_finds_the_vendored_static_files(path):
    from django.contrib.staticfiles import finders

    assert finders.find(path), (
        f"{path} is not found by the static files finders: settings.py needs "
        'STATICFILES_DIRS = [BASE_DIR / "static"] (leadgate/ is not an app)'
    )


def test_it_summarises_the_dossier_in_the_inbox(client, alice, sam):
    lead = make_lead(owner=alice)
    qualify_sales_ready(lead, alice)
    send(lead, by=alice, to_user=sam,
         dossier={"need": "<i>CRM</i> replacement", "budget": "50k", "items": ["a", "b"]})
    client.force_login(sam)
    body = client.get(reverse("inbox")).content.decode()
    assert "&lt;i&gt;CRM&lt;/i&gt; replacement" in body
    assert "50k" in body
    assert "a, b" in body


def test_it_shows_times_in_the_viewer_time_zone(client, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    lead = make_lead(owner=alice, at=timezone.make_aware(datetime(2026, 1, 2, 23, 30), UTC))
    client.force_login(alice)
    body = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert "Jan 3, 2026 08:30" in body


def test_it_shows_what_normalization_flagged_on_the_lead_page(client, alice):
    lead = make_lead(owner=alice, email="info@gmail.com", phone="12")
    Lead.objects.filter(pk=lead.pk).update(email_free=True, email_role=True, phone_invalid=True)
    client.force_login(alice)
    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert "free mail" in page
    assert "shared mailbox" in page
    assert 'class="badge flag-bad" title="not a valid number: kept as given">invalid' in page
