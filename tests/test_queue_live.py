"""The desk's server-sent events: /desk/events streams a `queue` event for each
new event of a lead the user owns or owned until then (leads.events), resumes
after Last-Event-ID, and ends in time."""

import pytest
from django.urls import include, path, reverse

import leadgate.urls
from leadgate.leads.events import format_position, record
from leadgate.leads.models import Event
from leadgate.workspace import queue_views
from tests.factories import make_lead

urlpatterns = [path("", include("leadgate.workspace.queue_urls")), *leadgate.urls.urlpatterns]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class FakeClock:
    """Stands in for time.monotonic and time.sleep: sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1


@pytest.fixture
def clock(monkeypatch, settings):
    fake = FakeClock()
    monkeypatch.setattr(queue_views, "_clock", fake)
    monkeypatch.setattr(queue_views, "_sleep", fake.sleep)
    # Slots of this test's streams only: a browser test's live server runs in
    # this process, and a desk page it opened may still hold a stream of a
    # user whose id this test's user now has.
    monkeypatch.setattr(queue_views, "SLOTS", queue_views.StreamSlots())
    settings.LEADGATE_QUEUE_STREAM_SECONDS = 25
    settings.LEADGATE_QUEUE_POLL_SECONDS = 0.2
    return fake


def open_stream(client, user, **headers):
    client.force_login(user)
    response = client.get(reverse("desk-events"), **headers)
    assert response["Content-Type"] == "text/event-stream"
    return iter(response.streaming_content)


def chunks_until(stream, marker):
    seen = []
    for chunk in stream:
        seen.append(chunk.decode())
        if marker in seen[-1]:
            return seen
    raise AssertionError(f"stream ended without {marker!r}: {seen}")


def test_it_streams_an_event_when_the_users_queue_changes(client, alice, bob, clock):
    stream = open_stream(client, alice)
    assert next(stream).decode().startswith("retry: ")
    lead = make_lead(owner=alice)
    record("lead.assigned", lead, owner=bob)  # someone else's: not sent
    record("lead.assigned", lead, owner=alice)
    event = chunks_until(stream, "event: queue")[-1]
    mine = Event.objects.latest("id")
    assert event == (f"id: {format_position(mine.position)}\nevent: queue\n"
                     f'data: [{{"kind": "lead.assigned", "lead": {lead.pk}}}]\n\n')


def test_it_streams_an_event_when_a_lead_leaves_the_users_queue(client, alice, bob, clock):
    stream = open_stream(client, alice)
    lead = make_lead(owner=bob)
    record("lead.assigned", lead, owner=bob, previous_owner=alice.pk)
    assert f'"lead": {lead.pk}' in chunks_until(stream, "event: queue")[-1]


def test_it_starts_after_the_last_event_id(client, alice, clock):
    lead = make_lead(owner=alice)
    record("lead.assigned", lead)
    seen = Event.objects.get()
    record("claim.taken", lead)
    stream = open_stream(client, alice, HTTP_LAST_EVENT_ID=format_position(seen.position))
    event = chunks_until(stream, "event: queue")[-1]
    assert '"claim.taken"' in event and '"lead.assigned"' not in event


def test_it_starts_after_the_position_the_page_was_rendered_with(client, alice, clock):
    record("lead.assigned", make_lead(owner=alice))
    client.force_login(alice)
    response = client.get(reverse("desk-events"), {"after": "0.0"})
    assert '"lead.assigned"' in chunks_until(iter(response.streaming_content),
                                             "event: queue")[-1]


def test_it_skips_events_older_than_the_connection_without_an_id(client, alice, clock):
    record("lead.assigned", make_lead(owner=alice))
    body = "".join(chunk.decode() for chunk in open_stream(client, alice))
    assert "event: queue" not in body


def test_it_ends_after_its_lifetime_with_a_retry_hint_and_keeps_alive(client, alice, clock):
    body = [chunk.decode() for chunk in open_stream(client, alice)]
    assert body[-1].startswith("retry: 500\n")
    assert 24.9 <= clock.now - 1000.0 <= 25.3
    assert body.count(": keep-alive\n\n") == 2  # every 10 s of silence
    assert clock.sleeps == 125  # one indexed query per 0.2 s


def test_it_refuses_the_stream_to_a_sales_rep(client, sam):
    client.force_login(sam)
    assert client.get(reverse("desk-events")).status_code == 403


def open_streams(user, count):
    """`count` streams of the user, each past its first chunk (holding its slot)."""
    streams = [queue_views.limited_stream(user.pk, (0, 0)) for _ in range(count)]
    return streams, [next(stream) for stream in streams]


def test_it_answers_busy_beyond_the_streams_a_user_may_hold(alice, clock, settings):
    settings.LEADGATE_QUEUE_STREAMS_PER_USER = 2
    held, firsts = open_streams(alice, 2)
    assert all(chunk.startswith("retry: 500") for chunk in firsts)
    _, (third,) = open_streams(alice, 1)
    assert "event: busy" in third and f"retry: {queue_views.BUSY_RETRY_MS}" in third
    for stream in held:
        stream.close()


def test_it_gives_the_slot_back_when_a_stream_closes(alice, clock, settings):
    settings.LEADGATE_QUEUE_STREAMS_PER_USER = 1
    (first,), _ = open_streams(alice, 1)
    first.close()  # the client went: the server closes the generator
    (again,), (chunk,) = open_streams(alice, 1)
    assert "event: busy" not in chunk
    again.close()


def test_it_keeps_the_process_cap_across_users(alice, bob, clock, settings):
    settings.LEADGATE_QUEUE_STREAMS_MAX = 1
    (held,), _ = open_streams(alice, 1)
    _, (chunk,) = open_streams(bob, 1)
    assert "event: busy" in chunk
    held.close()


def test_it_serves_the_busy_answer_at_the_stream_url(client, alice, clock, settings):
    settings.LEADGATE_QUEUE_STREAMS_PER_USER = 0
    stream = open_stream(client, alice)
    assert "event: busy" in next(stream).decode()
