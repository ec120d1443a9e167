from django.urls import path

from . import inbound_views

urlpatterns = [
    path("inbound", inbound_views.receive, name="mail-inbound"),
]
