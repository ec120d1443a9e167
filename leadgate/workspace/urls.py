from django.urls import path

from . import search_views, views

urlpatterns = [
    path("search/", search_views.search_page, name="search"),
    path("accounts/<int:pk>/", search_views.account_page, name="account"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/stage", views.lead_stage, name="lead-stage"),
    path(
        "leads/<int:pk>/inquiries/<int:inquiry_pk>/split",
        views.split_inquiry_view,
        name="inquiry-split",
    ),
    # A form of the lead page and the desk's pools, at its address of old.
    path("routing/leads/<int:pk>/reassign", views.lead_reassign, name="lead-reassign"),
]
