"""Rule sets in the admin. Managers edit them at /scoring/rules/; here, as
there, a version that was ever in force is read-only (scores and their
reasons refer to it): "New version from selected" copies a rule set with its
rules to edit; "Activate selected" puts one in force.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import LeadScore, Rule, RuleSet
from .rules import rule_error


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["kind", "name", "field", "operator", "value", "points", "half_life_days"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rule = Rule(kind=data.get("kind") or "", field=data.get("field") or "",
                    operator=data.get("operator") or "")
        error = rule_error(rule) if rule.kind and rule.field else None
        if error:
            raise ValidationError({"field": error})
        return data


def was_in_force(ruleset: RuleSet | None) -> bool:
    return ruleset is not None and ruleset.activated_at is not None


class RuleInline(admin.TabularInline):
    model = Rule
    form = RuleForm
    extra = 1
    fields = ["kind", "name", "field", "operator", "value", "points", "half_life_days"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not was_in_force(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not was_in_force(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not was_in_force(obj) and super().has_delete_permission(request, obj)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["version", "active", "created_at", "created_by", "note"]
    readonly_fields = ["version", "active", "created_at", "created_by"]
    inlines = [RuleInline]
    actions = ["new_version", "activate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a version is made from another, with the action

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not was_in_force(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not was_in_force(obj) and super().has_delete_permission(request, obj)

    @admin.action(description="New version from selected")
    def new_version(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for ruleset in queryset:
            copy = RuleSet.new_version(from_=ruleset, created_by=request.user,
                                       note=f"copy of v{ruleset.version}")
            self.message_user(request, f"created {copy}", messages.SUCCESS)

    @admin.action(description="Activate selected (one)")
    def activate(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "select exactly one rule set", messages.ERROR)
            return
        ruleset = queryset.get()
        ruleset.activate()
        self.message_user(request, f"activated {ruleset}", messages.SUCCESS)


@admin.register(LeadScore)
class LeadScoreAdmin(admin.ModelAdmin):
    list_display = ["lead", "grade", "fit", "engagement", "ruleset_version", "computed_at"]
    list_filter = ["grade", "ruleset_version"]
    raw_id_fields = ["lead"]
    readonly_fields = ["lead", "fit", "engagement", "grade", "reasons", "ruleset_version",
                       "computed_at"]
