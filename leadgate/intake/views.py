"""Marketing's pages for web forms: list, create, edit, and the snippet to paste.

The public end (`/f/<key>`) is in `forms_public`.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .fields import FIELDS
from .forms_public import CONSENT_FIELD, HONEYPOT_FIELD, field_specs
from .models import WebForm

FORM_ROLES = (Role.MARKETING, Role.MANAGER, Role.ADMIN)
# scheme://host[:port], as browsers send it in the Origin header: no path.
ORIGIN_RE = re.compile(
    r"^https?://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)"
    r"(:\d{1,5})?$"
)


def require_form_role(request: AuthedRequest) -> None:
    if not request.user.has_role(*FORM_ROLES):
        raise PermissionDenied


def https_urls(field: Any, **kwargs: Any) -> Any:
    """Model URL fields become form fields that assume https:// when the scheme
    is missing (Django 6's default; saying so silences 5.2's warning)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class WebFormForm(forms.ModelForm):
    # The model's `fields` (a JSON list) edited as text; the name differs
    # because a form's own `fields` is its dict of form fields.
    field_names = forms.CharField(
        label="Fields",
        help_text="intake field names in the order the form shows them, separated by commas: "
        + ", ".join(FIELDS),
        max_length=500,
    )
    redirect_url = forms.URLField(
        required=False, max_length=200, assume_scheme="https",
        help_text="where to send the visitor after; leave empty to show the thank-you text",
    )

    class Meta:
        model = WebForm
        formfield_callback = https_urls
        fields = [
            "name", "source", "campaign", "is_hot", "redirect_url", "thank_you",
            "allowed_origins", "consent_text", "active",
        ]
        widgets = {
            "allowed_origins": forms.Textarea(attrs={"rows": 3}),
            "thank_you": forms.Textarea(attrs={"rows": 2}),
            "consent_text": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "allowed_origins": "websites allowed to post this form, one a line, "
            "such as https://www.example.com (scheme, host and port only)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = self.instance.fields if self.instance.pk else WebForm().fields
        self.initial["field_names"] = ", ".join(str(name) for name in names)
        self.order_fields(["name", "field_names"])

    def clean_field_names(self) -> list[str]:
        text = self.cleaned_data["field_names"]
        names = [name.strip() for name in re.split(r"[,\s]+", text)]
        names = [name for name in names if name]
        unknown = [name for name in names if name not in FIELDS]
        if unknown:
            raise forms.ValidationError(
                "not intake fields: %(names)s", params={"names": ", ".join(unknown)}
            )
        if len(set(names)) != len(names):
            raise forms.ValidationError("each field may appear once")
        if "email" not in names and "phone" not in names:
            raise forms.ValidationError("a form needs an email or a phone field")
        self.instance.fields = names
        return names

    def clean_allowed_origins(self) -> str:
        origins = []
        for line in self.cleaned_data["allowed_origins"].splitlines():
            origin = line.strip().rstrip("/").lower()
            if not origin:
                continue
            if not ORIGIN_RE.match(origin):
                raise forms.ValidationError(
                    "%(line)s is not an origin such as https://www.example.com",
                    params={"line": line.strip()[:200]},
                )
            if origin not in origins:
                origins.append(origin)
        return "\n".join(origins)

    def clean_redirect_url(self) -> str:
        url = self.cleaned_data["redirect_url"]
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("use an http:// or https:// address")
        return url

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or self.cleaned_data
        source, campaign = data.get("source"), data.get("campaign")
        if source and campaign and campaign.source_id != source.pk:
            self.add_error("campaign", f"this campaign belongs to the source {campaign.source}")
        return data


@login_required
@require_GET
def form_list(request: AuthedRequest) -> HttpResponse:
    require_form_role(request)
    webforms = (
        WebForm.objects.select_related("source", "campaign")
        .annotate(submissions=Count("inquiries"))
        .order_by("-active", "name", "pk")
    )
    return render(request, "intake/form_list.html", {"nav": "forms", "webforms": webforms})


@login_required
@require_http_methods(["GET", "POST"])
def form_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """Create a form (no pk) or change one."""
    require_form_role(request)
    webform = get_object_or_404(WebForm, pk=pk) if pk else WebForm(created_by=request.user)
    form = WebFormForm(request.POST or None, instance=webform)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Saved the form {saved.name}.")
        return redirect("webform", pk=saved.pk)
    return render(
        request, "intake/form_edit.html",
        {"nav": "forms", "form": form, "webform": webform},
        status=400 if form.errors else 200,
    )


def snippets(request: AuthedRequest, webform: WebForm) -> dict[str, str]:
    """The HTML to paste into a page, and the one-line JS embed."""
    action = request.build_absolute_uri(reverse("webform-submit", args=[webform.key]))
    html = render_to_string("intake/snippet.html", {
        "webform": webform, "action": action, "fields": field_specs(webform),
        "honeypot": HONEYPOT_FIELD, "consent_field": CONSENT_FIELD,
    }).strip()
    script = render_to_string("intake/embed_snippet.html", {
        "src": request.build_absolute_uri(static("leadgate/embed.js")), "webform": webform,
    }).strip()
    return {"html": html, "script": script, "action": action}


@login_required
@require_GET
def form_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require_form_role(request)
    webform = get_object_or_404(WebForm.objects.select_related("source", "campaign"), pk=pk)
    return render(request, "intake/form_detail.html", {
        "nav": "forms", "webform": webform, "snippet": snippets(request, webform),
        "submissions": webform.inquiries.count(),
    })
