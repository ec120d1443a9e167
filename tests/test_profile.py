"""Each user's profile (/profile/): their name, time zone and password; the
errors of its forms are on the field they are about."""

import pytest

from leadgate.leads.models import User
from leadgate.leads.profile import PasswordForm, ProfileForm, time_zone_choices
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-lantern-42"  # noqa: S105 - test only


def details(**fields):
    return {"first_name": "Alice", "last_name": "Martin", "time_zone": "Europe/Paris",
            **fields}


def test_it_saves_the_users_name_and_time_zone(client, alice):
    client.force_login(alice)
    response = client.post("/profile/", details(time_zone="America/New_York"))
    assert response.status_code == 302 and response["Location"] == "/profile/"
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.time_zone) == (
        "Alice", "Martin", "America/New_York")


def test_it_names_the_time_zone_field_when_the_zone_is_not_one(alice):
    form = ProfileForm(details(time_zone="Mars/Olympus_Mons"), instance=alice)
    assert not form.is_valid()
    assert list(form.errors) == ["time_zone"]
    assert form.errors["time_zone"][0].startswith("Time zone: “Mars/Olympus_Mons”")


def test_it_ties_a_fields_error_to_its_input_on_the_page(client, alice):
    client.force_login(alice)
    response = client.post("/profile/", details(time_zone="Mars/Olympus_Mons"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'aria-describedby="id_time_zone_helptext id_time_zone_error"' in page
    assert '<div id="id_time_zone_error"><p class="error" role="alert">Time zone:' in page


def test_it_leaves_the_user_as_they_were_when_the_profile_is_refused(client, alice):
    client.force_login(alice)
    client.post("/profile/", details(first_name="Zed", time_zone="Nowhere"))
    alice.refresh_from_db()
    assert (alice.first_name, alice.time_zone) == ("", "UTC")


def test_it_names_the_current_password_field_when_it_is_wrong(alice):
    form = PasswordForm(alice, {"old_password": "wrong", "new_password1": NEW_PASSWORD,
                                "new_password2": NEW_PASSWORD})
    assert not form.is_valid()
    assert list(form.errors) == ["old_password"]


def test_it_names_the_confirmation_field_when_the_new_passwords_differ(alice):
    form = PasswordForm(alice, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                "new_password2": NEW_PASSWORD + "x"})
    assert not form.is_valid()
    assert list(form.errors) == ["new_password2"]


def test_it_names_the_confirmation_field_when_the_new_password_is_too_weak(alice):
    form = PasswordForm(alice, {"old_password": PASSWORD, "new_password1": "alice",
                                "new_password2": "alice"})
    assert not form.is_valid()
    assert list(form.errors) == ["new_password2"]


def test_it_changes_the_password_and_keeps_the_user_signed_in(client, alice):
    client.force_login(alice)
    response = client.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert client.get("/profile/").status_code == 200  # not sent to the log-in page


def test_it_links_the_name_in_the_header_to_the_profile(client, sam):
    client.force_login(sam)
    page = client.get("/profile/").content.decode()
    assert '<a href="/profile/" id="profile-link"' in page
    assert 'aria-current="page">sam</a>' in page


def test_it_says_english_is_the_only_language(client, alice):
    client.force_login(alice)
    page = client.get("/profile/").content.decode()
    assert "Language: English" in page


def test_it_offers_common_zones_first_then_each_region():
    groups = time_zone_choices()
    assert groups[0][0] == "Common"
    assert ("Europe/Paris", "Europe/Paris") in groups[0][1]
    assert ("Europe/Paris", "Paris") in dict(groups)["Europe"]
    assert "US/Eastern" not in {name for _, zones in groups for name, _ in zones}


def test_it_keeps_an_old_zone_alias_the_user_already_has(db):
    user = make_user("old", "qualifier")
    User.objects.filter(pk=user.pk).update(time_zone="US/Eastern")
    user.refresh_from_db()
    form = ProfileForm(details(time_zone="US/Eastern"), instance=user)
    assert form.is_valid(), form.errors


def test_it_sends_a_visitor_to_log_in(client):
    response = client.get("/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
