"""The HTTP enrichment provider against a local fake API on 127.0.0.1."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from leadgate.enrich.models import ProviderCache
from leadgate.enrich.pipeline import enrich_lead, lead_facts
from leadgate.enrich.providers.http import HttpProvider
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

ANSWER = {
    "company": {"industry": "Software", "metrics": {"employees": 250}},
    "tags": ["b2b", "saas"],
}


class FakeApi(BaseHTTPRequestHandler):
    """Answers by the `domain` query parameter: slow.example sleeps, broken.example
    fails with 500, garbage.example sends invalid JSON, unknown.example is a 404."""

    calls: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        FakeApi.calls.append({"path": self.path, "key": self.headers.get("X-Api-Key")})
        if "slow.example" in self.path:
            time.sleep(1.0)  # the client has given up by now: answer nothing
            return
        if "broken.example" in self.path:
            self.send_error(500)
            return
        if "unknown.example" in self.path:
            self.send_error(404)
            return
        body = b"{not json" if "garbage.example" in self.path else json.dumps(ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def api(settings):
    FakeApi.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.LEADGATE_ENRICH_HTTP = {
        "URL": f"http://127.0.0.1:{server.server_port}/v1/company?domain={{domain}}",
        "API_KEY": "k-123",
        "KEY_HEADER": "X-Api-Key",
        "TIMEOUT": 0.3,
        "RATE_PER_MINUTE": 60,
        "CACHE_SECONDS": 3600,
        "FIELD_MAP": json.dumps(
            {"company.industry": "industry", "company.metrics.employees": "employees",
             "tags.0": "segment", "company.missing": "nothing"}
        ),
    }
    yield FakeApi
    server.shutdown()
    server.server_close()


def test_it_maps_the_answer_to_facts_and_sends_the_api_key(api):
    facts = HttpProvider().enrich(make_lead(email="ada@acme.example"))
    assert facts == {"industry": "Software", "employees": 250, "segment": "b2b"}
    assert api.calls == [{"path": "/v1/company?domain=acme.example", "key": "k-123"}]


def test_it_records_the_http_provider_as_the_source_of_its_facts(api):
    lead = make_lead(email="ada@acme.example")
    enrich_lead(lead, ["http"])
    assert lead_facts(lead)["segment"]["provider"] == "http"


def test_it_records_a_timeout_without_raising(api):
    lead = make_lead(email="ada@slow.example")
    started = time.monotonic()
    facts = enrich_lead(lead, ["http"])
    assert time.monotonic() - started < 0.9
    assert "timed out" in facts["error.http"]


def test_it_records_a_server_error(api):
    lead = make_lead(email="ada@broken.example")
    assert enrich_lead(lead, ["http"])["error.http"] == "HTTP 500 from the enrichment API"


def test_it_records_an_answer_that_is_not_json(api):
    lead = make_lead(email="ada@garbage.example")
    assert "invalid JSON" in enrich_lead(lead, ["http"])["error.http"]


def test_it_caches_a_not_found_company_as_no_facts(api):
    assert HttpProvider().enrich(make_lead(email="ada@unknown.example")) == {}
    assert HttpProvider().enrich(make_lead(email="bob@unknown.example")) == {}
    assert len(api.calls) == 1


def test_it_makes_no_call_over_the_rate_limit(api, settings):
    settings.LEADGATE_ENRICH_HTTP = {**settings.LEADGATE_ENRICH_HTTP, "RATE_PER_MINUTE": 1}
    enrich_lead(make_lead(email="ada@one.example"), ["http"])
    facts = enrich_lead(make_lead(email="ada@two.example"), ["http"])
    assert facts["error.http"] == "rate limit reached: no call made"
    assert len(api.calls) == 1


def test_it_calls_again_in_the_next_minute(api, settings):
    settings.LEADGATE_ENRICH_HTTP = {**settings.LEADGATE_ENRICH_HTTP, "RATE_PER_MINUTE": 1}
    start = datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        HttpProvider().enrich(make_lead(email="ada@one.example"))
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert HttpProvider().enrich(make_lead(email="ada@two.example"))["industry"] == "Software"
    assert len(api.calls) == 2


def test_it_answers_the_same_domain_from_the_cache(api):
    HttpProvider().enrich(make_lead(email="ada@acme.example"))
    facts = HttpProvider().enrich(make_lead(email="bob@acme.example"))
    assert facts["industry"] == "Software"
    assert len(api.calls) == 1
    assert ProviderCache.objects.get(provider="http", key="acme.example").data == ANSWER


def test_it_calls_again_when_the_cache_has_expired(api):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        HttpProvider().enrich(make_lead(email="ada@acme.example"))
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        HttpProvider().enrich(make_lead(email="bob@acme.example"))
    assert len(api.calls) == 2


def test_it_does_nothing_when_not_configured(api, settings):
    settings.LEADGATE_ENRICH_HTTP = {**settings.LEADGATE_ENRICH_HTTP, "URL": ""}
    assert "error.http" not in enrich_lead(make_lead(email="ada@acme.example"))
    assert api.calls == []


def test_it_skips_a_lead_without_a_company_domain(api):
    assert HttpProvider().enrich(make_lead(email="ada@gmail.com")) == {}
    assert api.calls == []
