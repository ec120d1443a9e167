"""/profile/: each user's own name, time zone and password."""

from django.urls import path

from . import profile

urlpatterns = [
    path("", profile.profile, name="profile"),
    path("password/", profile.change_password, name="profile-password"),
]
