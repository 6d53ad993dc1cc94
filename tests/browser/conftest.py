"""A real Chromium (Debian's, driven by Playwright) against a real `heritage serve` on a free port,
over a corpus built by the CLI at the start of the session. Screenshots of the main pages go to
`test-artifacts/screenshots/` (gitignored) for people to look at."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.corpus import Corpus, LiveServer, live_server, shared_corpus

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return shared_corpus()


@pytest.fixture(scope="session")
def server(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Its own copy: the pages append to the search log in the data dir.
    with live_server(corpus.copy(tmp_path_factory.mktemp("browser"))) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh (apt-get install chromium)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Script errors and console errors (failed loads included) of the test's page."""
    return []


@pytest.fixture
def page(browser: Browser, server: LiveServer, page_errors: list[str]) -> Iterator[Page]:
    """A fresh browser profile in Chinese; any error in the page fails the test."""
    context = browser.new_context(
        base_url=server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", lambda m: _console_error(m, page_errors))
    yield page
    context.close()
    assert not page_errors, f"errors in the page: {page_errors}"


def _console_error(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(f"{message.text} ({message.location.get('url')})")


Shoot = Callable[[Page, str], Path]


@pytest.fixture
def shoot() -> Shoot:
    """Save a screenshot of the page's viewport as test-artifacts/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path))
        return path

    return take


@contextmanager
def signed_in_page(browser: Browser, server_url: str, name: str, password: str) -> Iterator[Page]:
    """A fresh Chinese profile at 1280 px, signed in through the workspace's form; any script
    error in its pages fails the test when the block ends."""
    context = browser.new_context(
        base_url=server_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, name, password)
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def sign_in(page: Page, name: str, password: str) -> None:
    """Through the workspace's own sign-in form, as a member of staff does."""
    page.goto("/workspace/login")
    page.locator("#name").fill(name)
    page.locator("#password").fill(password)
    page.locator(".login-form button").click()
