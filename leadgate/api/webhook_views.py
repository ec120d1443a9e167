"""Admins' and managers' pages for outbound webhooks, under /settings/webhooks/:
subscriptions with their state, create (the secret shown once), edit events
and on/off, rotate the secret, delete, send a test ping, and the delivery log.

Everyone else gets 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from . import webhooks
from .models import WEBHOOK_EVENTS, WebhookDelivery, WebhookSubscription

ADMIN_ROLES = (Role.ADMIN, Role.MANAGER)
LOG_PAGE_SIZE = 25
# The secret of a just created or rotated subscription waits here for one view.
SECRET_SESSION_KEY = "webhook-secret-{pk}"  # noqa: S105 - a session key name


def require_admin(request: AuthedRequest) -> None:
    if not request.user.has_role(*ADMIN_ROLES):
        raise PermissionDenied


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https",
        help_text="Where Leadgate POSTs the events (http or https).",
        widget=forms.URLInput(attrs={"size": 60, "placeholder": "https://"}),
    )
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this URL.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "active"]
        labels = {"active": "On"}

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.TargetRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return url

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [event for event in WEBHOOK_EVENTS if event in chosen]


def page(request: AuthedRequest, template: str, context: dict[str, Any],
         status: int = 200) -> HttpResponse:
    return render(request, template, {"nav": "webhooks", **context}, status=status)


@login_required
@require_GET
def subscription_list(request: AuthedRequest) -> HttpResponse:
    require_admin(request)
    subscriptions = WebhookSubscription.objects.annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status__in=["pending", "failed"])),
        last_delivered=Max("deliveries__delivered_at"),
    ).order_by("-active", "url", "pk")
    return page(request, "api/webhook_list.html", {"subscriptions": list(subscriptions)})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_new(request: AuthedRequest) -> HttpResponse:
    require_admin(request)
    if request.method == "GET":
        form = SubscriptionForm(initial={"active": True, "events": list(WEBHOOK_EVENTS)})
        return page(request, "api/webhook_edit.html", {"form": form, "subscription": None})
    form = SubscriptionForm(request.POST, instance=WebhookSubscription(created_by=request.user))
    if not form.is_valid():
        return page(request, "api/webhook_edit.html", {"form": form, "subscription": None},
                    status=400)
    subscription = form.save()
    request.session[SECRET_SESSION_KEY.format(pk=subscription.pk)] = subscription.secret
    messages.success(request, f"Created the webhook to {subscription.url}.")
    return redirect("webhook", subscription.pk)


@login_required
@require_http_methods(["GET", "POST"])
def subscription_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The subscription's settings, its secret if just made, and its delivery log."""
    require_admin(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    status = 200
    if request.method == "POST":
        was_active = subscription.active
        form = SubscriptionForm(request.POST, instance=subscription)
        if form.is_valid():
            subscription = form.save(commit=False)
            if subscription.active and not was_active:
                # Switched back on: a fresh count, and the reason is history.
                subscription.consecutive_failures = 0
                subscription.disabled_at, subscription.disabled_reason = None, ""
            subscription.save()
            messages.success(request, "Saved the webhook.")
            return redirect("webhook", subscription.pk)
        subscription = WebhookSubscription.objects.get(pk=pk)
        status = 400
    else:
        form = SubscriptionForm(instance=subscription)
    deliveries = Paginator(
        subscription.deliveries.order_by("-created_at", "-pk"), LOG_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return page(request, "api/webhook_detail.html", {
        "subscription": subscription, "form": form, "deliveries": deliveries,
        "secret": request.session.pop(SECRET_SESSION_KEY.format(pk=pk), None),
    }, status=status)


@login_required
@require_POST
def subscription_rotate(request: AuthedRequest, pk: int) -> HttpResponse:
    require_admin(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    request.session[SECRET_SESSION_KEY.format(pk=pk)] = subscription.rotate_secret()
    messages.success(request, "New secret made: the old one no longer signs deliveries.")
    return redirect("webhook", pk)


@login_required
@require_POST
def subscription_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    require_admin(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    with transaction.atomic():
        subscription.delete()
    messages.success(request, f"Deleted the webhook to {subscription.url} and its log.")
    return redirect("webhooks")


@login_required
@require_POST
def subscription_test(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send a `ping` now and say how it went (it is in the log too)."""
    require_admin(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    delivery = webhooks.ping(subscription, by=request.user)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        messages.success(request, f"Test ping delivered: HTTP {delivery.last_status_code}.")
    else:
        messages.error(request, f"Test ping failed: {delivery.last_error}")
    return redirect("webhook", pk)
