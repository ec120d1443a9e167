from django.contrib import admin

from .models import EmailEvent, InboundMessage, OutboundEmail, Suppression
from .suppression import suppress


class ReadOnly(admin.ModelAdmin):
    """Rows written by the mail code only, to look into."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnly):
    """The outbox: rows are written by queue_email() and changed by the sender only."""

    list_display = ("pk", "kind", "subject", "status", "attempts", "next_attempt_at",
                    "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "subject", "message_id")
    raw_id_fields = ("lead",)


@admin.register(EmailEvent)
class EmailEventAdmin(ReadOnly):
    list_display = ("pk", "email", "kind", "at", "bot", "url")
    list_filter = ("kind",)
    search_fields = ("url", "user_agent")
    raw_id_fields = ("email",)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnly):
    list_display = ("pk", "kind", "from_address", "subject", "received_at")
    list_filter = ("kind",)
    search_fields = ("message_id", "from_address", "subject")
    raw_id_fields = ("email",)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """The suppression list. An address added here goes through suppress(),
    as every other way in does (the lead's event, so a cadence stops); a row
    is not edited (its reason is the first one); deleting one lets email go
    to that address again."""

    list_display = ("address", "reason", "lead", "created_at")
    list_filter = ("reason",)
    search_fields = ("address",)
    raw_id_fields = ("lead", "email", "by")
    fields = ("address", "reason", "lead", "note")

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None

    def save_model(self, request, obj, form, change) -> None:
        row, _ = suppress(obj.address, obj.reason, lead=obj.lead_id, by=request.user,
                          note=obj.note)
        obj.pk = row.pk
