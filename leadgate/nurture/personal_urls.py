from django.urls import path

from . import bulk_views, personal_views

urlpatterns = [
    path("<int:pk>/enroll", bulk_views.enroll_list, name="nurture-enroll-list"),
    path("emails/<int:pk>/", personal_views.personal_email, name="nurture-personal-email"),
]
