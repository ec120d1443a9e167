"""Each user's own profile: their name, their time zone and their password.

The time zone is the one every page, fragment and export is drawn in for them
(`viewer_zone`). There is no language choice: Leadgate is written in English
only (no translations, no LANGUAGES setting), and a choice that changed nothing
would be a lie; the page says so.
"""

from __future__ import annotations

from functools import cache
from typing import cast
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from leadgate.lib.timezones import is_time_zone

from .http import AuthedRequest
from .models import User

# The zones a sales floor works in most, offered first (they are also in their
# region below). The rest follow grouped by region, as the IANA names are.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Amsterdam", "Europe/Madrid", "Europe/Rome", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Athens", "Europe/Istanbul", "America/New_York", "America/Chicago",
    "America/Denver", "America/Los_Angeles", "America/Toronto", "America/Mexico_City",
    "America/Sao_Paulo", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai",
    "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)
# The IANA regions; names outside them are old aliases ("US/Eastern", "EST5EDT",
# "GB"), left out of the list (a user who has one keeps it: see ProfileForm).
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")


def _label(name: str) -> str:
    return name.replace("_", " ")


@cache
def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a <select>: the common zones, then each region's
    zones by city ("Europe" > "Paris")."""
    names = available_timezones()
    groups = [("Common", [(name, _label(name)) for name in COMMON_ZONES if name in names])]
    for region in REGIONS:
        zones = sorted(name for name in names if name.split("/", 1)[0] == region
                       and "/" in name)
        groups.append((region, [(name, _label(name.split("/", 1)[1])) for name in zones]))
    return [(group, zones) for group, zones in groups if zones]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Every date and time in Leadgate is shown to you in this zone.",
        error_messages={"invalid_choice": "Time zone: “%(value)s” is not a time zone name "
                                          "such as Europe/Paris."},
    )

    class Meta:
        model = User
        fields = ("first_name", "last_name", "time_zone")
        labels = {"first_name": "First name", "last_name": "Last name"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = list(time_zone_choices())
        current = self.instance.time_zone
        listed = {name for _, zones in choices for name, _ in zones}
        if is_time_zone(current) and current not in listed:
            # An old alias set elsewhere ("US/Eastern"): still theirs to keep.
            choices.insert(0, ("Yours", [(current, _label(current))]))
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = choices
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if not is_time_zone(name):  # listed, but not in this machine's database
            raise forms.ValidationError(
                f"Time zone: “{name}” is not a time zone name such as Europe/Paris.")
        return name


class PasswordForm(PasswordChangeForm):
    """Django's: the old password, then the new one twice, checked by the
    site's password validators."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


def _page(request: AuthedRequest, profile: ProfileForm | None = None,
          password: PasswordForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "leads/profile.html", {
        "nav": "profile",
        "form": profile or ProfileForm(instance=request.user),
        "password_form": password or PasswordForm(request.user, auto_id="pw_%s"),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    # A copy: a form that fails must not leave its values on the page's user.
    form = ProfileForm(request.POST, instance=User.objects.get(pk=request.user.pk))
    if not form.is_valid():
        return _page(request, profile=form, status=400)
    form.save()
    messages.success(request, f"Saved your profile. Times are shown in "
                              f"{_label(form.instance.time_zone)}.")
    return redirect("profile")


@login_required
@require_POST
def change_password(request: AuthedRequest) -> HttpResponse:
    form = PasswordForm(request.user, request.POST, auto_id="pw_%s")
    if not form.is_valid():
        return _page(request, password=form, status=400)
    form.save()
    update_session_auth_hash(request, form.user)  # this session stays signed in
    messages.success(request, "Changed your password.")
    return redirect("profile")
