from django.contrib import admin

from .models import Campaign, CampaignCost, Inquiry, Source


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
