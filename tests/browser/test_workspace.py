"""Staff sign-in in a real browser: the form (with its hidden CSRF token) signs a user in, the
landing page names the user, institution and role, and signing out returns to the form. The
session cookie is out of the page's reach (HttpOnly)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.corpus import Corpus, LiveServer, live_server

PASSWORD = "correct horse battery"


@pytest.fixture
def workspace_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over an empty repository with one curator user."""
    data = tmp_path / "data"
    UserStore(LocalStore(data / "store")).create("wang.li", "蔚县文化馆", "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running


@pytest.fixture
def staff_page(browser: Browser, workspace_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=workspace_server.url, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def test_sign_in_through_the_form_and_see_the_landing_page(
    staff_page: Page, workspace_server: LiveServer, tmp_path: Path
) -> None:
    page = staff_page
    page.goto("/workspace/")
    expect(page).to_have_url(re.compile(r"/workspace/login$"))
    expect(page.locator("h1")).to_have_text(message("zh", "workspace.login_title"))
    assert page.locator("input[name=csrf_token]").get_attribute("value")
    page.locator("#name").fill("wang.li")
    page.locator("#password").fill("wrong password!")
    page.locator(".login-form button").click()
    expect(page.locator(".notice--error")).to_have_text(message("zh", "workspace.failed"))
    page.locator("#password").fill(PASSWORD)
    page.locator(".login-form button").click()
    expect(page).to_have_url(f"{workspace_server.url}/workspace/")
    expect(page.locator("#signed-in")).to_have_text(
        message("zh", "workspace.signed_in", name="wang.li")
    )
    expect(page.locator("#institution")).to_have_text("蔚县文化馆")
    expect(page.locator("#role")).to_have_text(message("zh", "workspace.role.curator"))
    assert "heritage_session" not in page.evaluate("document.cookie")  # HttpOnly
    page.screenshot(path=str(tmp_path / "workspace.png"))
    assert (tmp_path / "workspace.png").stat().st_size > 0
    page.locator(".logout-form button").click()
    expect(page).to_have_url(re.compile(r"/workspace/login$"))
    page.goto("/workspace/")
    expect(page).to_have_url(re.compile(r"/workspace/login$"))
