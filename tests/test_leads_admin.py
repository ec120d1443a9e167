"""The leads admin: the stage is read-only; a move goes through advance(), and
`qualified` is refused there (it is the handoff's)."""

import pytest
from django.urls import reverse

from leadgate.leads.models import Handoff, StageChange
from leadgate.leads.transitions import advance
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(alice)
    return client


def change(admin_client, lead, **fields):
    """POST the lead's change form: its own fields as they are, plus `fields`."""
    data = {"email": lead.email, "first_name": lead.first_name, "last_name": lead.last_name,
            "created_at_0": f"{lead.created_at:%Y-%m-%d}",
            "created_at_1": f"{lead.created_at:%H:%M:%S}", **fields}
    return admin_client.post(reverse("admin:leads_lead_change", args=[lead.pk]), data)


def test_it_refuses_the_qualified_move_in_the_admin(admin_client, alice):
    lead = make_lead(owner=alice)
    advance(lead, "working", by=alice)
    response = change(admin_client, lead, move_to="qualified")
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["move_to"]
    assert "sales-ready verdict" in message and "Hand off" in message
    lead.refresh_from_db()
    assert (lead.stage, Handoff.objects.exists()) == ("working", False)


def test_it_moves_a_lead_in_the_admin_through_the_lifecycle(admin_client, alice):
    lead = make_lead(owner=alice)
    response = change(admin_client, lead, move_to="working")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == "working"
    assert StageChange.objects.filter(lead=lead, to_stage="working", by=alice).exists()


def test_it_ignores_a_stage_posted_to_the_admin(admin_client, alice):
    lead = make_lead(owner=alice)
    advance(lead, "working", by=alice)
    response = change(admin_client, lead, stage="qualified", first_name="Grace")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.first_name, lead.stage) == ("Grace", "working")
