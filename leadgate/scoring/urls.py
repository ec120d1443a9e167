"""Rule scoring pages, under /scoring/."""

from django.urls import path

from . import views

urlpatterns = [
    path("rules/", views.ruleset_list, name="rulesets"),
    path("rules/new", views.ruleset_new, name="ruleset-new"),
    path("rules/<int:version>/", views.ruleset_edit, name="ruleset"),
    path("rules/<int:version>/preview", views.ruleset_preview, name="ruleset-preview"),
    path("rules/<int:version>/activate", views.ruleset_activate, name="ruleset-activate"),
]
