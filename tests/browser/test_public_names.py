"""What the public item and exhibition pages call things, in a real browser, in Chinese and
English: an institution by its name (the settings' name of the default institution, or the
institution authority record `institution-<code>`), nothing when neither names it, never its
code; the tag the catalogue gives a visitor's contribution (`contribution`) in the page's
language, its stored value kept. Screenshots: test-artifacts/screenshots/names-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from api.services import Services
from api.settings import Settings
from repository import make_event, now_iso
from repository.authorities import AuthorityStore
from repository.exhibitions import ExhibitionStore
from tests.browser.conftest import SCREENSHOTS
from tests.browser.corpus import Corpus, live_server
from tests.support.server import LiveServer

HOME = {"zh": "安塞区文化馆", "en": "Ansai Culture Centre"}  # HERITAGE_INSTITUTION=local
YUXIAN = {"zh": "蔚县剪纸博物馆", "en": "Yuxian Paper-cut Museum"}  # authority institution-yuxian
TAGS = [  # as a contribution's record has them (api.operations.contributions), + a keyword
    {"value": "contribution", "source": "given", "by": "manifest"},
    {"value": "窗花", "source": "given", "by": "manifest"},
    {"value": "image", "source": "derived", "by": "technical"},
]
KEYWORDS = {"zh": "公众投稿; 窗花", "en": "Public contribution; 窗花"}
SETTINGS = {"HERITAGE_INSTITUTION_NAME": HOME["zh"], "HERITAGE_INSTITUTION_NAME_EN": HOME["en"]}


def _record(item_id: str, institution: str, **more: Any) -> dict[str, Any]:
    now = now_iso()
    return {
        "schema_version": "1.0",
        "id": item_id,
        "collection": "names",
        "institution": institution,
        "title": {"zh": f"剪纸 {item_id}", "en": f"Paper cut {item_id}"},
        "media_type": "image",
        "access": "public",
        "status": "published",
        "files": [],
        "events": [make_event("ingestion", "pytest", "success", "stored by the names test")],
        "created": now,
        "modified": now,
        **more,
    }


def _exhibition(slug: str, institution: str, item_id: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "institution": institution,
        "title": {"zh": f"展览 {slug}", "en": f"Exhibition {slug}"},
        "status": "published",
        "sections": [{"entries": [{"item": item_id}]}],
    }


@pytest.fixture(scope="module")
def names_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Items and exhibitions of the default institution `local` (named by the settings), of
    `yuxian` (named by its authority record) and of `nameless` (named by neither)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("names")
    corpus = Corpus(root, root / "data", {})
    services = Services.from_settings(Settings(data_dir=corpus.data_dir))
    try:
        records = [
            _record("home-item", "local", tags=TAGS),
            _record("yuxian-item", "yuxian"),
            _record("quiet-item", "nameless"),
        ]
        for record in records:
            services.records.save(record)
        services.index.index(records)
        AuthorityStore(services.store).save(
            {"id": "institution-yuxian", "kind": "institution", "names": YUXIAN}
        )
        exhibitions = ExhibitionStore(services.store)
        exhibitions.save(_exhibition("home-show", "local", "home-item"), create=True)
        exhibitions.save(_exhibition("quiet-show", "nameless", "quiet-item"), create=True)
    finally:
        services.close()
    with live_server(corpus, SETTINGS) as running:
        yield running


def _facts(page: Page) -> dict[str, str]:
    rows = page.locator(".facts__row")
    return {
        rows.nth(n).locator("dt").inner_text(): rows.nth(n).locator("dd").inner_text()
        for n in range(rows.count())
    }


def _open(browser: Browser, server: LiveServer, lang: str) -> Page:
    context = browser.new_context(base_url=server.url, locale="zh-CN" if lang == "zh" else "en-GB")
    return context.new_page()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_item_page_names_the_institution_never_its_code(
    browser: Browser, names_server: LiveServer, lang: str
) -> None:
    page = _open(browser, names_server, lang)
    label = message(lang, "fact.institution")
    for item_id, name in (("home-item", HOME[lang]), ("yuxian-item", YUXIAN[lang])):
        page.goto(f"/items/{item_id}?lang={lang}")
        assert _facts(page).get(label) == name, item_id
    page.locator(".facts").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"names-item-{lang}.png"))
    page.goto(f"/items/quiet-item?lang={lang}")
    assert label not in _facts(page)
    assert "nameless" not in page.locator("main").inner_text()
    page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_exhibition_page_names_the_institution_never_its_code(
    browser: Browser, names_server: LiveServer, lang: str
) -> None:
    page = _open(browser, names_server, lang)
    page.goto(f"/exhibitions/home-show?lang={lang}")
    expect(page.locator("#exhibition-by")).to_have_text(HOME[lang])
    page.screenshot(path=str(SCREENSHOTS / f"names-exhibition-{lang}.png"))
    page.goto(f"/exhibitions/quiet-show?lang={lang}")
    expect(page.locator("h1")).to_have_text(
        f"{'展览' if lang == 'zh' else 'Exhibition'} quiet-show"
    )
    expect(page.locator(".exhibition-by")).to_have_count(0)
    assert "nameless" not in page.locator("main").inner_text()
    page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_contribution_tag_is_shown_in_the_page_s_language(
    browser: Browser, names_server: LiveServer, lang: str
) -> None:
    page = _open(browser, names_server, lang)
    page.goto(f"/items/home-item?lang={lang}")
    assert _facts(page)[message(lang, "fact.keywords")] == KEYWORDS[lang]
    page.locator(".facts").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"names-keywords-{lang}.png"))
    stored = page.request.get("/api/items/home-item").json()["tags"]
    assert stored[0] == TAGS[0]  # the stored value is the word, whatever the page says
    page.context.close()
