"""Nurture records in the admin, to look at rather than to change: a cadence's
steps change through the editor (/nurture/<id>/edit), which checks the merge
fields and makes a new version when leads are in the old one; enrollments and
step runs are what the engine did, kept as they happened. Only a cadence's
name, description, role and archiving may be changed here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Cadence, CadenceVersion, Enrollment, Step, StepRun, StepVariant


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = CadenceVersion
    fields = ["number", "created_at", "created_by", "note"]


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "next_cadence", "archived_at", "created_at"]
    list_filter = ["role", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    fields = ["name", "description", "role", "next_cadence", "archived_at", "created_by",
              "created_at"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the nurture pages make its version 1 with it


class StepInline(ReadOnlyInline):
    model = Step
    fields = ["position", "kind", "delay_days", "window_days", "window_start", "window_end",
              "condition", "instructions"]


@admin.register(CadenceVersion)
class CadenceVersionAdmin(ReadOnly):
    list_display = ["cadence", "number", "created_at", "created_by", "note"]
    list_filter = ["cadence"]
    inlines = [StepInline]


class VariantInline(ReadOnlyInline):
    model = StepVariant
    fields = ["label", "subject", "text_body", "html_body"]


@admin.register(Step)
class StepAdmin(ReadOnly):
    list_display = ["version", "position", "kind", "delay_days"]
    list_filter = ["kind"]
    inlines = [VariantInline]


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnly):
    list_display = ["lead", "version", "number", "status", "position", "next_due_at",
                    "rest_until", "exit_reason", "started_at"]
    list_filter = ["status", "exit_reason", "trigger"]
    raw_id_fields = ["lead"]
    search_fields = ["lead__email", "lead__last_name"]
    list_select_related = ["lead", "version__cadence"]


@admin.register(StepRun)
class StepRunAdmin(ReadOnly):
    list_display = ["enrollment", "step", "cycle", "status", "variant", "at"]
    list_filter = ["status"]
    raw_id_fields = ["enrollment", "email", "task"]
    list_select_related = ["step__version__cadence"]
