"""/accounts/<id>/edit: editing an account from its page."""

from django.urls import path

from . import account_views

urlpatterns = [
    path("accounts/<int:pk>/edit", account_views.account_edit, name="account-edit"),
]
