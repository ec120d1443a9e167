from django.urls import path

from . import list_views

urlpatterns = [
    path("leads/", list_views.leads_list, name="leads-list"),
    path("leads/views/save", list_views.view_save, name="leads-view-save"),
    path("leads/views/<int:pk>/delete", list_views.view_delete, name="leads-view-delete"),
    path("leads/bulk", list_views.bulk_action, name="leads-bulk"),
    path("leads/unassigned/", list_views.unassigned, name="leads-unassigned"),
]
