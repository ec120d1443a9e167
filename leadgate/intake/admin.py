from django.contrib import admin
from django.db import models

from .models import Campaign, CampaignCost, Inquiry, Source, WebForm


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")


class CampaignCostInline(admin.TabularInline):
    model = CampaignCost
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "starts_on", "ends_on")
    list_filter = ("source",)
    inlines = [CampaignCostInline]


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ("pk", "lead", "channel", "source", "campaign", "is_hot", "received_at")
    list_filter = ("channel", "is_hot")
    raw_id_fields = ("lead",)


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "source", "campaign", "is_hot", "active", "created_at")
    list_filter = ("active", "is_hot")
    readonly_fields = ("key",)
    search_fields = ("name", "key")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
