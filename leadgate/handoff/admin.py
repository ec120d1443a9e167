from django.contrib import admin

from leadgate.leads.models import Handoff, Outcome


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ("lead", "from_user", "to_user", "status", "created_at", "decided_at")
    list_filter = ("status",)
    raw_id_fields = ("lead", "from_user", "to_user")


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ("lead", "kind", "amount", "currency", "at")
    list_filter = ("kind",)
    raw_id_fields = ("lead", "by")
