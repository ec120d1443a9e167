"""The webhook pages under /settings/webhooks/: admins and managers only; create
with the secret shown once, edit, rotate, delete, test-send, the delivery log."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from leadgate.api import webhooks
from leadgate.api.models import WebhookDelivery, WebhookSubscription
from tests.factories import make_user

pytestmark = pytest.mark.django_db


class Receiver(BaseHTTPRequestHandler):
    status = 204

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(Receiver.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver_url(settings):
    settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE = True
    Receiver.status = 204
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("ada", "admin"))
    return client


def subscribe(url="https://crm.example/hook", **fields):
    return WebhookSubscription.objects.create(url=url, events=["lead.won"], **fields)


@pytest.mark.parametrize("role", ["qualifier", "sales", "marketing"])
def test_it_forbids_the_pages_to_everyone_but_admins_and_managers(client, role):
    client.force_login(make_user("someone", role))
    subscription = subscribe()
    assert client.get(reverse("webhooks")).status_code == 403
    assert client.get(reverse("webhook", args=[subscription.pk])).status_code == 403
    assert client.post(reverse("webhook-test", args=[subscription.pk])).status_code == 403
    assert client.post(reverse("webhook-delete", args=[subscription.pk])).status_code == 403
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_it_lets_a_manager_see_the_list(client, mia):
    client.force_login(mia)
    subscribe(url="https://crm.example/leadgate")
    response = client.get(reverse("webhooks"))
    assert response.status_code == 200
    assert b"https://crm.example/leadgate" in response.content


def test_it_creates_a_subscription_and_shows_its_secret_once(admin_client, receiver_url):
    response = admin_client.post(reverse("webhook-new"), {
        "url": receiver_url, "events": ["lead.won", "lead.created"], "active": "on"})
    subscription = WebhookSubscription.objects.get()
    assert response.url == reverse("webhook", args=[subscription.pk])
    assert subscription.events == ["lead.created", "lead.won"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in admin_client.get(response.url).content.decode()
    assert subscription.secret not in admin_client.get(response.url).content.decode()


def test_it_refuses_a_private_url_when_saving(admin_client, settings):
    settings.LEADGATE_WEBHOOK_ALLOW_PRIVATE = False
    response = admin_client.post(reverse("webhook-new"), {
        "url": "http://127.0.0.1:8000/hook", "events": ["lead.won"], "active": "on"})
    assert response.status_code == 400
    assert "resolves to a loopback address" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_it_refuses_an_ftp_url_when_saving(admin_client):
    response = admin_client.post(reverse("webhook-new"), {
        "url": "ftp://crm.example/hook", "events": ["lead.won"], "active": "on"})
    assert response.status_code == 400
    assert not WebhookSubscription.objects.exists()


def test_it_requires_an_event(admin_client):
    response = admin_client.post(reverse("webhook-new"), {
        "url": "https://crm.example/hook", "active": "on"})
    assert response.status_code == 400
    assert not WebhookSubscription.objects.exists()


def test_it_switches_a_disabled_subscription_back_on_with_a_fresh_count(admin_client):
    subscription = subscribe(url="https://93.184.215.14/hook", active=False,
                             consecutive_failures=20, disabled_at="2026-01-01T00:00Z",
                             disabled_reason="HTTP 500")
    response = admin_client.post(reverse("webhook", args=[subscription.pk]), {
        "url": subscription.url, "events": ["lead.lost"], "active": "on"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures, subscription.disabled_at,
            subscription.events) == (True, 0, None, ["lead.lost"])


def test_it_shows_why_a_subscription_was_switched_off(admin_client):
    subscription = subscribe(active=False, disabled_at="2026-01-01T00:00Z",
                             disabled_reason="Switched off after 20 failed delivery attempts")
    response = admin_client.get(reverse("webhook", args=[subscription.pk]))
    assert "Switched off after 20 failed delivery attempts" in response.content.decode()


def test_it_rotates_the_secret_and_shows_the_new_one(admin_client):
    subscription = subscribe()
    old = subscription.secret
    response = admin_client.post(reverse("webhook-rotate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in admin_client.get(response.url).content.decode()


def test_it_deletes_a_subscription_with_its_log(admin_client):
    subscription = subscribe()
    webhooks.emit("lead.won", {"lead": {"id": 1}})
    admin_client.post(reverse("webhook-delete", args=[subscription.pk]))
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_it_sends_a_test_ping_and_shows_the_answer(admin_client, receiver_url):
    subscription = subscribe(url=receiver_url)
    response = admin_client.post(reverse("webhook-test", args=[subscription.pk]), follow=True)
    assert "Test ping delivered: HTTP 204." in response.content.decode()
    delivery = subscription.deliveries.get()
    assert (delivery.event, delivery.status) == ("ping", "delivered")


def test_it_shows_a_failed_test_ping(admin_client, receiver_url):
    Receiver.status = 401
    subscription = subscribe(url=receiver_url)
    response = admin_client.post(reverse("webhook-test", args=[subscription.pk]), follow=True)
    assert "Test ping failed: HTTP 401 Unauthorized" in response.content.decode()
    assert subscription.deliveries.get().next_attempt_at is None  # a test is not retried


def test_it_pages_the_delivery_log_newest_first(admin_client):
    subscription = subscribe()
    for n in range(30):
        webhooks.emit("lead.won", {"lead": {"id": n}})
    newest = subscription.deliveries.order_by("-pk").first()
    oldest = subscription.deliveries.order_by("pk").first()
    first = admin_client.get(reverse("webhook", args=[subscription.pk])).content.decode()
    second = admin_client.get(reverse("webhook", args=[subscription.pk]) + "?page=2")
    assert f'id="delivery-{newest.pk}"' in first
    assert f'id="delivery-{oldest.pk}"' not in first
    assert f'id="delivery-{oldest.pk}"' in second.content.decode()
    assert "page 1 of 2" in first
