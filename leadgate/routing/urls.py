"""Managers' routing pages and a qualifier's pause toggle, under /routing/.
(Reassignment by hand, /routing/leads/<id>/reassign, is the desk's:
workspace.urls.)"""

from django.urls import path

from . import people_views, views

urlpatterns = [
    path("", views.rule_list, name="routing-rules"),
    path("rules/new", views.rule_new, name="routing-rule-new"),
    path("rules/<int:pk>/", views.rule_edit, name="routing-rule"),
    path("rules/<int:pk>/delete", views.rule_delete, name="routing-rule-delete"),
    path("rules/<int:pk>/move", views.rule_move, name="routing-rule-move"),
    path("rules/<int:pk>/toggle", views.rule_toggle, name="routing-rule-toggle"),
    path("seats/", people_views.seat_list, name="routing-seats"),
    path("seats/<int:user_pk>", people_views.seat_edit, name="routing-seat"),
    path("seats/<int:user_pk>/absences", people_views.absence_add, name="routing-absence-add"),
    path("absences/<int:pk>/delete", people_views.absence_delete,
         name="routing-absence-delete"),
    path("teams/", people_views.team_list, name="routing-teams"),
    path("teams/<int:pk>", people_views.team_edit, name="routing-team"),
    path("sla/", views.sla_list, name="routing-sla"),
    path("sla/<int:pk>", views.sla_edit, name="routing-sla-edit"),
    path("alerts/", views.alert_list, name="routing-alerts"),
    path("alerts/<int:pk>/resolve", views.alert_resolve, name="routing-alert-resolve"),
    path("alerts/resolve", views.alerts_resolve, name="routing-alerts-resolve"),
    path("me/pause", people_views.my_pause, name="routing-pause"),
]
