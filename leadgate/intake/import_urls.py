"""Imports in the browser, mounted at /intake/import/."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.upload, name="import-upload"),
    path("<str:token>/map/", import_views.mapping, name="import-map"),
    path("runs/<int:pk>/", import_views.run_detail, name="import-run"),
    path("runs/<int:pk>/status/", import_views.run_status, name="import-run-status"),
    path("runs/<int:pk>/import/", import_views.import_previewed, name="import-run-import"),
    path("runs/<int:pk>/errors.csv", import_views.run_errors, name="import-errors"),
]
