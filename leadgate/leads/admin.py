from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Account, Lead, StageChange, Team, User


@admin.register(User)
class LeadgateUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Leadgate", {"fields": ("team", "time_zone")}))
    list_display = ("username", "email", "team", "is_active")


admin.site.register(Team)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "industry", "employees", "owner")
    search_fields = ("name", "domain")


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "stage", "cycle", "owner", "created_at")
    list_filter = ("stage",)
    search_fields = ("email", "last_name", "company_name")
    raw_id_fields = ("account", "owner")


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ("lead", "from_stage", "to_stage", "at", "by")
    raw_id_fields = ("lead", "by")
