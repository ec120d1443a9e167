"""Helpers for web form tests: a form, and posts to its public endpoint."""

import json
from typing import Any
from urllib.parse import urlencode

from django.test import Client

from leadgate.intake.models import WebForm
from leadgate.leads.models import User
from tests.factories import make_campaign, make_user

ORIGIN = "https://www.example.com"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def make_webform(**fields: Any) -> WebForm:
    campaign = fields.setdefault("campaign", make_campaign())
    fields.setdefault("source", campaign.source if campaign else None)
    fields.setdefault("name", "Contact us")
    fields.setdefault("allowed_origins", ORIGIN)
    return WebForm.objects.create(**fields)


def make_marketer(username: str = "max") -> User:
    return make_user(username, "marketing")


def post_form(client: Client, form: WebForm, data: dict, **headers: str):
    """A browser's own post of the HTML snippet: form-encoded, and wants a page."""
    headers.setdefault("Accept", BROWSER_ACCEPT)
    return client.generic(
        "POST", f"/f/{form.key}", urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded", headers=headers,
    )


def post_json(client: Client, form: WebForm, data: Any, **headers: str):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.generic(
        "POST", f"/f/{form.key}", body, content_type="application/json", headers=headers
    )
