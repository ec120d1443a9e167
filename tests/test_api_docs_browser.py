"""/api/docs works offline: Swagger UI comes from this server, not a CDN,
and draws the API's operations under the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from tests.browser import browser_page  # noqa: F401
from tests.test_csp_browser import WATCH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_draws_the_api_docs_with_no_other_origin_reachable(browser_page, live_server):  # noqa: F811
    page = browser_page
    elsewhere = []

    def only_this_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.add_init_script(WATCH)
    page.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/reports/{slug}", exact=True)).to_be_visible()
    assert elsewhere == []
    assert page.evaluate("window.__csp") == []
