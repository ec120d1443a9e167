"""Log-in throttling (django-axes, on as in production): repeated failures lock
out a username from one address, with a clear 429 page, until the cool-off has
passed or an admin unlocks it. And API keys: an unknown prefix answers exactly
as a wrong secret does."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from leadgate.api import models as api_models
from leadgate.api.models import ApiKey
from leadgate.leads.lockout import cool_off_minutes
from leadgate.leads.models import User
from tests.api_helpers import api_get
from tests.factories import PASSWORD

HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def log_in(client: Client, username: str, password: str = PASSWORD, address: str = HOME,
           path: str = "/login/", **headers):
    return client.post(path, {"username": username, "password": password},
                       REMOTE_ADDR=address, **headers)


def fail(client: Client, username: str, times: int, address: str = HOME) -> None:
    for _ in range(times):
        log_in(client, username, "wrong-password", address)


def lock_out(client: Client, username: str, address: str = HOME) -> None:
    fail(client, username, settings.AXES_FAILURE_LIMIT, address)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def now(time_machine):
    time_machine.move_to(T0, tick=False)
    return T0


def test_it_lets_the_right_password_in_just_below_the_failure_limit(client, mia):
    fail(client, "mia", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "mia").status_code == 302
    assert logged_in(client)


def test_it_locks_out_after_the_failure_limit_even_with_the_right_password(client, mia):
    lock_out(client, "mia")
    assert log_in(client, "mia").status_code == 429
    assert not logged_in(client)


def test_it_shows_a_clear_message_with_429(client, mia):
    lock_out(client, "mia")
    response = log_in(client, "mia")
    minutes = cool_off_minutes()
    assert minutes
    assert response.status_code == 429
    assert response["Retry-After"] == str(minutes * 60)
    page = response.content.decode()
    assert "Too many failed log-ins for this user from this address" in page
    assert f"try again in {minutes} minute" in page
    assert "or ask an admin to unlock it" in page
    assert '<a class="brand"' in page  # our own page, in the site's frame


def test_it_locks_out_a_client_whose_address_is_unknown(client, mia):
    # Without an address the failures still add up (PostgreSQL keeps "" as NULL).
    lock_out(client, "mia", address="")
    assert log_in(client, "mia", address="").status_code == 429


def test_it_keeps_another_address_able_to_log_in(client, mia):
    lock_out(client, "mia", HOME)
    assert log_in(client, "mia", address=ELSEWHERE).status_code == 302


def test_it_counts_failures_per_user_so_another_user_logs_in(client, mia, alice):
    lock_out(client, "mia", HOME)
    assert log_in(client, "alice", address=HOME).status_code == 302


def test_it_keeps_the_lockout_until_the_cool_off_has_passed(client, mia, now, time_machine):
    lock_out(client, "mia")
    time_machine.move_to(now + settings.AXES_COOLOFF_TIME - timedelta(seconds=1), tick=False)
    assert log_in(client, "mia").status_code == 429


def test_it_lets_the_user_in_again_after_the_cool_off(client, mia, now, time_machine):
    lock_out(client, "mia")
    time_machine.move_to(now + settings.AXES_COOLOFF_TIME + timedelta(seconds=1), tick=False)
    assert log_in(client, "mia").status_code == 302


def test_it_restarts_the_cool_off_with_each_attempt_while_locked_out(client, mia, now,
                                                                     time_machine):
    cool_off = settings.AXES_COOLOFF_TIME
    lock_out(client, "mia")
    time_machine.move_to(now + cool_off * 0.75, tick=False)
    log_in(client, "mia")
    # Past the first lockout's end, within the cool-off of the attempt above.
    time_machine.move_to(now + cool_off * 1.25, tick=False)
    assert log_in(client, "mia").status_code == 429


def test_it_unlocks_when_an_admin_resets_the_lockout(client, mia):
    lock_out(client, "mia")
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    listed = admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "mia" in listed and "Locked Out" in listed
    attempt = AccessAttempt.objects.get(username="mia")
    deleted = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
                         {"post": "yes"})
    assert deleted.status_code == 302
    assert log_in(client, "mia").status_code == 302


def test_it_unlocks_with_the_reset_username_command(client, mia):
    lock_out(client, "mia")
    out = StringIO()
    call_command("axes_reset_username", "mia", stdout=out)
    assert "1 attempts removed" in out.getvalue()
    assert log_in(client, "mia").status_code == 302


def test_it_locks_the_admin_log_in_too(client, mia):
    lock_out(client, "mia")
    assert log_in(client, "mia", path="/admin/login/").status_code == 429


def test_it_does_not_let_a_forged_x_forwarded_for_dodge_the_lockout(client, mia):
    lock_out(client, "mia", HOME)
    forged = log_in(client, "mia", address=HOME, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert forged.status_code == 429


def test_it_counts_by_our_proxys_entry_when_told_to_trust_it(client, mia, settings):
    settings.LEADGATE_TRUST_X_FORWARDED_FOR = True
    proxy = "10.0.0.254"
    # The client claims ELSEWHERE; our proxy appends the address it saw, HOME.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "mia", "wrong-password", address=proxy,
               HTTP_X_FORWARDED_FOR=f"{ELSEWHERE}, {HOME}")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [HOME]
    assert log_in(client, "mia", address=proxy, HTTP_X_FORWARDED_FOR=HOME).status_code == 429


def test_it_answers_an_unknown_key_prefix_exactly_as_a_wrong_secret(alice):
    prefix = ApiKey.issue(name="k", scopes=["read"], user=alice)[0].prefix
    wrong_secret = api_get(f"lg_{prefix}_not-the-secret", "/leads")
    # Issued prefixes are hex: this one cannot exist.
    unknown_prefix = api_get("lg_zzzzzzzz_not-the-secret", "/leads")
    assert wrong_secret.status_code == unknown_prefix.status_code == 401
    assert wrong_secret.content == unknown_prefix.content
    assert dict(wrong_secret.items()) == dict(unknown_prefix.items())


def test_it_hashes_and_compares_an_unknown_key_prefix_as_a_wrong_secret(alice, monkeypatch):
    prefix = ApiKey.issue(name="k", scopes=["read"], user=alice)[0].prefix
    compared: list[tuple[int, int]] = []
    real_compare = api_models.hmac.compare_digest

    def counting_compare(a, b):
        compared.append((len(a), len(b)))
        return real_compare(a, b)

    monkeypatch.setattr(api_models.hmac, "compare_digest", counting_compare)
    assert ApiKey.authenticate(f"lg_{prefix}_not-the-secret") is None
    assert ApiKey.authenticate("lg_zzzzzzzz_not-the-secret") is None
    assert compared == [(64, 64), (64, 64)]
