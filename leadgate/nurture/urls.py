"""Nurture pages, under /nurture/."""

from django.urls import path

from . import bulk_views, personal_views, views

urlpatterns = [
    path("", views.cadence_list, name="nurture-cadences"),
    path("new", views.cadence_new, name="nurture-cadence-new"),
    path("<int:pk>/", views.cadence_detail, name="nurture-cadence"),
    path("<int:pk>/edit", views.cadence_edit, name="nurture-cadence-edit"),
    path("<int:pk>/preview", views.cadence_preview, name="nurture-cadence-preview"),
    path("<int:pk>/archive", views.cadence_archive, name="nurture-cadence-archive"),
    path("<int:pk>/enroll", bulk_views.enroll_list, name="nurture-enroll-list"),
    # A personal-email step, reviewed and sent by the lead's qualifier.
    path("emails/<int:pk>/", personal_views.personal_email, name="nurture-personal-email"),
    # The lead page's enrollment panel.
    path("leads/<int:pk>/enroll", views.lead_enroll, name="nurture-enroll"),
    path("leads/<int:pk>/stop", views.lead_stop, name="nurture-stop"),
]
