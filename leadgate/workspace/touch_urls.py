"""Working a lead: logging touches, and the aging view. Included at the root:
path("", include("leadgate.workspace.touch_urls"))."""

from django.urls import path

from . import touch_views

urlpatterns = [
    path("leads/<int:pk>/touch", touch_views.touch, name="lead-touch"),
    path("desk/aging/", touch_views.aging_view, name="desk-aging"),
]
