"""Headless Chromium for browser tests, through Playwright's sync API.

Uses the system's Chromium (never downloads one). When it is missing the
tests are skipped, unless LEADGATE_REQUIRE_BROWSER=1 (CI), where that fails.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("LEADGATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM} (install Debian's chromium package)"
    if os.environ.get("LEADGATE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message}; LEADGATE_REQUIRE_BROWSER=1 makes this a failure.")
    pytest.skip(message)


@pytest.fixture
def browser_page(live_server):
    """A fresh page in headless Chromium, with the live server's URL as `base_url`."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are still synchronous, so let Django allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot when LEADGATE_SCREENSHOTS names a folder."""
    folder = os.environ.get("LEADGATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
