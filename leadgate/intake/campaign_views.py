"""Marketing's pages for where leads come from: sources, their campaigns and
what each campaign cost per period (the base of cost per lead and per
qualified lead in the reports).

    GET       /intake/campaigns/                     every source, its campaigns and costs
    GET/POST  /intake/sources/new                    a new source
    GET/POST  /intake/sources/<id>/edit              change a source
    GET/POST  /intake/sources/<id>/campaigns/new     a new campaign of the source
    GET/POST  /intake/campaigns/<id>/edit            change a campaign
    GET/POST  /intake/campaigns/<id>/costs/new       a campaign's cost for a month or a period
    GET/POST  /intake/costs/<id>/edit                change a cost

Marketing, managers and admins; anyone else is refused (403): costs are
marketing's figures, and the reports show what others need of them.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from leadgate.leads.http import AuthedRequest

from .models import Campaign, CampaignCost, Source
from .views import require_form_role

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def whole_month(start: date, end: date) -> bool:
    return start.day == 1 and (start.year, start.month) == (end.year, end.month) \
        and end == month_bounds(start.year, start.month)[1]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ["name", "kind"]
        error_messages = {"name": {"unique": "another source has this name"}}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("give the source a name")
        return name


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "source", "starts_on", "ends_on"]
        labels = {"starts_on": "Starts on", "ends_on": "Ends on"}
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"})}
        error_messages = {"name": {"unique": "another campaign has this name"}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["source"].empty_label = None  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("give the campaign a name")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "the campaign ends before it starts")
        return data


class CostForm(forms.ModelForm):
    """A cost for a calendar month (the usual case) or for any period: a
    month, or both dates."""

    month = forms.CharField(
        required=False, label="Month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
        help_text="the calendar month the amount was spent in; or leave it empty and "
                  "give the first and last day of another period",
    )

    class Meta:
        model = CampaignCost
        fields = ["amount", "currency", "period_start", "period_end"]
        labels = {"period_start": "From (first day)", "period_end": "To (last day)"}
        widgets = {"period_start": forms.DateInput(attrs={"type": "date"}),
                   "period_end": forms.DateInput(attrs={"type": "date"}),
                   "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0"})}

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.instance.campaign = campaign
        self.fields["period_start"].required = False
        self.fields["period_end"].required = False
        self.fields["currency"].help_text = (
            f"reports count costs in {settings.LEADGATE_CURRENCY} only")
        self.order_fields(["month", "period_start", "period_end", "amount", "currency"])
        if not self.instance.pk:
            self.initial["currency"] = settings.LEADGATE_CURRENCY
        else:
            start, end = self.instance.period_start, self.instance.period_end
            if whole_month(start, end):
                self.initial["month"] = f"{start:%Y-%m}"
                self.initial["period_start"] = self.initial["period_end"] = None

    def clean_month(self) -> tuple[date, date] | None:
        text = self.cleaned_data["month"]
        if not text.strip():
            return None
        found = MONTH_RE.match(text)
        if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1900:
            raise forms.ValidationError("enter a month such as 2026-11")
        return month_bounds(int(found[1]), int(found[2]))

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount < 0:
            raise forms.ValidationError("a cost is not negative")
        return amount

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise forms.ValidationError("a three-letter currency code, such as "
                                        + settings.LEADGATE_CURRENCY)
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if any(name in self.errors for name in ("month", "period_start", "period_end")):
            return data
        month = data.get("month")
        start, end = data.get("period_start"), data.get("period_end")
        if month and (start or end):
            self.add_error("month", "give a month or the dates of a period, not both")
            return data
        if month:
            start, end = month
        elif not start or not end:
            name = "period_end" if start else "period_start"
            self.add_error("month" if not (start or end) else name,
                           "give a month, or the first and last day of the period")
            return data
        if end < start:
            self.add_error("period_end", "the period ends before it starts")
            return data
        data["period_start"], data["period_end"] = start, end
        self.instance.period_start, self.instance.period_end = start, end
        where = "month" if month else "period_start"
        others = CampaignCost.objects.filter(campaign=self.campaign).exclude(pk=self.instance.pk)
        overlap = others.filter(period_start__lte=end, period_end__gte=start).first()
        if overlap is not None:
            self.add_error(where, f"this campaign already has a cost from "
                                  f"{overlap.period_start:%b %-d, %Y} to "
                                  f"{overlap.period_end:%b %-d, %Y}: change that one")
        return data


@dataclass
class CostRow:
    cost: CampaignCost
    month: date | None  # the first day, when the cost is for one calendar month


@dataclass
class CampaignRow:
    campaign: Campaign
    costs: list[CostRow] = field(default_factory=list)
    total: Decimal = Decimal(0)  # in LEADGATE_CURRENCY
    other_currency: bool = False


def campaigns_url(anchor: str = "") -> str:
    return reverse("campaigns") + (f"#{anchor}" if anchor else "")


@login_required
@require_GET
def campaign_list(request: AuthedRequest) -> HttpResponse:
    require_form_role(request)
    costs = CampaignCost.objects.order_by("-period_start")
    campaigns = Campaign.objects.order_by("name").prefetch_related(Prefetch("costs", costs))
    sources = Source.objects.order_by("name").prefetch_related(Prefetch("campaigns", campaigns))
    currency = settings.LEADGATE_CURRENCY
    listed = []
    for source in sources:
        rows = []
        for campaign in source.campaigns.all():
            row = CampaignRow(campaign)
            for cost in campaign.costs.all():
                month = cost.period_start if whole_month(cost.period_start,
                                                         cost.period_end) else None
                row.costs.append(CostRow(cost, month))
                if cost.currency == currency:
                    row.total += cost.amount
                else:
                    row.other_currency = True
            rows.append(row)
        listed.append((source, rows))
    return render(request, "intake/campaigns.html", {
        "nav": "campaigns", "sources": listed, "currency": currency})


def _edit(request: AuthedRequest, form: forms.ModelForm, *, title: str, back: str,
          saved: Callable[[Any], str], anchor: str) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                instance = form.save()
        except IntegrityError:
            # Someone saved the same name or period meanwhile.
            form.add_error(None, "this was changed meanwhile: check and save again")
        else:
            messages.success(request, saved(instance))
            return redirect(campaigns_url(anchor.format(instance.pk)))
    return render(request, "intake/campaign_edit.html", {
        "nav": "campaigns", "form": form, "title": title, "back": back,
    }, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    require_form_role(request)
    source = get_object_or_404(Source, pk=pk) if pk else Source()
    form = SourceForm(request.POST or None, instance=source)
    return _edit(request, form, title=f"Edit the source {source}" if pk else "New source",
                 back=campaigns_url(f"source-{pk}" if pk else ""),
                 saved=lambda saved: f"Saved the source {saved}.", anchor="source-{}")


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: AuthedRequest, pk: int | None = None,
                  source_pk: int | None = None) -> HttpResponse:
    require_form_role(request)
    if pk:
        campaign = get_object_or_404(Campaign.objects.select_related("source"), pk=pk)
    else:
        campaign = Campaign(source=get_object_or_404(Source, pk=source_pk))
    form = CampaignForm(request.POST or None, instance=campaign,
                        initial={} if pk else {"source": campaign.source})
    title = f"Edit the campaign {campaign}" if pk else f"New campaign of {campaign.source}"
    return _edit(request, form, title=title,
                 back=campaigns_url(f"campaign-{pk}" if pk else f"source-{source_pk}"),
                 saved=lambda saved: f"Saved the campaign {saved}.", anchor="campaign-{}")


@login_required
@require_http_methods(["GET", "POST"])
def cost_edit(request: AuthedRequest, pk: int | None = None,
              campaign_pk: int | None = None) -> HttpResponse:
    require_form_role(request)
    if pk:
        cost = get_object_or_404(CampaignCost.objects.select_related("campaign"), pk=pk)
        campaign = cost.campaign
    else:
        campaign = get_object_or_404(Campaign, pk=campaign_pk)
        cost = CampaignCost(campaign=campaign)
    form = CostForm(request.POST or None, instance=cost, campaign=campaign)
    title = f"Edit a cost of {campaign}" if pk else f"New cost of {campaign}"
    return _edit(request, form, title=title, back=campaigns_url(f"campaign-{campaign.pk}"),
                 saved=lambda saved: f"Saved the cost of {saved.campaign}.", anchor="cost-{}")
