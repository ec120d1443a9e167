"""A personal-email step: drafted by the cadence, reviewed and sent by the
lead's qualifier through the outbox (to the SMTP server), logged as their
touch, its task done; nobody else sends it."""

from datetime import UTC, datetime

import pytest

from leadgate.leads.models import Task, Touch
from leadgate.mail.suppression import suppress
from leadgate.nurture import engine
from leadgate.nurture.models import Step, StepRun
from tests.factories import make_lead
from tests.nurture_factories import make_cadence, task_step
from tests.outbox import run_email_tasks

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def drafted(alice, time_machine):
    time_machine.move_to(T0, tick=False)
    cadence = make_cadence(task_step(Step.Kind.PERSONAL_EMAIL,
                                     "A question for {{ lead.first_name }}"))
    lead = make_lead(owner=alice, first_name="Grace")
    engine.enroll(lead, trigger="long_term", cadence=cadence)
    engine.run_due()
    return StepRun.objects.get(enrollment__lead=lead)


def test_it_shows_the_draft_filled_in_for_the_lead(client, alice, drafted):
    client.force_login(alice)
    page = client.get(f"/nurture/emails/{drafted.pk}/")
    assert page.status_code == 200
    assert 'value="A question for Grace"' in page.content.decode()


def test_it_sends_the_reviewed_email_as_the_qualifiers_touch(client, alice, drafted, smtp):
    client.force_login(alice)
    answer = client.post(f"/nurture/emails/{drafted.pk}/",
                         {"subject": "A quick question", "body": "Hi Grace, still on track?"})
    assert answer.status_code == 302
    run_email_tasks()
    [(recipients, message)] = smtp.messages
    assert recipients == [drafted.enrollment.lead.email]
    assert "Subject: A quick question" in message
    touch = Touch.objects.get(lead=drafted.enrollment.lead, channel="email")
    assert (touch.actor, touch.disposition) == (alice, "sent")
    assert Task.objects.get(pk=drafted.task_id).done_at is not None


def test_it_refuses_an_empty_subject_by_name(client, alice, drafted):
    client.force_login(alice)
    answer = client.post(f"/nurture/emails/{drafted.pk}/", {"subject": " ", "body": "Hi"})
    assert answer.status_code == 400
    assert "write a subject" in answer.content.decode()
    assert StepRun.objects.get(pk=drafted.pk).email_id is None


def test_it_sends_it_once(client, alice, drafted):
    client.force_login(alice)
    for _ in range(2):
        client.post(f"/nurture/emails/{drafted.pk}/", {"subject": "Hi", "body": "Hello"})
    assert drafted.enrollment.lead.emails.count() == 1


def test_it_never_emails_a_suppressed_lead(client, alice, drafted, smtp):
    suppress(drafted.enrollment.lead.email, "unsubscribed")
    client.force_login(alice)
    client.post(f"/nurture/emails/{drafted.pk}/", {"subject": "Hi", "body": "Hello"})
    run_email_tasks()
    assert smtp.messages == []
    assert drafted.enrollment.lead.emails.get().status == "suppressed"


def test_it_hides_the_email_from_a_qualifier_of_another_team(client, charlie, drafted):
    client.force_login(charlie)
    assert client.get(f"/nurture/emails/{drafted.pk}/").status_code == 404


def test_it_does_not_let_a_teammate_send_it(client, bob, drafted):
    client.force_login(bob)
    assert client.post(f"/nurture/emails/{drafted.pk}/",
                       {"subject": "Hi", "body": "Hello"}).status_code == 404


def test_it_offers_the_draft_on_the_lead_page(client, alice, drafted):
    client.force_login(alice)
    page = client.get(f"/leads/{drafted.enrollment.lead_id}/").content.decode()
    assert f'href="/nurture/emails/{drafted.pk}/">Review and send' in page


def test_it_stops_offering_the_draft_once_sent(client, alice, drafted):
    client.force_login(alice)
    client.post(f"/nurture/emails/{drafted.pk}/", {"subject": "Hi", "body": "Hello"})
    page = client.get(f"/leads/{drafted.enrollment.lead_id}/").content.decode()
    assert "Review and send" not in page
