"""An item's history in a real browser: a curator signs in, edits an item's title twice, opens
its history from the edit form, compares the first version with the current one, restores version
1 and finds the old title back in the form. Screenshots of the history page with its diff go to
/tmp/ws-history.png (1280 px) and /tmp/ws-history-tablet.png (820 px)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.conftest import signed_in_page
from tests.browser.corpus import Corpus, live_server
from tests.e2e.governance_support import INST_A, ingest_rows, settings_for
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
FIRST_TITLE = "虎头鞋样"  # what ingest_rows gives the item
TITLES = ("虎头鞋样（初校）", "虎头鞋样（二校）")
SCREENSHOT = Path("/tmp/ws-history.png")


@pytest.fixture
def history_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """`heritage serve` over one published item and a curator of its institution."""
    data = tmp_path / "data"
    rows = {"public-draft": {"status": "published", "access": "public"}}
    ids, _ = ingest_rows(settings_for(data), tmp_path / "source", rows, "browser-history")
    UserStore(LocalStore(data / "store")).create("wang.li", INST_A, "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running, ids["public-draft"]


def save_title(page: Page, title: str) -> None:
    page.locator("#title_zh").fill(title)
    page.locator(".edit-form > button").click()
    expect(page.locator("#edit-saved")).to_have_text(message("zh", "edit.saved"))


def test_edit_twice_compare_and_restore_the_first_version(
    browser: Browser, history_server: tuple[LiveServer, str]
) -> None:
    server, item = history_server
    with signed_in_page(browser, server.url, "wang.li", PASSWORD) as page:
        page.goto(f"/workspace/items/{item}")
        for title in TITLES:
            save_title(page, title)

        page.locator("#link-history").click()
        expect(page).to_have_url(re.compile(f"/workspace/items/{item}/history$"))
        rows = page.locator("#history-versions tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.first).to_have_attribute("data-version", "3")
        expect(rows.first).to_contain_text("title")
        expect(rows.first).to_contain_text(f"{INST_A}/curator (user wang.li)")

        # compare version 1 with the current one through the form (a plain GET, no script)
        page.locator("#diff-from").select_option("1")
        page.locator("#diff-to").select_option("3")
        page.get_by_role("button", name=message("zh", "history.show_diff")).click()
        title_row = page.locator("#history-diff-table tr[data-field='title']")
        expect(title_row.locator("td.before")).to_contain_text(FIRST_TITLE)
        expect(title_row.locator("td.after")).to_contain_text(TITLES[1])
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.set_viewport_size({"width": 820, "height": 1180})  # a tablet held upright
        page.screenshot(path=str(SCREENSHOT.with_name("ws-history-tablet.png")), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        # restore version 1: a new version 4 with the first title
        version_1 = page.locator("#history-versions tr[data-version='1']")
        version_1.get_by_role("button", name=message("zh", "history.restore_n", n=1)).click()
        notice = message("zh", "history.restored", n=1, last=4)
        expect(page.locator("#history-notice")).to_have_text(notice)
        expect(page.locator("#history-versions tbody tr")).to_have_count(4)
        page.locator("#link-edit").click()
        expect(page.locator("#title_zh")).to_have_value(FIRST_TITLE)
