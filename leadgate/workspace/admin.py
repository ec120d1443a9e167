from django.contrib import admin

from leadgate.leads.models import Task, Touch

from .models import Qualification


@admin.register(Touch)
class TouchAdmin(admin.ModelAdmin):
    list_display = ("lead", "channel", "direction", "disposition", "actor", "at")
    list_filter = ("channel", "disposition")
    raw_id_fields = ("lead", "actor")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "lead", "assignee", "due_at", "done_at")
    raw_id_fields = ("lead", "assignee", "created_by")


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("lead", "framework", "verdict", "by", "at")
    raw_id_fields = ("lead", "by")
