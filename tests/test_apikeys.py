"""API keys: stored hashed, checked strictly, managed with `leadgate apikey`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leadgate.api.models import ApiKey
from tests.api_helpers import api_get, api_post, bearer, make_key
from tests.factories import make_lead


def run_apikey(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_stores_only_a_hash_of_the_key(alice):
    key = make_key(alice)
    row = ApiKey.objects.get()
    stored = [str(value) for value in ApiKey.objects.values_list().get()]
    assert not any(key in value or value == key.split("_", 2)[2] for value in stored)
    assert len(row.key_hash) == 64 and row.key_hash != key


def test_it_answers_401_without_an_authorization_header(alice):
    response = api_get(None, "/leads")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_it_answers_401_for_an_unknown_key(alice):
    make_key(alice)
    assert api_get("lg_deadbeef_not-a-real-secret", "/leads").status_code == 401


def test_it_answers_401_for_a_wrong_secret_with_a_real_prefix(alice):
    key = make_key(alice)
    forged = key[: key.rindex("_") + 1] + "x" * 43
    assert api_get(forged, "/leads").status_code == 401


def test_it_answers_401_for_a_malformed_header(client, alice):
    key = make_key(alice)
    for header in (key, f"Basic {key}", "Bearer", "Bearer lg__", "Bearer ünïcode"):
        response = client.get("/api/v1/leads", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_it_answers_401_for_a_revoked_key(alice):
    key = make_key(alice)
    ApiKey.objects.get().revoke()
    assert api_get(key, "/leads").status_code == 401


def test_it_answers_403_naming_the_scope_a_key_lacks(alice):
    lead = make_lead(alice)
    key = make_key(alice, scopes=("read",))
    response = api_post(key, f"/leads/{lead.pk}/stage", {"stage": "working"})
    assert response.status_code == 403
    assert "'write'" in response.json()["detail"]


def test_it_records_when_a_key_was_last_used(client, alice):
    key = make_key(alice)
    client.get("/api/v1/leads", **bearer(key))
    assert ApiKey.objects.get().last_used_at is not None


def test_it_prints_a_new_key_once_with_a_warning(alice):
    out, err = run_apikey("create", "--name", "Zapier", "--scopes", "read,write", "--user", "alice")
    key = out.strip()
    row = ApiKey.objects.get()
    assert key.startswith(f"lg_{row.prefix}_")
    assert ApiKey.authenticate(key) == row
    assert row.scopes == ["read", "write"] and row.user == alice
    assert "will not be shown again" in err


def test_it_creates_a_service_key_without_a_user(db):
    run_apikey("create", "--name", "Website form", "--scopes", "intake")
    assert ApiKey.objects.get().user is None


def test_it_refuses_an_unknown_scope_naming_it(db):
    with pytest.raises(CommandError, match="admin"):
        run_apikey("create", "--name", "x", "--scopes", "read,admin")
    assert not ApiKey.objects.exists()


def test_it_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        run_apikey("create", "--name", "x", "--scopes", "read", "--user", "nobody")


def test_it_lists_keys_without_their_secrets(alice):
    key = make_key(alice, name="Reporting")
    out, _ = run_apikey("list")
    row = ApiKey.objects.get()
    assert row.prefix in out and "Reporting" in out and "alice" in out
    assert key not in out and row.key_hash not in out


def test_it_revokes_a_key_by_prefix(alice):
    key = make_key(alice)
    prefix = ApiKey.objects.get().prefix
    out, _ = run_apikey("revoke", prefix)
    assert "Revoked" in out
    assert ApiKey.objects.get().revoked_at is not None
    assert ApiKey.authenticate(key) is None


def test_it_refuses_to_revoke_an_unknown_prefix(db):
    with pytest.raises(CommandError, match="nope"):
        run_apikey("revoke", "nope")


def test_it_stops_a_key_when_its_user_is_deactivated(alice):
    key = make_key(alice)
    alice.is_active = False
    alice.save()
    assert api_get(key, "/leads").status_code == 401
