"""Editing an account from its page.

    GET/POST  /accounts/<id>/edit    the company's name, domain, website,
                                     firmographics and owner

Managers and admins change everything; the account's owner (a qualifier or a
sales rep who works the company) corrects its firmographics but does not
give the account away. Anyone else is refused (403); an account the viewer
may not see is not found (404), as on its page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role
from leadgate.leads.models import Account, User
from leadgate.leads.search import visible_accounts
from leadgate.lib.countries import country_code
from leadgate.lib.normalize import registrable_domain

OWNER_ROLES = (Role.QUALIFIER, Role.SALES, Role.MANAGER)


def may_edit(user: User, account: Account) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN) or (
        account.owner_id is not None and account.owner_id == user.pk)


def may_give_away(user: User) -> bool:
    return user.has_role(Role.MANAGER, Role.ADMIN)


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.team})" if obj.team_id else name


class AccountForm(forms.ModelForm):
    owner = OwnerField(
        queryset=User.objects.none(), required=False, empty_label="Nobody",
        help_text="new leads of this company go to the owner; leads already worked keep theirs",
    )

    # Typed as a name or a code; stored as the ISO code (clean_country).
    country = forms.CharField(max_length=100, required=False,
                              help_text="a name or an ISO code, such as Germany or DE")

    class Meta:
        model = Account
        fields = ["name", "domain", "website", "industry", "employees", "annual_revenue",
                  "country", "city", "owner"]
        labels = {"annual_revenue": "Annual revenue", "employees": "Employees"}
        help_texts = {"domain": "the company's web domain, such as acme.com: leads with an "
                                "address at it join this account"}
        widgets = {"annual_revenue": forms.NumberInput(attrs={"step": "1", "min": "0"})}

    def __init__(self, *args: Any, owner_editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owner_editable:
            # An owner who left (or changed roles) stays listed until changed.
            owners = User.objects.filter(Q(is_active=True, groups__name__in=OWNER_ROLES)
                                         | Q(pk=self.instance.owner_id or 0))
            self.fields["owner"].queryset = (  # type: ignore[attr-defined]
                owners.select_related("team").distinct().order_by("first_name", "username"))
        else:
            del self.fields["owner"]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("give the company a name")
        return name

    def clean_domain(self) -> str:
        raw = self.cleaned_data["domain"].strip()
        if not raw:
            return ""
        domain = registrable_domain(raw)
        if not domain:
            raise forms.ValidationError("not a web domain such as acme.com")
        other = Account.objects.filter(domain=domain).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise forms.ValidationError(
                "another account has the domain %(domain)s: %(name)s (#%(pk)s)",
                params={"domain": domain, "name": other.name, "pk": other.pk})
        return domain

    def clean_website(self) -> str:
        website = self.cleaned_data["website"].strip()
        if website and not registrable_domain(website):
            raise forms.ValidationError("not a web address such as https://www.acme.com")
        if website and "://" not in website:
            website = "https://" + website
        if website and not website.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("use an http:// or https:// address")
        return website

    def clean_country(self) -> str:
        raw = self.cleaned_data["country"].strip()
        if not raw:
            return ""
        code = country_code(raw)
        if not code:
            raise forms.ValidationError("not a country: give its name or ISO code, such as DE")
        return code

    def clean_annual_revenue(self) -> Decimal | None:
        revenue = self.cleaned_data["annual_revenue"]
        if revenue is not None and revenue < 0:
            raise forms.ValidationError("revenue is not negative")
        return revenue

    def clean_industry(self) -> str:
        return " ".join(self.cleaned_data["industry"].split())

    def clean_city(self) -> str:
        return " ".join(self.cleaned_data["city"].split())


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    account = visible_accounts(request.user).select_related("owner").filter(pk=pk).first()
    if account is None:
        raise Http404("no such account")
    if not may_edit(request.user, account):
        raise PermissionDenied
    form = AccountForm(request.POST or None, instance=account,
                       owner_editable=may_give_away(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except IntegrityError:  # the same domain, saved meanwhile by someone else
            form.add_error("domain", "another account has this domain")
        else:
            messages.success(request, f"Saved the account {saved.name}.")
            return redirect("account", pk=saved.pk)
    return render(request, "workspace/account_edit.html", {
        "nav": "search", "form": form, "account": account,
        "owner_editable": "owner" in form.fields,
    }, status=400 if form.errors else 200)
