from django.urls import path

from . import export_views, handoff_views, outcome_views, views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("handoff/<int:lead_id>/", handoff_views.handoff_lead, name="handoff-lead"),
    path("handoffs/<int:pk>/", handoff_views.handoff_detail, name="handoff-detail"),
    path("handoffs/<int:pk>/accept", handoff_views.handoff_accept, name="handoff-accept"),
    path("handoffs/<int:pk>/reject", handoff_views.handoff_reject, name="handoff-reject"),
    path("leads/<int:pk>/outcome", outcome_views.lead_outcome, name="lead-outcome"),
    path("export", export_views.export_leads, name="sales-export"),
]
