from django.urls import path

from . import views

urlpatterns = [
    path("funnel/", views.funnel, name="funnel"),
]
