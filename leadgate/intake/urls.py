"""Web forms: the public endpoint and marketing's pages."""

from django.urls import path

from . import forms_public, views

urlpatterns = [
    path("f/<str:key>", forms_public.submit, name="webform-submit"),
    path("intake/forms/", views.form_list, name="webforms"),
    path("intake/forms/new", views.form_edit, name="webform-new"),
    path("intake/forms/<int:pk>/", views.form_detail, name="webform"),
    path("intake/forms/<int:pk>/edit", views.form_edit, name="webform-edit"),
]
