"""Rule scoring pages, under /scoring/."""

from django.urls import path

from . import model_views, views

urlpatterns = [
    path("rules/", views.ruleset_list, name="rulesets"),
    path("rules/new", views.ruleset_new, name="ruleset-new"),
    path("rules/<int:version>/", views.ruleset_edit, name="ruleset"),
    path("rules/<int:version>/preview", views.ruleset_preview, name="ruleset-preview"),
    path("rules/<int:version>/activate", views.ruleset_activate, name="ruleset-activate"),
    path("models/", model_views.model_list, name="models"),
    path("models/train", model_views.model_train, name="model-train"),
    path("models/trainings", model_views.model_trainings, name="model-trainings"),
    path("models/<int:pk>/", model_views.model_detail, name="model"),
    path("models/<int:pk>/activate", model_views.model_activate, name="model-activate"),
    path("models/<int:pk>/deactivate", model_views.model_deactivate, name="model-deactivate"),
]
