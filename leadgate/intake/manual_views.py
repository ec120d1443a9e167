"""A lead entered by hand (met at an event, called in, passed on by a
colleague): the form goes through `receive(..., channel="manual")` like any
other inquiry, so the person is matched to a lead they already are, the
company to its account, and a new lead is scored and routed.

    GET/POST  /intake/leads/new[?account=<id>]

Qualifiers, marketing, managers and admins; sales reps are refused (403).
An account's page links here with the company filled in.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Lead
from leadgate.leads.search import visible_accounts

from .fields import FIELDS, IntakeError
from .models import Campaign, Inquiry, Source
from .pipeline import receive

ENTRY_ROLES = (Role.QUALIFIER, Role.MARKETING, Role.MANAGER, Role.ADMIN)
# The intake fields the form asks for, in this order.
ASKED = ["first_name", "last_name", "email", "phone", "title", "company", "website",
         "country", "message"]


class ManualLeadForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Source.objects.order_by("name"), required=False,
                                    empty_label="—")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.select_related("source").order_by("name"), required=False,
        empty_label="—")
    is_hot = forms.BooleanField(
        required=False, label="Hot: asks to be contacted (on the 5-minute SLA clock)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ASKED:
            spec = FIELDS[name]
            widget = (forms.Textarea(attrs={"rows": 3, "class": "wide"}) if name == "message"
                      else forms.EmailInput() if name == "email" else None)
            self.fields[name] = forms.CharField(label=spec.label, max_length=spec.max_length,
                                                required=False, widget=widget)
        self.fields["email"].help_text = "an email address or a phone number is needed"
        self.fields["country"].help_text = "a name or an ISO code, such as Germany or DE"
        self.order_fields([*ASKED, "source", "campaign", "is_hot"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not (data.get("email") or "").strip() and not (data.get("phone") or "").strip():
            self.add_error("email", "an email address or a phone number is required")
        source, campaign = data.get("source"), data.get("campaign")
        if source and campaign and campaign.source_id != source.pk:
            self.add_error("campaign", f"this campaign belongs to the source {campaign.source}")
        return data

    def payload(self) -> dict[str, str]:
        return {name: self.cleaned_data[name].strip() for name in ASKED
                if self.cleaned_data.get(name, "").strip()}


def prefilled(request: AuthedRequest) -> dict[str, str]:
    """The company's fields of the account the page was opened from."""
    try:
        pk = int(request.GET.get("account", ""))
    except ValueError:
        return {}
    account = visible_accounts(request.user).filter(pk=pk).first()
    if account is None:
        return {}
    return {"company": account.name, "website": account.website or account.domain,
            "country": account.country}


@login_required
@require_http_methods(["GET", "POST"])
def lead_new(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_role(*ENTRY_ROLES):
        raise PermissionDenied
    form = ManualLeadForm(request.POST or None, initial=prefilled(request))
    if request.method == "POST" and form.is_valid():
        try:
            received = receive(form.payload(), channel=Inquiry.Channel.MANUAL,
                               source=form.cleaned_data["source"],
                               campaign=form.cleaned_data["campaign"],
                               is_hot=form.cleaned_data["is_hot"], by=request.user)
        except IntakeError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            lead = received.lead
            sees = received.sender_sees and Lead.objects.visible_to(request.user).filter(
                pk=lead.pk).exists()
            if received.created:
                who = lead.name or lead.email or lead.phone
                messages.success(request, f"Added the lead {who}." if sees else
                                 f"Added the lead {who}: routing gives it an owner, on "
                                 "whose desk it shows.")
            elif sees:
                messages.info(request, "This person is a lead already: the inquiry was added "
                                       "to their lead.")
            else:
                messages.info(request, "This person is a lead of someone else already: the "
                                       "inquiry was added to it and its owner sees it.")
            for field, warning in received.warnings.items():
                messages.warning(request, f"{FIELDS[field].label if field in FIELDS else field}:"
                                          f" {warning}")
            return redirect("lead", pk=lead.pk) if sees else redirect("lead-new")
    return render(request, "intake/lead_new.html", {"nav": "lead-new", "form": form},
                  status=400 if form.errors else 200)
