"""Outbound webhook pages, mounted at /settings/webhooks/ by leadgate/urls.py."""

from django.urls import path

from . import webhook_views as views

urlpatterns = [
    path("", views.subscription_list, name="webhooks"),
    path("new", views.subscription_new, name="webhook-new"),
    path("<int:pk>/", views.subscription_detail, name="webhook"),
    path("<int:pk>/rotate", views.subscription_rotate, name="webhook-rotate"),
    path("<int:pk>/delete", views.subscription_delete, name="webhook-delete"),
    path("<int:pk>/test", views.subscription_test, name="webhook-test"),
]
