"""A paged document in a real browser: the zoomable viewer loads the page asked for (its own IIIF
image service), and the previous/next links turn pages, the page's text following."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from repository import RecordStore, open_store
from tests.browser.corpus import Corpus, LiveServer, live_server
from tests.e2e.sharing_support import make_settings
from tests.e2e.test_document_pages import COLLECTION, ONLY_ON_PAGE_3, write_sources
from tests.support.ingesting import ingest_folder


@pytest.fixture(scope="module")
def booklet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data folder holding the ingested 3-page booklet, and the booklet's id."""
    root = tmp_path_factory.mktemp("browser-pages")
    source = write_sources(root / "source")
    settings = make_settings(root / "data")
    report = ingest_folder(
        settings,
        source,
        source / "manifest.csv",
        COLLECTION,
        institution="local",
        expect_failures=True,
    )
    (item,) = [i for i in report.items if i.source == "booklet.pdf"]
    assert item.id is not None and RecordStore(open_store(settings.store_config())).get(item.id)
    return root, item.id


@pytest.fixture(scope="module")
def server(booklet: tuple[Path, str]) -> Iterator[LiveServer]:
    root, _ = booklet
    with live_server(Corpus(root, root / "data", {})) as running:
        yield running


def test_the_viewer_shows_the_page_asked_for_and_turns_pages(
    page: Page, booklet: tuple[Path, str]
) -> None:
    _, item_id = booklet
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"/items/{item_id}?page=2#p2")
    page.wait_for_function(
        "() => window.heritageViewer && window.heritageViewer.world.getItemCount() > 0"
        " && window.heritageViewer.world.getItemAt(0).getFullyLoaded()"
    )
    infos = [url.split("/iiif/image/")[1] for url in requested if url.endswith("/info.json")]
    assert infos == [f"{item_id}~p2/info.json"]  # the viewer zooms into page 2, not page 1
    expect(page.locator(".viewer-caption")).to_have_text("第2页，共3页")

    page.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(rf"/items/{item_id}\?page=3#p3$"))
    expect(page.locator(".page-text__body")).to_contain_text(ONLY_ON_PAGE_3)
    expect(page.locator(".strip__item.is-current")).to_have_attribute("href", "?page=3#p3")
