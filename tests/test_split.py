"""Undoing an automatic match: an inquiry that joined a lead by email or phone
but is someone else becomes a lead of its own."""

import pytest
from django.urls import reverse

from leadgate.intake.merge import MergeError, split_inquiry
from leadgate.intake.pipeline import receive
from leadgate.leads.lifecycle import Stage
from leadgate.leads.models import Lead
from leadgate.leads.transitions import advance

pytestmark = pytest.mark.django_db


def joined_pair(settings):
    """Two people at one switchboard number, the second without an email, so
    intake joins them by phone."""
    settings.LEADGATE_DEFAULT_PHONE_REGION = "US"
    first = receive({"email": "ada@acme.example", "first_name": "Ada", "last_name": "Lovelace",
                     "phone": "+1 202 456 1111"}, channel="form")
    second = receive({"first_name": "Charles", "last_name": "Babbage", "phone": "2024561111",
                      "company": "Difference Engines"}, channel="import")
    assert second.lead.pk == first.lead.pk
    return first.lead, second.inquiry


def test_it_makes_the_inquiry_a_lead_of_its_own(settings, alice):
    lead, inquiry = joined_pair(settings)
    new = split_inquiry(inquiry, by=alice, reason="another person at that number")
    inquiry.refresh_from_db()
    assert (new.first_name, new.last_name, new.company_name) == (
        "Charles", "Babbage", "Difference Engines",
    )
    assert (inquiry.lead_id, inquiry.matched_by) == (new.pk, "new")
    assert lead.inquiries.count() == 1
    first = new.history().get()
    assert (first.to_stage, first.by) == ("inquiry", alice)
    assert first.reason == f"split off lead {lead.pk}: another person at that number"


def test_it_leaves_the_first_lead_where_it_was(settings, alice):
    lead, inquiry = joined_pair(settings)
    advance(lead, Stage.WORKING, by=alice)
    split_inquiry(inquiry, by=alice)
    lead.refresh_from_db()
    assert lead.stage == "working"


def test_it_refuses_to_split_an_inquiry_that_made_its_lead(settings, alice):
    lead, _ = joined_pair(settings)
    first = lead.inquiries.order_by("pk").first()
    with pytest.raises(MergeError, match="made its lead"):
        split_inquiry(first, by=alice)
    assert Lead.objects.count() == 1


def test_it_splits_from_the_lead_page(settings, client, alice):
    lead, inquiry = joined_pair(settings)
    Lead.objects.filter(pk=lead.pk).update(owner=alice, team=alice.team)
    client.force_login(alice)
    page = client.get(reverse("lead", args=[lead.pk])).content.decode()
    assert "joined this lead by the same phone" in page
    response = client.post(reverse("inquiry-split", args=[lead.pk, inquiry.pk]))
    new = Lead.objects.exclude(pk=lead.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("lead", args=[new.pk])
    assert (new.owner, new.team) == (alice, alice.team)


def test_it_hides_the_split_from_an_outsider(settings, client, alice, charlie):
    lead, inquiry = joined_pair(settings)
    Lead.objects.filter(pk=lead.pk).update(owner=alice, team=alice.team)
    client.force_login(charlie)
    response = client.post(reverse("inquiry-split", args=[lead.pk, inquiry.pk]))
    assert response.status_code == 404
    assert Lead.objects.count() == 1
