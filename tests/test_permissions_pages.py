"""Who may open which page: visibility by owner, team and handoff; roles per screen."""

import pytest
from django.urls import reverse

from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import StageChange
from tests.factories import hand_off, make_lead

pytestmark = pytest.mark.django_db


def test_it_shows_alice_her_lead(client, alice):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.get(reverse("lead", args=[lead.pk]))
    assert response.status_code == 200
    assert lead.email in response.content.decode()


def test_it_shows_a_lead_to_a_teammate(client, alice, bob):
    lead = make_lead(owner=alice)
    client.force_login(bob)
    assert client.get(reverse("lead", args=[lead.pk])).status_code == 200


def test_it_hides_a_lead_from_an_outsider(client, alice, charlie):
    lead = make_lead(owner=alice)
    client.force_login(charlie)
    assert client.get(reverse("lead", args=[lead.pk])).status_code == 404


def test_it_refuses_a_stage_move_by_an_outsider_with_404(client, alice, charlie):
    lead = make_lead(owner=alice)
    client.force_login(charlie)
    response = client.post(reverse("lead-stage", args=[lead.pk]), {"target": "working"})
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.stage == Stage.INQUIRY
    assert not StageChange.objects.filter(lead=lead, to_stage="working").exists()


def test_it_shows_a_sales_rep_only_leads_handed_to_them(client, alice, sam):
    handed = make_lead(owner=alice)
    hand_off(handed, alice, sam)
    other = make_lead(owner=alice)
    client.force_login(sam)
    assert client.get(reverse("lead", args=[handed.pk])).status_code == 200
    assert client.get(reverse("lead", args=[other.pk])).status_code == 404


def test_it_lists_only_own_leads_on_the_desk(client, alice, bob):
    mine = make_lead(owner=alice, first_name="Mine")
    theirs = make_lead(owner=bob, first_name="Theirs")
    client.force_login(alice)
    listing = client.get(reverse("desk"), {"tab": "all"})
    assert listing.status_code == 200
    assert list(listing.context["leads"]) == [mine]
    queue = client.get(reverse("desk"))
    assert [item.lead for item in queue.context["items"]] == [mine]
    assert theirs.first_name not in listing.content.decode() + queue.content.decode()


def test_it_forbids_the_inbox_to_a_qualifier(client, alice):
    client.force_login(alice)
    assert client.get(reverse("inbox")).status_code == 403


def test_it_forbids_the_funnel_to_a_qualifier(client, alice):
    client.force_login(alice)
    assert client.get(reverse("funnel")).status_code == 403


def test_it_shows_the_funnel_to_a_manager(client, mia):
    client.force_login(mia)
    assert client.get(reverse("funnel")).status_code == 200


@pytest.mark.parametrize("name", ["desk", "inbox", "funnel", "home"])
def test_it_redirects_anonymous_visitors_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_redirects_an_anonymous_lead_page_to_login(client, alice):
    lead = make_lead(owner=alice)
    response = client.get(reverse("lead", args=[lead.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("user", "screen"), [("alice", "desk"), ("sam", "inbox"), ("mia", "dashboard")]
)
def test_it_sends_each_role_home_to_its_screen(client, request, user, screen):
    client.force_login(request.getfixturevalue(user))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(screen)
