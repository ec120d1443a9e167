"""/duplicates/: the duplicate review list and the merges (with undo)."""

from django.urls import path

from . import review_views as views

urlpatterns = [
    path("", views.review_list, name="duplicates"),
    path("<int:pk>/merge", views.pair_merge, name="duplicate-merge"),
    path("<int:pk>/keep-apart", views.pair_keep_apart, name="duplicate-keep-apart"),
    path("merges/", views.merge_list, name="merges"),
    path("merges/<int:pk>/", views.merge_detail, name="merge"),
    path("merges/<int:pk>/undo", views.merge_undo, name="merge-undo"),
]
