"""Web forms: the public endpoint and marketing's pages; sources, campaigns
and their costs; a lead entered by hand."""

from django.urls import path

from . import campaign_views, forms_public, manual_views, views

urlpatterns = [
    path("f/<str:key>", forms_public.submit, name="webform-submit"),
    path("intake/forms/", views.form_list, name="webforms"),
    path("intake/forms/new", views.form_edit, name="webform-new"),
    path("intake/forms/<int:pk>/", views.form_detail, name="webform"),
    path("intake/forms/<int:pk>/edit", views.form_edit, name="webform-edit"),
    path("intake/campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("intake/sources/new", campaign_views.source_edit, name="source-new"),
    path("intake/sources/<int:pk>/edit", campaign_views.source_edit, name="source-edit"),
    path("intake/sources/<int:source_pk>/campaigns/new", campaign_views.campaign_edit,
         name="campaign-new"),
    path("intake/campaigns/<int:pk>/edit", campaign_views.campaign_edit, name="campaign-edit"),
    path("intake/campaigns/<int:campaign_pk>/costs/new", campaign_views.cost_edit,
         name="cost-new"),
    path("intake/costs/<int:pk>/edit", campaign_views.cost_edit, name="cost-edit"),
    path("intake/leads/new", manual_views.lead_new, name="lead-new"),
]
