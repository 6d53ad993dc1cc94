"""Authority cards in a real browser: typing a project's name into the catalogue's search box
shows its card above the results (updated in place, as the results are), and a query naming no
authority shows none."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.corpus import HERITAGE, Corpus, _run, live_server
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def seeded(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The corpus with the seed list of projects, served."""
    copy = corpus.copy(tmp_path_factory.mktemp("authority-cards"))
    _run([str(HERITAGE), "authorities", "seed"], copy.env(), copy.root)
    with live_server(copy) as running:
        yield running


def test_typing_a_projects_name_shows_its_card(page: Page, seeded: LiveServer) -> None:
    page.goto(f"{seeded.url}/")
    page.evaluate("window.__samePage = true")
    cards = page.locator("#authority-cards")
    expect(cards).to_be_hidden()
    page.locator("#q").fill("剪纸")
    expect(page).to_have_url(f"{seeded.url}/?q={quote('剪纸')}")
    link = cards.locator("a.authority-card__name")
    expect(link).to_have_attribute("href", "/projects/project-vii-16")
    expect(link).to_have_text("剪纸")
    expect(cards).to_contain_text("Ⅶ-16")
    assert page.evaluate("window.__samePage") is True  # updated in place, no reload
    page.locator("#q").fill("长调录音")
    expect(page).to_have_url(f"{seeded.url}/?q={quote('长调录音')}")
    expect(cards).to_be_hidden()
    link_count = cards.locator("a").count()
    assert link_count == 0
