"""Country, region and time zone of the lead's phone number (phonenumbers' data)."""

from __future__ import annotations

import unicodedata
from typing import Any

import phonenumbers
from django.conf import settings
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezone

from leadgate.leads.models import Lead
from leadgate.lib.normalize import phone_region
from leadgate.lib.timezones import is_time_zone

from .base import Provider, register


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("_", " "))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


# Where most people of a country with several zones live: the guess for a
# number (a mobile, a toll-free one) that does not say where it is.
MAIN_ZONE = {
    "RU": "Europe/Moscow", "US": "America/New_York", "CA": "America/Toronto",
    "AU": "Australia/Sydney", "BR": "America/Sao_Paulo", "MX": "America/Mexico_City",
    "ID": "Asia/Jakarta", "KZ": "Asia/Almaty", "CN": "Asia/Shanghai",
}


def pick_zone(zones: list[str], region: str, country: str = "") -> tuple[str, bool]:
    """One zone of several: the one whose city the geocoder's region names
    (unambiguous), else the country's main zone or the first (ambiguous)."""
    if len(zones) == 1:
        return zones[0], False
    place = _fold(region)
    for zone in zones:
        city = _fold(zone.rsplit("/", 1)[-1])
        if place and city and city in place:
            return zone, False
    main = MAIN_ZONE.get(country)
    return (main if main in zones else zones[0]), True


@register
class PhoneProvider(Provider):
    kind = "phone"
    fills = ("phone_country", "phone_region", "time_zone", "time_zone_ambiguous")

    def enrich(self, lead: Lead) -> dict[str, Any]:
        if not lead.phone:
            return {}
        try:
            number = phonenumbers.parse(lead.phone, phone_region(
                lead.country, lead.email.rpartition("@")[2], lead.website,
                lead.account.country if lead.account is not None else "",
                default=settings.LEADGATE_DEFAULT_PHONE_REGION))
        except phonenumbers.NumberParseException:
            return {}
        if not phonenumbers.is_valid_number(number):
            return {}
        facts: dict[str, Any] = {
            "phone_country": phonenumbers.region_code_for_number(number) or "",
            "phone_region": geocoder.description_for_number(number, "en"),
        }
        zones = [
            z for z in phone_timezone.time_zones_for_number(number) if is_time_zone(z)
        ]
        if zones:
            zone, ambiguous = pick_zone(zones, facts["phone_region"], facts["phone_country"])
            facts["time_zone"] = zone
            facts["time_zone_ambiguous"] = ambiguous
        return {k: v for k, v in facts.items() if v not in (None, "")}
