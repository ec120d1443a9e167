from django.urls import path

from . import personal_views

urlpatterns = [
    path("emails/<int:pk>/", personal_views.personal_email, name="nurture-personal-email"),
]
