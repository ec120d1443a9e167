"""The alerts page groups open alerts per lead and kind (one row with a count)
and resolves the selected rows at once, for managers only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadgate.routing.models import Alert
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

RESOLVE = reverse("routing-alerts-resolve")


def breach(lead, minutes_ago=0, kind="sla_breach"):
    return Alert.objects.create(kind=kind, lead=lead, message=f"breach {minutes_ago}",
                                created_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_it_shows_one_row_per_lead_and_kind_with_a_count(client, alice, mia):
    lead = make_lead(owner=alice)
    for minutes in (40, 30, 20, 10):
        breach(lead, minutes)
    breach(lead, 5, kind="no_next_step")
    client.force_login(mia)
    groups = client.get(reverse("routing-alerts")).context["groups"]
    assert [(group.latest.kind, group.count) for group in groups] == [
        ("no_next_step", 1), ("sla_breach", 4)]
    assert groups[1].latest.message == "breach 10"


def test_it_resolves_every_alert_of_the_selected_rows(client, alice, mia):
    first, second, other = make_lead(owner=alice), make_lead(owner=alice), make_lead(owner=alice)
    for lead in (first, first, second, other):
        breach(lead)
    lone = Alert.objects.create(kind="webhook_disabled", message="hook off")
    client.force_login(mia)
    client.post(RESOLVE, {"group": [f"lead:{first.pk}:sla_breach",
                                    f"lead:{second.pk}:sla_breach", f"alert:{lone.pk}"]})
    assert list(Alert.objects.filter(resolved_at__isnull=True).values_list("lead", flat=True)) == [
        other.pk]
    assert Alert.objects.filter(resolved_by=mia).count() == 4


def test_it_refuses_bulk_resolve_to_a_qualifier(client, alice):
    alert = breach(make_lead(owner=alice))
    client.force_login(alice)
    assert client.post(RESOLVE, {"group": [f"lead:{alert.lead_id}:sla_breach"]}).status_code == 403
    alert.refresh_from_db()
    assert alert.resolved_at is None


def test_it_counts_the_rows_of_the_alerts_page_in_the_nav(client, alice, mia):
    lead = make_lead(owner=alice)
    for _ in range(4):
        breach(lead)
    Alert.objects.create(kind="webhook_disabled", message="hook off")
    Alert.objects.create(kind="webhook_disabled", message="another hook off")
    client.force_login(mia)
    assert 'title="open alerts">3</span>' in client.get(reverse("routing-alerts")).content.decode()
