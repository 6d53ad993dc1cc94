"""An admin's round trip in a real browser: make a curator on the people page, the curator signs in
in another browser, the admin disables them, and the curator's next page load lands on the
sign-in form. Then a key is made (its token shown once) and revoked. Screenshots of the people
page go to /tmp/ws-admin.png (a refused name: /tmp/ws-admin-error.png; the key page:
/tmp/ws-admin-keys.png) for people to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.corpus import Corpus, live_server
from tests.e2e.governance_support import INST_A
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
SCREENSHOT = Path("/tmp/ws-admin.png")
KEYS_SCREENSHOT = Path("/tmp/ws-admin-keys.png")
ERROR_SCREENSHOT = Path("/tmp/ws-admin-error.png")


@pytest.fixture
def admin_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over an empty repository with one admin."""
    data = tmp_path / "data"
    UserStore(LocalStore(data / "store")).create("ada", INST_A, "admin", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running


def open_browser(browser: Browser, server: LiveServer, errors: list[str]) -> BrowserContext:
    """A browser profile of its own (its own cookies), in Chinese; script errors are collected."""
    context = browser.new_context(
        base_url=server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    return context


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    page.goto("/workspace/login")
    page.locator("#name").fill(name)
    page.locator("#password").fill(password)
    page.locator(".login-form button").click()
    expect(page).to_have_url(re.compile(r"/workspace/$"))


def test_an_admin_makes_a_curator_and_disabling_them_signs_them_out(
    browser: Browser, admin_server: LiveServer
) -> None:
    errors: list[str] = []
    admin_context = open_browser(browser, admin_server, errors)
    admin = admin_context.new_page()
    sign_in(admin, "ada")
    admin.locator("#link-users").click()
    expect(admin.locator("h1")).to_have_text(message("zh", "admin.users_title"))
    admin.locator("#new-name").fill("wang.li")
    admin.locator("#new-institution").fill(INST_A)
    admin.locator("#new-role").select_option("curator")
    admin.locator("#new-password").fill(PASSWORD)
    admin.locator("#new-password-again").fill(PASSWORD)
    admin.locator("#create-user button[value=create]").click()
    expect(admin.locator("#admin-done")).to_have_text(
        message("zh", "admin.done.create", name="wang.li")
    )
    row = admin.locator("tr[data-user='wang.li']")
    expect(row.locator(".user-role")).to_have_attribute("data-role", "curator")
    admin.locator("#new-name").fill("Wang.Li")  # taken (names are not case-sensitive)
    admin.locator("#new-institution").fill(INST_A)
    admin.locator("#new-password").fill(PASSWORD)
    admin.locator("#new-password-again").fill(PASSWORD)
    admin.locator("#create-user button[value=create]").click()
    expect(admin.locator("#admin-problem")).to_have_text(
        message("zh", "admin.error.exists", value="wang.li")
    )
    expect(admin.locator("#new-name")).to_have_value("Wang.Li")
    expect(admin.locator("#new-name")).to_have_attribute("aria-invalid", "true")
    admin.screenshot(path=str(ERROR_SCREENSHOT), full_page=True)

    curator_context = open_browser(browser, admin_server, errors)
    curator = curator_context.new_page()
    sign_in(curator, "wang.li")
    curator.goto("/workspace/review")
    expect(curator.locator("h1")).to_have_text(message("zh", "review.title"))

    row.locator("button[data-action=disable]").click()
    expect(admin.locator("#admin-done")).to_have_text(
        message("zh", "admin.done.disable", name="wang.li")
    )
    expect(admin.locator("tr[data-user='wang.li']")).to_have_attribute("data-enabled", "no")
    admin.screenshot(path=str(SCREENSHOT), full_page=True)

    curator.reload()  # the session the curator already had is refused on their next page
    expect(curator).to_have_url(re.compile(r"/workspace/login$"))
    curator.goto("/workspace/")
    expect(curator).to_have_url(re.compile(r"/workspace/login$"))
    curator.locator("#name").fill("wang.li")
    curator.locator("#password").fill(PASSWORD)
    curator.locator(".login-form button").click()
    expect(curator.locator(".login-form")).to_be_visible()  # a disabled user cannot sign in
    expect(curator).to_have_url(re.compile(r"/workspace/login$"))
    curator_context.close()

    admin.goto("/workspace/keys")
    admin.locator("#key-institution").fill(INST_A)
    admin.locator("#key-role").select_option("archivist")
    admin.locator("#key-label").fill("扫描工作站")
    admin.locator("#create-key button[value=create]").click()
    token = admin.locator("#new-token").input_value()
    assert re.fullmatch(r"hk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    expect(admin.locator("#new-key-warning")).to_have_text(message("zh", "admin.key_once"))
    admin.screenshot(path=str(KEYS_SCREENSHOT), full_page=True)
    admin.goto("/workspace/keys")  # shown once: not on the list
    expect(admin.locator("#new-token")).to_have_count(0)
    assert token not in admin.content()
    key_row = admin.locator("tr[data-key]", has_text="扫描工作站")
    key_row.get_by_role("button", name=message("zh", "admin.revoke")).click()
    expect(admin.locator("tr[data-key]", has_text="扫描工作站")).to_have_attribute(
        "data-revoked", "yes"
    )
    admin_context.close()
    assert not errors, f"errors in the page: {errors}"
