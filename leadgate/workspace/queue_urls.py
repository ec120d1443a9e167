"""The desk as a live queue (included before leadgate.workspace.urls, whose
old /desk/ it replaces)."""

from django.urls import path

from . import queue_views

urlpatterns = [
    path("desk/", queue_views.queue_page, name="desk"),
    path("desk/rows", queue_views.queue_rows, name="desk-rows"),
    path("desk/events", queue_views.queue_events, name="desk-events"),
]
