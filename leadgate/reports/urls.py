from django.urls import path

from . import definition_views, report_views, views
from .dashboard_views import dashboard
from .scorecard_views import scorecard
from .segment_test_views import new_test, stop_test
from .targets_views import targets

urlpatterns = [
    path("", report_views.index, name="reports"),
    path("funnel/", views.funnel, name="funnel"),
    path("definition/", definition_views.lead_definition, name="lead-definition"),
    path("scorecard/", scorecard, name="scorecard"),
    path("targets/", targets, name="targets"),
    path("dashboard/", dashboard, name="dashboard"),
    path("tests/new/", new_test, name="segment-test-new"),
    path("tests/<int:pk>/stop/", stop_test, name="segment-test-stop"),
    path("<slug:slug>/", report_views.report, name="report"),
]
