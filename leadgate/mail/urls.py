"""Public: the links in emails (see views.py). Tokens are signed, never ids."""

from django.urls import path

from . import views

urlpatterns = [
    path("u/<str:token>", views.unsubscribe_page, name="mail-unsubscribe"),
    path("c/<str:token>", views.click, name="mail-click"),
    path("o/<str:token>", views.pixel, name="mail-open"),
]
