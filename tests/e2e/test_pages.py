"""The public catalogue pages over HTTP, without a browser: what a visitor with JavaScript off
gets, escaping of hostile text, long and empty searches, facets, paging, item pages, language."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.i18n import LANG_COOKIE, MESSAGES_DIR, message
from api.http.routes.pages import MAX_QUERY_CHARS, STRIP_PAGE
from api.settings import Settings
from tests.browser.corpus import (
    HOSTILE_TITLE_EN,
    HOSTILE_TITLE_ZH,
    MANY_IMAGES,
    Corpus,
    shared_corpus,
)
from tests.browser.markup import Node, parse

OUR_SCRIPTS = {
    "/static/catalogue.js",
    "/static/item.js",
    "/static/vendor/openseadragon/openseadragon.min.js",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return shared_corpus()


@pytest.fixture(scope="module")
def client(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # A copy: rendering `/` appends to the search log in the data dir.
    copy = corpus.copy(tmp_path_factory.mktemp("pages"))
    with TestClient(create_app(copy.settings())) as client:
        yield client


def page(client: TestClient, url: str, lang: str = "zh", status: int = 200) -> Node:
    response = client.get(url, headers={"Accept-Language": lang, "Accept": "text/html"})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


def api(client: TestClient, **params: object) -> dict:
    response = client.get(f"/api/search?{urlencode(params, doseq=True)}")
    assert response.status_code == 200, response.text
    return response.json()


def card_titles(doc: Node) -> list[str]:
    return [card.find("h3", "card__title").text() for card in doc.find_all("li", "card")]


def facet_options(doc: Node, name: str) -> list[tuple[str, int, str]]:
    """(label, count, href) of each value of one facet, as the sidebar shows them."""
    section = doc.find("section", "facet", data_facet=name)
    return [
        (
            link.find("span", "facet__label").text(),
            int(link.find("span", "facet__count").text().replace(",", "")),
            link.attrs["href"],
        )
        for link in section.find_all("a", "facet__option")
    ]


@pytest.mark.parametrize(("q", "lang"), [("剪纸", "zh"), ("paper cutting", "en")])
def test_results_render_without_javascript(client: TestClient, q: str, lang: str) -> None:
    expected = api(client, q=q, lang=lang, size=24)
    assert expected["total"] > 0
    doc = page(client, f"/?{urlencode({'q': q})}", lang=lang)
    assert card_titles(doc) == [item["title"] for item in expected["items"]]
    count = doc.find(id="results-count").text().strip()
    assert count == message(lang, "results.count", n=f"{expected['total']:,}")
    search_box = doc.find("input", id="q")
    assert search_box.attrs["value"] == q
    links = [c.find("a").attrs["href"] for c in doc.find_all("h3", "card__title")]
    assert links == [item["page_url"] for item in expected["items"]]


def test_html_in_titles_is_text_on_every_page(client: TestClient, corpus: Corpus) -> None:
    hostile_id = corpus.ids["hostile"]
    for url, lang in [
        ("/?q=粗体", "zh"),
        ("/?q=paper+cutting", "en"),
        (f"/items/{hostile_id}", "zh"),
        (f"/items/{hostile_id}", "en"),
    ]:
        response = client.get(url, headers={"Accept-Language": lang})
        assert response.status_code == 200
        body = response.text
        assert "<script>window.__pwned" not in body
        assert "<img src=x" not in body
        assert "<b>粗体</b>" not in body
        scripts = parse(body).find_all("script")
        assert {s.attrs["src"] for s in scripts if "src" in s.attrs} <= OUR_SCRIPTS
        assert all(
            s.attrs.get("type") == "application/json" for s in scripts if "src" not in s.attrs
        )
    doc = page(client, "/?q=粗体")
    assert HOSTILE_TITLE_ZH in card_titles(doc)
    item = page(client, f"/items/{hostile_id}", lang="en")
    assert item.find("h1").text() == HOSTILE_TITLE_EN
    assert item.find("title").text().startswith(HOSTILE_TITLE_EN)


def test_a_2000_character_query_is_shortened_with_a_notice(client: TestClient) -> None:
    q = ("剪纸 paper " * 250)[:2000]
    assert len(q) == 2000
    doc = page(client, f"/?{urlencode({'q': q})}")
    notice = doc.find(id="notice")
    assert "hidden" not in notice.attrs
    assert message("zh", "notice.query_truncated") in notice.text()
    shown = doc.find("input", id="q").attrs["value"]
    assert len(shown) == MAX_QUERY_CHARS
    assert shown == q[:MAX_QUERY_CHARS].strip()


def test_zero_results_say_so_and_suggest(client: TestClient) -> None:
    q = "qzxv 并无此词"
    assert api(client, q=q)["total"] == 0
    doc = page(client, f"/?{urlencode({'q': q})}")
    assert card_titles(doc) == []
    empty = doc.find(id="empty")
    assert "hidden" not in empty.attrs
    assert message("zh", "results.none_for", q=q) in empty.text()
    assert doc.find(id="pager").attrs.get("hidden") is not None


def test_a_facet_link_narrows_to_its_count(client: TestClient) -> None:
    doc = page(client, "/?q=剪纸")
    label, count, href = facet_options(doc, "region")[0]
    narrowed = page(client, href)
    assert len(card_titles(narrowed)) == count
    chips = [chip.text() for chip in narrowed.find_all("a", "chip")]
    assert any(label in chip for chip in chips)
    chosen = [o for o in facet_options(narrowed, "region") if o[0] == label]
    assert (
        chosen and "is-selected" in narrowed.find("a", "facet__option", href=chosen[0][2]).classes
    )
    # following the chosen value again removes it
    assert len(card_titles(page(client, chosen[0][2]))) == len(card_titles(doc))


def test_sorting_and_paging_follow_the_api(client: TestClient) -> None:
    by_title = api(client, sort="title", size=24, lang="zh")
    assert card_titles(page(client, "/?sort=title")) == [i["title"] for i in by_title["items"]]
    assert by_title["total"] > 24
    second = api(client, sort="title", size=24, page=2, lang="zh")
    doc = page(client, "/?sort=title&page=2")
    assert card_titles(doc) == [i["title"] for i in second["items"]]
    pager = doc.find(id="pager")
    assert pager.find("a", aria_current="page").text() == "2"
    assert pager.find("a", rel="prev").attrs["href"] == "/?sort=title"


def test_era_and_bad_years(client: TestClient) -> None:
    doc = page(client, "/?era=qing")
    assert any("1644–1912" in chip.text() for chip in doc.find_all("a", "chip"))
    expected = api(client, era="qing", size=24, lang="zh")  # the era boundary rule, as the API
    assert card_titles(doc) == [i["title"] for i in expected["items"]]
    bad = page(client, "/?year_from=dynasty")
    assert message("zh", "notice.bad_year") in bad.find(id="notice").text()
    # a year no backend can take was an "outage" (503): now ignored, with the same notice
    for far in ("9" * 20, "-" + "9" * 300, "9" * 5000):
        ignored = page(client, f"/?year_from={far}&year_to={far}")
        assert message("zh", "notice.bad_year") in ignored.find(id="notice").text()
    page(client, "/?decade=" + "9" * 5000)  # sorting the decade facet read it with int(): 500
    swapped = page(client, "/?year_from=2000&year_to=1900")
    assert message("zh", "notice.years_swapped") in swapped.find(id="notice").text()


def test_a_failing_search_backend_shows_a_message(corpus: Corpus, tmp_path_factory) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("down"),
        search="elasticsearch",
        search_url=f"http://127.0.0.1:{closed}",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        doc = page(client, "/?q=剪纸", status=503)
    assert message("zh", "results.error") in doc.find(id="notice").text()
    assert doc.find("input", id="q").attrs["value"] == "剪纸"


def test_item_without_files(client: TestClient, corpus: Corpus) -> None:
    doc = page(client, f"/items/{corpus.ids['empty']}")
    assert message("zh", "media.none") in doc.find("div", "no-media").text()
    assert doc.find_all("video") == doc.find_all("audio") == doc.find_all(id="viewer") == []
    assert doc.find("h1").text() == "待数字化的剪纸档案"


def test_item_with_500_images_pages_its_thumbnails(client: TestClient, corpus: Corpus) -> None:
    item_id = corpus.ids["many"]
    doc = page(client, f"/items/{item_id}")
    strip = doc.find("nav", "strip")
    assert len(strip.find_all("a", "strip__item")) == STRIP_PAGE
    assert all(img.attrs["loading"] == "lazy" for img in strip.find_all("img"))
    assert doc.find(id="viewer").attrs["data-image"] == f"/api/items/{item_id}/files/access"
    assert len(doc.find("ul", "downloads").find_all("li")) <= 2
    later = page(client, f"/items/{item_id}?image=300")
    current = later.find("a", "strip__item", aria_current="true")
    assert current.attrs["href"] == "?image=300"
    numbers = [int(a.attrs["href"].split("=")[1]) for a in later.find_all("a", "strip__item")]
    assert numbers == list(range(289, 313))
    assert later.find(id="viewer").attrs["data-image"].endswith("/files/access?n=300")
    caption = message("zh", "media.image_count", n=300, total=MANY_IMAGES)
    assert later.find("figcaption", "viewer-caption").text() == caption


def test_video_and_audio_items_have_players(client: TestClient, corpus: Corpus) -> None:
    video_id, audio_id = corpus.ids["video"], corpus.ids["audio"]
    video = page(client, f"/items/{video_id}").find("video")
    assert video.attrs["poster"] == f"/api/items/{video_id}/files/poster"
    assert video.find("source").attrs["src"] == f"/api/items/{video_id}/files/access"
    assert video.find("source").attrs["type"] == "video/mp4"
    audio_page = page(client, f"/items/{audio_id}", lang="en")
    assert audio_page.find("audio").attrs["src"] == f"/api/items/{audio_id}/files/access"
    waveform = audio_page.find("img", "player__waveform")
    assert waveform.attrs["src"] == f"/api/items/{audio_id}/files/waveform"
    assert waveform.attrs["alt"] == message(
        "en", "media.waveform_of", title="Xilingol long song recording"
    )
    ranged = client.get(f"/api/items/{video_id}/files/access", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100


def test_item_page_lists_metadata_rights_and_provenance(client: TestClient) -> None:
    hit = api(client, q="昆曲", size=1, lang="zh")["items"][0]
    record = client.get(hit["url"]).json()
    doc = page(client, hit["page_url"])
    facts = dict(
        (row.find("dt").text(), row.find("dd").text()) for row in doc.find_all("div", "facts__row")
    )
    assert facts[message("zh", "fact.identifier")] == record["identifier"]
    assert facts[message("zh", "fact.region")] == record["region"]["name"]
    people = doc.find("ul", "people").text()
    assert all(person["name"] in people for person in record["people"])
    assert record["rights"]["license"] in doc.find("div", "rights").text()
    events = doc.find_all("li", "provenance__event")
    assert len(events) == len(record["events"])
    hrefs = {a.attrs["href"] for a in doc.find("ul", "links").find_all("a")}
    assert hit["url"] in hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href


def test_language_comes_from_query_cookie_then_accept_language(client: TestClient) -> None:
    english = page(client, "/", lang="en-GB,en;q=0.9")
    assert english.find("html").attrs["lang"] == "en"
    assert english.find("h1").text() == message("en", "search.heading")
    try:
        response = client.get("/?lang=zh", headers={"Accept-Language": "en"})
        assert parse(response.text).find("html").attrs["lang"] == "zh-Hans"
        assert response.cookies.get(LANG_COOKIE) == "zh"
        assert "httponly" in response.headers["set-cookie"].lower()
        remembered = page(client, "/", lang="en")  # the client now carries the cookie
        assert remembered.find("h1").text() == message("zh", "search.heading")
    finally:
        client.cookies.clear()


def test_every_ui_string_exists_in_both_languages() -> None:
    catalogues = {
        lang: json.loads((MESSAGES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        for lang in ("zh", "en")
    }
    assert catalogues["zh"].keys() == catalogues["en"].keys()
    for key, text in catalogues["zh"].items():
        fields = set(re.findall(r"\{(\w+)\}", text))
        assert fields == set(re.findall(r"\{(\w+)\}", catalogues["en"][key])), key


def test_a_date_read_from_the_words_is_a_removable_chip(client: TestClient) -> None:
    doc = page(client, "/?q=1980年代+剪纸")
    chips = [a for a in doc.find_all("a", "chip") if "1980年代" in a.text()]
    assert len(chips) == 1 and "1980–1989" in chips[0].text()
    assert chips[0].attrs["href"] == "/?q=%E5%89%AA%E7%BA%B8"  # the words without the date


def test_the_page_says_when_not_every_match_could_be_ranked(client: TestClient) -> None:
    index = client.app.state.services.index
    saved = index.rank_window
    index.rank_window = 1  # a tier of more than two matches is then ranked only in part
    try:
        cut = page(client, "/?q=paper")
        whole = page(client, "/?q=paper&category=none-such")
    finally:
        index.rank_window = saved
    assert message("zh", "notice.ranked_window") in cut.find(id="notice").text()
    assert message("zh", "notice.ranked_window") not in whole.text()
