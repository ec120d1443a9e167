"""The header's counts: a qualifier's hot leads and answered leads due, a
rep's handoffs waiting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leadgate.leads.models import Task
from leadgate.routing.models import SlaClock, SlaPolicy
from tests.factories import hand_off, make_lead

pytestmark = pytest.mark.django_db


def running_clock(lead):
    policy = SlaPolicy.objects.get(segment="hot_inbound")
    return SlaClock.objects.create(lead=lead, policy=policy, owner=lead.owner,
                                   due_at=timezone.now() + timedelta(minutes=5))


def test_it_counts_a_qualifiers_hot_leads_and_answers_due(client, alice, bob):
    running_clock(make_lead(owner=alice))
    running_clock(make_lead(owner=bob))  # bob's, not alice's
    answered = make_lead(owner=alice)
    Task.objects.create(lead=answered, assignee=alice, kind=Task.Kind.CAME_BACK,
                        title="Came back", due_at=timezone.now() - timedelta(minutes=1))
    Task.objects.create(lead=answered, assignee=alice, kind=Task.Kind.FOLLOW_UP,
                        title="Call", due_at=timezone.now() - timedelta(minutes=1))
    client.force_login(alice)
    page = client.get("/desk/").content.decode()
    assert 'id="desk-count" title="1 hot lead waiting, 1 answered and due">2<' in page


def test_it_shows_no_desk_count_when_nothing_waits(client, alice):
    client.force_login(alice)
    assert 'id="desk-count"' not in client.get("/desk/").content.decode()


def test_it_counts_the_handoffs_waiting_for_a_rep(client, alice, sam):
    hand_off(make_lead(owner=alice), alice, sam)
    client.force_login(sam)
    page = client.get("/sales/").content.decode()
    assert 'id="inbox-count" title="1 handoff waiting for your answer">1<' in page
