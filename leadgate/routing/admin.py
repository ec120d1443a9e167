"""Routing and SLA records in the admin: rules, seats and absences are edited
here until the manager screens exist; assignments and clocks are history, shown
read-only so nobody rewrites who had a lead or when a breach happened."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from .conditions import conditions_error
from .models import Absence, Alert, Assignment, RoutingRule, Seat, SlaClock, SlaPolicy


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["position", "name", "active", "conditions", "team", "user"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        error = conditions_error(data.get("conditions", []))
        if error:
            raise ValidationError({"conditions": error})
        if not data.get("team") and not data.get("user"):
            raise ValidationError("a rule sends leads to a team or to a named qualifier")
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["position", "name", "active", "team", "user"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active", "team"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["user", "weight", "max_open", "paused", "hours"]
    list_filter = ["paused", "user__team"]
    list_editable = ["weight", "max_open", "paused"]
    search_fields = ["user__username"]
    # The fair-share state is the scheduler's: edited by hand it breaks fairness.
    readonly_fields = ["virtual_start", "last_assigned"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_on", "ends_on", "note"]
    list_filter = ["user__team"]
    search_fields = ["user__username", "note"]
    date_hierarchy = "starts_on"


class HistoryAdmin(admin.ModelAdmin):
    """Read-only: history is recorded by the code, never typed in."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(HistoryAdmin):
    list_display = ["at", "lead", "from_user", "to_user", "team", "why", "rule", "by"]
    list_filter = ["why", "team"]
    search_fields = ["lead__email", "to_user__username", "note"]
    raw_id_fields = ["lead"]
    date_hierarchy = "at"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["segment", "minutes", "business_hours", "escalate", "active"]
    list_editable = ["minutes", "business_hours", "escalate", "active"]


@admin.register(SlaClock)
class SlaClockAdmin(HistoryAdmin):
    list_display = ["lead", "policy", "owner", "state", "started_at", "due_at", "stopped_at",
                    "response_seconds", "breached_at"]
    list_filter = ["state", "policy"]
    search_fields = ["lead__email", "owner__username"]
    raw_id_fields = ["lead"]
    date_hierarchy = "due_at"


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "team", "lead", "message", "resolved_at"]
    list_filter = ["kind", "team", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["message"]
    raw_id_fields = ["lead"]
    readonly_fields = ["kind", "lead", "team", "message", "created_at", "resolved_at",
                       "resolved_by"]
    actions = ["resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Mark selected as resolved")
    def resolve(self, request: HttpRequest, queryset: Any) -> None:
        by = request.user.pk if request.user.is_authenticated else None
        done = queryset.filter(resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by_id=by)
        self.message_user(request, f"{done} alert(s) resolved")
