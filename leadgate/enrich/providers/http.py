"""One adapter for a commercial enrichment API over HTTP (settings.LEADGATE_ENRICH_HTTP).

Looks the lead's company domain up at a configured URL, maps fields of the JSON
answer to our facts, and keeps to a rate limit counted in the database. Answers
are cached per domain; errors raise ProviderError (recorded, never raised to intake).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils import timezone

from leadgate.intake import ratelimit
from leadgate.leads.models import Lead

from ..models import ProviderCache
from .base import Provider, ProviderError, lead_domain, register

MAX_BYTES = 1_000_000


def config() -> dict[str, Any]:
    return dict(settings.LEADGATE_ENRICH_HTTP)


def field_map(conf: dict[str, Any]) -> dict[str, str]:
    raw = conf.get("FIELD_MAP") or {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "{}")
        except ValueError as error:
            raise ProviderError(f"LEADGATE_ENRICH_HTTP field map is not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise ProviderError("LEADGATE_ENRICH_HTTP field map must be a JSON object")
    return {str(k): str(v) for k, v in raw.items()}


def dig(data: Any, path: str) -> Any:
    """"company.metrics.employees" or "people.0.title" in a JSON document; None if absent."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def fetch(url: str, conf: dict[str, Any]) -> Any:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ProviderError(f"enrichment URL must be http(s): {url!r}")
    headers = {"Accept": "application/json", "User-Agent": "leadgate-enrich/1"}
    if conf.get("API_KEY"):
        headers[str(conf.get("KEY_HEADER") or "Authorization")] = str(conf["API_KEY"])
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked
    timeout = float(conf.get("TIMEOUT") or 5)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None  # the API does not know the company: an answer, cached
        raise ProviderError(f"HTTP {error.code} from the enrichment API") from error
    except TimeoutError as error:
        raise ProviderError(f"enrichment API timed out after {timeout:g}s") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise ProviderError(f"enrichment API timed out after {timeout:g}s") from error
        raise ProviderError(f"enrichment API unreachable: {error.reason}") from error
    except OSError as error:
        raise ProviderError(f"enrichment API failed: {error}") from error
    if len(body) > MAX_BYTES:
        raise ProviderError("enrichment API answer too large")
    try:
        return json.loads(body)
    except ValueError as error:
        raise ProviderError("enrichment API answered with invalid JSON") from error


@register
class HttpProvider(Provider):
    kind = "http"
    fills = ()  # whatever the configured field map names

    def available(self) -> bool:
        return bool(config().get("URL"))

    def enrich(self, lead: Lead) -> dict[str, Any]:
        conf = config()
        if not conf.get("URL"):
            return {}
        mapping = field_map(conf)
        domain = lead_domain(lead)
        if not domain:
            return {}
        now = timezone.now()
        ttl = timedelta(seconds=int(conf.get("CACHE_SECONDS") or 0))
        cached = ProviderCache.objects.filter(
            provider=self.kind, key=domain, fetched_at__gte=now - ttl
        ).first()
        if cached is not None:
            data = cached.data
        else:
            limit = int(conf.get("RATE_PER_MINUTE") or 0)  # 0: no limit
            if limit > 0 and ratelimit.hit(f"enrich:{self.kind}", limit, now) is not None:
                raise ProviderError("rate limit reached: no call made")
            url = str(conf["URL"]).replace("{domain}", quote(domain, safe=""))
            data = fetch(url, conf)
            ProviderCache.objects.update_or_create(
                provider=self.kind, key=domain, defaults={"data": data, "fetched_at": now}
            )
        facts = {fact: dig(data, path) for path, fact in mapping.items()}
        return {k: v for k, v in facts.items() if v not in (None, "", [], {})}
