"""Headless Chromium for browser tests, through Playwright's sync API.

Uses the system's Chromium (never downloads one). When it is missing the
tests are skipped, unless LEADGATE_REQUIRE_BROWSER=1 (CI), where that fails.
"""

import contextlib
import os
import signal
import threading
import warnings
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
        with chromium_killed_after(CLOSE_AT_MOST):
            context.close()
            browser.close()
    finally:
        with chromium_killed_after(CLOSE_AT_MOST):
            playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Closing Chromium has no timeout in Playwright, and now and then it never
# returns (seen once in CI: an hour in a browser test's teardown).
CLOSE_AT_MOST = 20.0  # seconds


class chromium_killed_after:
    """Within the block, a watchdog kills this process's Chromium children if
    the block has not ended after `seconds`: the close that waits for them
    then returns (or raises, which is then only a warning), and the suite
    goes on."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = threading.Event()
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.daemon = True

    def _kill(self) -> None:
        self.fired.set()
        kill_chromium_children()

    def __enter__(self) -> None:
        self._timer.start()

    def __exit__(self, kind: object, error: object, traceback: object) -> bool:
        self._timer.cancel()
        if self.fired.is_set():
            warnings.warn(f"Chromium did not close within {self.seconds:g} s and was killed"
                          + (f" ({error!r})" if error else ""), stacklevel=2)
            return True
        return False


def kill_chromium_children() -> None:
    for pid in descendants(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"chrom" in command.split(b"\0", 1)[0]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def descendants(root: int) -> list[int]:
    """The pids of every process below `root`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The parent pid is the 2nd field after the command, which is in parentheses.
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot when LEADGATE_SCREENSHOTS names a folder."""
    folder = os.environ.get("LEADGATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page, username: str) -> None:
    """Log in through the login page as `username` (a factory user), out of any
    session the page had."""
    from tests.factories import PASSWORD

    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
