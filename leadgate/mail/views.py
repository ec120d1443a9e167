"""The public addresses in emails, reached without logging in:

- /mail/u/<token>: unsubscribe. GET shows a page with a button and changes
  nothing (mail scanners and link previews GET every link); POST unsubscribes
  every recipient of that email: the page's form (CSRF-checked), or the
  mailbox provider's RFC 8058 one-click POST (body List-Unsubscribe=One-Click,
  no cookie, so exempt from the CSRF check).
- /mail/c/<token>: a tracked link; recorded, then redirected to that link of
  that email (tracking.py).
- /mail/o/<token>: the open pixel; recorded, a 1x1 GIF whatever the token.

A bad token changes nothing and tells nothing: the same neutral page, no
address; the pixel answers its GIF all the same.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from . import tracking, unsubscribe
from .models import EmailEvent, OutboundEmail, Suppression
from .sender import address_of
from .suppression import suppress, suppressed


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "mail/not_found.html", status=404)


def _answered(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """The CSRF check the view is exempt from, for the page's own form (a
    view not marked exempt: the middleware's own check, its 403 page)."""
    return CsrfViewMiddleware(_answered).process_view(request, _answered, (), {})


def unsubscribe_recipients(email: OutboundEmail, user_agent: str = "") -> int:
    """Put every recipient of `email` on the suppression list (unsubscribed);
    how many were not on it yet. Idempotent: an address already there is left
    as it is (no second event for a repeated POST)."""
    addresses = [address for address in dict.fromkeys(map(address_of, email.to)) if address]
    added = 0
    with transaction.atomic():
        for address in sorted(set(addresses) - suppressed(addresses)):
            added += suppress(address, Suppression.Reason.UNSUBSCRIBED, email=email)[1]
        if added:
            EmailEvent.objects.create(email=email, kind=EmailEvent.Kind.UNSUBSCRIBED,
                                      user_agent=user_agent[:500])
    return added


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponseBase:
    email = unsubscribe.email_of(token)
    if email is None:
        return not_found(request)
    context = {"company": settings.LEADGATE_COMPANY_NAME}
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != "One-Click":
            refusal = _csrf_refusal(request)
            if refusal is not None:
                return refusal
        unsubscribe_recipients(email, _user_agent(request))
        return render(request, "mail/unsubscribed.html", context)
    return render(request, "mail/unsubscribe.html", context)


@never_cache
@require_safe
def click(request: HttpRequest, token: str) -> HttpResponse:
    found = tracking.click_of(token)
    if found is None:
        return not_found(request)
    email, index = found
    if request.method == "GET":  # a HEAD is a checker's, never a person's click
        tracking.record(email, EmailEvent.Kind.CLICKED, _user_agent(request), index=index)
    url = email.links[index]
    if url == tracking.HONEYPOT:
        return not_found(request)
    # Only the link recorded for this index of this email: nothing from the request.
    return HttpResponseRedirect(url)


@never_cache
@require_safe
def pixel(request: HttpRequest, token: str) -> HttpResponse:
    email = tracking.open_of(token)
    if email is not None and request.method == "GET":
        tracking.record(email, EmailEvent.Kind.OPENED, _user_agent(request))
    response = HttpResponse(tracking.PIXEL, content_type="image/gif")
    response["Pragma"] = "no-cache"  # HTTP/1.0 caches and proxies
    return response
