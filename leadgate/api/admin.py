from django.contrib import admin

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read and revoke only: keys are issued with `leadgate apikey create`,
    which shows the secret once; the admin never sees or sets one."""

    list_display = ("prefix", "name", "user", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    fields = ("name", "prefix", "key_hash", "scopes", "user", "created_at", "last_used_at",
              "revoked_at")
    raw_id_fields = ("user",)

    def has_add_permission(self, request) -> bool:
        return False
