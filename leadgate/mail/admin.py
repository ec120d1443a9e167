from django.contrib import admin

from .models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox, to look into: rows are written by queue_email() and
    changed by the sender only."""

    list_display = ("pk", "kind", "subject", "status", "attempts", "next_attempt_at",
                    "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "subject", "message_id")
    raw_id_fields = ("lead",)
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
