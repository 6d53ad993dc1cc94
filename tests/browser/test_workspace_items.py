"""The curator's round trip in a real browser: sign in, edit an item's title in the workspace form,
publish it from the review queue with a reason, and find it (by its new title) in the public
catalogue as an anonymous visitor. Screenshots of the queue and the form at 1280 px and at tablet
width go to the test's tmp dir."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.conftest import signed_in_page
from tests.browser.corpus import Corpus, live_server
from tests.e2e.governance_support import INST_A, ingest_rows, settings_for
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
NEW_TITLE = "重新编目的虎头鞋样"


@pytest.fixture
def review_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """`heritage serve` over one item waiting for review and a curator of its institution."""
    data = tmp_path / "data"
    rows = {"public-draft": {"status": "review", "access": "public"}}
    ids, _ = ingest_rows(settings_for(data), tmp_path / "source", rows, "browser-review")
    UserStore(LocalStore(data / "store")).create("wang.li", INST_A, "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running, ids["public-draft"]


def test_edit_publish_and_find_in_the_catalogue(
    browser: Browser, review_server: tuple[LiveServer, str], tmp_path: Path
) -> None:
    server, item = review_server
    with signed_in_page(browser, server.url, "wang.li", PASSWORD) as page:
        page.locator("#link-review").click()
        expect(page.locator("h1")).to_have_text(message("zh", "review.title"))
        row = page.locator(f"tr[data-item='{item}']")
        row.get_by_role("link", name="虎头鞋样").click()
        expect(page).to_have_url(re.compile(f"/workspace/items/{item}$"))
        page.locator("#title_zh").fill(NEW_TITLE)
        page.screenshot(path=str(tmp_path / "edit-1280.png"), full_page=True)
        page.locator(".edit-form > button").click()
        expect(page.locator("#edit-saved")).to_have_text(message("zh", "edit.saved"))
        expect(page.locator("#title_zh")).to_have_value(NEW_TITLE)

        page.goto("/workspace/review")
        row = page.locator(f"tr[data-item='{item}']")
        expect(row).to_contain_text(NEW_TITLE)
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
        page.screenshot(path=str(tmp_path / "review-tablet.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(tmp_path / "review-1280.png"), full_page=True)
        row.locator("input[name=reason]").fill("核对无误")
        row.get_by_role("button", name=message("zh", "review.move.published")).click()
        expect(page.locator("#review-done")).to_contain_text(item)

    visitor = browser.new_context(base_url=server.url, locale="zh-CN")
    public = visitor.new_page()
    public.goto("/?q=" + NEW_TITLE)
    expect(public.locator(f"a[href*='/items/{item}']").first).to_be_visible()
    visitor.close()
