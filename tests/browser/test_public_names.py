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


@pytest.fixture(params=["zh", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def visitor(browser: Browser, names_server: LiveServer, lang: str) -> Iterator[Page]:
    """A fresh profile in `lang`; the pages are asked for in it too (?lang=)."""
    locale = "zh-CN" if lang == "zh" else "en-GB"
    context = browser.new_context(base_url=names_server.url, locale=locale)
    yield context.new_page()
    context.close()


def _shoot(page: Page, name: str) -> None:
    page.locator(".facts, #exhibition-title").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"names-{name}.png"))


def test_the_item_page_names_the_institution_never_its_code(visitor: Page, lang: str) -> None:
    label = message(lang, "fact.institution")
    for item_id, name in (("home-item", HOME[lang]), ("yuxian-item", YUXIAN[lang])):
        visitor.goto(f"/items/{item_id}?lang={lang}")
        assert _facts(visitor).get(label) == name, item_id
    _shoot(visitor, f"item-{lang}")
    visitor.goto(f"/items/quiet-item?lang={lang}")
    assert label not in _facts(visitor)
    assert "nameless" not in visitor.locator("main").inner_text()


def test_the_exhibition_page_names_the_institution_never_its_code(visitor: Page, lang: str) -> None:
    visitor.goto(f"/exhibitions/home-show?lang={lang}")
    expect(visitor.locator("#exhibition-by")).to_have_text(HOME[lang])
    _shoot(visitor, f"exhibition-{lang}")
    visitor.goto(f"/exhibitions/quiet-show?lang={lang}")
    expect(visitor.locator("#exhibition-title")).to_contain_text("quiet-show")
    expect(visitor.locator(".exhibition-by")).to_have_count(0)
    assert "nameless" not in visitor.locator("main").inner_text()


def test_the_contribution_tag_is_shown_in_the_page_s_language(visitor: Page, lang: str) -> None:
    visitor.goto(f"/items/home-item?lang={lang}")
    assert _facts(visitor)[message(lang, "fact.keywords")] == KEYWORDS[lang]
    _shoot(visitor, f"keywords-{lang}")
    stored = visitor.request.get("/api/items/home-item").json()["tags"]
    assert stored[0] == TAGS[0]  # the stored value is the word, whatever the page says
