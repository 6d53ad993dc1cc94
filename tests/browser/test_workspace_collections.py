"""A curator's collection round trip in a real browser: sign in, open the collections from the
workspace, try a Chinese slug (refused on the form, in Chinese, keeping what was typed), create the
collection with a Chinese title, then edit its English description. A screenshot of the saved form
goes to /tmp/ws-collections.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from api.http.i18n import message
from repository import LocalStore, RecordStore
from repository.users import UserStore
from tests.browser.conftest import signed_in_page
from tests.browser.corpus import Corpus, live_server
from tests.e2e.governance_support import INST_A, ingest_rows, settings_for
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
SCREENSHOT = Path("/tmp/ws-collections.png")
TITLE_ZH = "蔚县点彩剪纸"
DESCRIPTION_ZH = "河北蔚县的点彩剪纸，以阴刻为主。"
DESCRIPTION_EN = "Dotted and coloured papercuts from Yuxian, Hebei."


@pytest.fixture
def collections_server(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    """`heritage serve` over one collection of institution A and a curator of A."""
    data = tmp_path / "data"
    rows = {"public-published": {"status": "published", "access": "public"}}
    ingest_rows(settings_for(data), tmp_path / "source", rows, "browser-collections")
    UserStore(LocalStore(data / "store")).create("wang.li", INST_A, "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running, data


def test_a_curator_creates_a_collection_and_edits_its_english_description(
    browser: Browser, collections_server: tuple[LiveServer, Path]
) -> None:
    server, data = collections_server
    with signed_in_page(browser, server.url, "wang.li", PASSWORD) as page:
        page.locator("#link-collections").click()
        expect(page.locator("h1")).to_have_text(message("zh", "collections.title"))
        expect(page.locator("tr[data-collection='browser-collections']")).to_be_visible()

        page.locator("#collection-new").click()
        expect(page).to_have_url(re.compile("/workspace/collections/new$"))
        page.locator("#slug").fill("蔚县剪纸")  # not ASCII: refused on the form, kept as typed
        page.locator("#title_zh").fill(TITLE_ZH)
        page.locator("#description_zh").fill(DESCRIPTION_ZH)
        page.locator(".collection-form > button").click()
        expect(page.locator("#problem-slug")).to_have_text(
            message("zh", "collections.problem.slug_invalid")
        )
        expect(page.locator("#slug")).to_have_value("蔚县剪纸")
        expect(page.locator("#title_zh")).to_have_value(TITLE_ZH)
        expect(page.locator("#description_zh")).to_have_value(DESCRIPTION_ZH)

        page.locator("#slug").fill("yuxian-papercuts")
        page.locator(".collection-form > button").click()
        expect(page).to_have_url(re.compile("/workspace/collections/yuxian-papercuts\\?saved=1$"))
        expect(page.locator("#collection-saved")).to_have_text(message("zh", "collections.saved"))
        expect(page.locator("h1")).to_contain_text(TITLE_ZH)

        page.locator("#description_en").fill(DESCRIPTION_EN)
        page.locator(".collection-form > button").click()
        expect(page.locator("#collection-saved")).to_be_visible()
        expect(page.locator("#description_en")).to_have_value(DESCRIPTION_EN)
        expect(page.locator("#description_zh")).to_have_value(DESCRIPTION_ZH)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.goto("/workspace/collections")
        expect(page.locator("tr[data-collection='yuxian-papercuts']")).to_contain_text(TITLE_ZH)

    described = RecordStore(LocalStore(data / "store")).load_collection("yuxian-papercuts")
    assert described is not None
    assert described["title"] == {"zh": TITLE_ZH}
    assert described["description"] == {"zh": DESCRIPTION_ZH, "en": DESCRIPTION_EN}
    assert described["institution"] == INST_A
