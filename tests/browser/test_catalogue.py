"""The catalogue in a real browser: searching as you type in Chinese and English, facets and the
back button, the item viewer's zoom, video playback after a seek, the language switch, the
360 px layout, keyboard use, hostile titles, a failing API, JavaScript off, and the demand map."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import quote, urlencode

from playwright.sync_api import Browser, Page, Response, expect

from api.http.i18n import message
from tests.browser.conftest import Shoot
from tests.browser.corpus import CURATOR_KEY, HOSTILE_TITLE_ZH, Corpus, LiveServer


def api(server: LiveServer, **params: object) -> dict:
    url = f"{server.url}/api/search?{urlencode(params, doseq=True)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def count_text(lang: str, total: int) -> str:
    return (
        message(lang, "results.count_one")
        if total == 1
        else message(lang, "results.count", n=f"{total:,}")
    )


def expect_results(page: Page, expected: dict, lang: str) -> None:
    expect(page.locator("#results-count")).to_have_text(count_text(lang, expected["total"]))
    expect(page.locator("#cards .card__title")).to_have_text(
        [item["title"] for item in expected["items"]]
    )


def test_search_in_chinese_as_you_type(page: Page, server: LiveServer, shoot: Shoot) -> None:
    expected = api(server, q="剪纸", lang="zh", size=24)
    assert expected["total"] > 0
    page.goto("/")
    page.evaluate("window.__samePage = true")
    page.locator("#q").fill("剪纸")
    expect(page).to_have_url(f"{server.url}/?q={quote('剪纸')}")
    expect_results(page, expected, "zh")
    assert page.evaluate("window.__samePage") is True  # updated in place, no reload
    shoot(page, "catalogue-search-zh")


def test_search_in_english_as_you_type(page: Page, server: LiveServer, shoot: Shoot) -> None:
    expected = api(server, q="paper cutting", lang="en", size=24)
    assert expected["total"] > 0
    page.goto("/?lang=en")
    page.locator("#q").press_sequentially("paper cutting", delay=60)
    expect(page).to_have_url(f"{server.url}/?q=paper+cutting")
    expect_results(page, expected, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "catalogue-search-en")


def test_a_facet_narrows_and_the_back_button_undoes_it(page: Page, server: LiveServer) -> None:
    page.goto(f"/?q={quote('剪纸')}")
    everything = api(server, q="剪纸", lang="zh", size=24)
    option = page.locator("section.facet[data-facet='region'] a.facet__option").first
    label = option.locator(".facet__label").inner_text()
    count = int(option.locator(".facet__count").inner_text().replace(",", ""))
    option.click()
    expect(page).to_have_url(re.compile(r"[?&]region="))
    expect(page.locator("#results-count")).to_have_text(count_text("zh", count))
    expect(page.locator("#chips .chip")).to_contain_text([label])
    expect(page.locator("a.facet__option.is-selected")).to_contain_text([label])
    page.go_back()
    expect(page).to_have_url(f"{server.url}/?q={quote('剪纸')}")
    expect_results(page, everything, "zh")
    expect(page.locator("#chips")).to_be_hidden()
    page.go_forward()
    expect(page.locator("#results-count")).to_have_text(count_text("zh", count))


def test_open_an_item_and_zoom(page: Page, shoot: Shoot) -> None:
    page.goto(f"/?q={quote('昆曲')}")
    first = page.locator("#cards .card__title a").first
    title = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/items/"))
    expect(page.locator("h1")).to_have_text(title)
    page.wait_for_function(
        "() => window.heritageViewer && window.heritageViewer.world.getItemCount() > 0"
        " && window.heritageViewer.world.getItemAt(0).getFullyLoaded()"
    )
    before = page.evaluate("window.heritageViewer.viewport.getZoom(true)")
    page.locator("#zoom-in").click()
    page.wait_for_function(
        "before => window.heritageViewer.viewport.getZoom(true) > before * 1.3", arg=before
    )
    page.locator("#zoom-home").click()
    page.wait_for_function(
        "before => Math.abs(window.heritageViewer.viewport.getZoom(true) - before) < before * 0.01",
        arg=before,
    )
    shoot(page, "item-image")


def test_video_plays_on_after_a_seek(page: Page, corpus: Corpus, shoot: Shoot) -> None:
    statuses: list[int] = []

    def note(response: Response) -> None:
        if "/files/access" in response.url:
            statuses.append(response.status)

    page.on("response", note)
    page.goto(f"/items/{corpus.ids['video']}")
    video = page.locator("video")
    expect(video).to_be_visible()
    page.evaluate(
        """async () => {
          const v = document.querySelector("video");
          v.muted = true;
          const once = (name) => new Promise(r => v.addEventListener(name, r, {once: true}));
          if (v.readyState < 1) await once("loadedmetadata");
          const seeked = once("seeked");
          v.currentTime = 2;
          await seeked;
          await v.play();
        }"""
    )
    page.wait_for_function("document.querySelector('video').currentTime > 2.5")
    assert page.evaluate("document.querySelector('video').paused") is False
    assert 206 in statuses  # the browser streamed it with HTTP Range
    shoot(page, "item-video")


def test_audio_item_shows_its_waveform(page: Page, corpus: Corpus, shoot: Shoot) -> None:
    page.goto(f"/items/{corpus.ids['audio']}")
    waveform = page.locator("img.player__waveform")
    expect(waveform).to_be_visible()
    assert page.evaluate("document.querySelector('img.player__waveform').naturalWidth") > 0
    assert page.evaluate("document.querySelector('audio').canPlayType('audio/mp4')") != ""
    shoot(page, "item-audio")


def test_switching_language_keeps_the_search(page: Page, server: LiveServer, shoot: Shoot) -> None:
    page.goto(f"/?q={quote('剪纸')}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.locator("a[data-switch-lang='en']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(message("en", "search.heading"))
    expect(page.locator("#q")).to_have_value("剪纸")
    expect_results(page, api(server, q="剪纸", lang="en", size=24), "en")
    shoot(page, "catalogue-en")
    page.locator("#cards .card__title a").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the choice is remembered
    expect(page.locator(".item-about h2").first).to_have_text(message("en", "item.details"))


def test_narrow_screens_never_scroll_sideways(
    browser: Browser, server: LiveServer, corpus: Corpus, shoot: Shoot
) -> None:
    context = browser.new_context(
        base_url=server.url, locale="zh-CN", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    try:
        for name, path in [
            ("mobile-catalogue", f"/?q={quote('剪纸')}"),
            ("mobile-item", f"/items/{corpus.ids['many']}"),
            ("mobile-video", f"/items/{corpus.ids['video']}"),
            ("mobile-empty-item", f"/items/{corpus.ids['empty']}"),
            ("mobile-insights-login", "/insights"),
        ]:
            page.goto(path)
            page.wait_for_load_state("load")
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1], (
                f"{path} is {widths[0]} px wide in a {widths[1]} px screen"
            )
            shoot(page, name)
    finally:
        context.close()


def test_keyboard_skip_link_and_focus(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text(message("zh", "a11y.skip"))
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_id("q")


def test_html_in_titles_stays_text(page: Page, corpus: Corpus) -> None:
    page.goto("/")
    page.locator("#q").fill("粗体")
    title = page.locator("#cards .card__title", has_text="粗体")
    expect(title).to_have_text(HOSTILE_TITLE_ZH)
    assert (
        page.evaluate(
            "document.querySelectorAll('#cards script, #cards b, #cards img[src=x]').length"
        )
        == 0
    )
    assert page.evaluate("window.__pwned") is None
    title.locator("a").click()
    expect(page.locator("h1")).to_have_text(HOSTILE_TITLE_ZH)
    assert page.evaluate("window.__pwned") is None
    assert page.title().startswith(HOSTILE_TITLE_ZH)


def test_a_failing_api_shows_a_message_and_recovers(
    page: Page, server: LiveServer, page_errors: list[str]
) -> None:
    page.goto(f"/?q={quote('剪纸')}")
    kept = page.locator("#cards .card").count()
    page.route("**/api/search?**", lambda route: route.abort())
    page.locator("#q").fill("长调")
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(message("zh", "results.error"))
    expect(page.locator("#cards .card")).to_have_count(kept)  # the old results stay
    page.unroute("**/api/search?**")
    notice.get_by_role("button", name=message("zh", "results.retry")).click()
    expect_results(page, api(server, q="长调", lang="zh", size=24), "zh")
    expect(notice).to_be_hidden()
    assert all("ERR_FAILED" in error for error in page_errors), page_errors
    page_errors.clear()


def test_the_page_works_with_javascript_off(
    browser: Browser, server: LiveServer, shoot: Shoot
) -> None:
    context = browser.new_context(base_url=server.url, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        page.locator("#q").fill("剪纸")
        page.locator("#q").press("Enter")
        expect(page).to_have_url(re.compile(r"[?&]q="))
        expect_results(page, api(server, q="剪纸", lang="zh", size=24), "zh")
        shoot(page, "catalogue-no-javascript")
    finally:
        context.close()


def test_settled_searches_reach_the_demand_map(page: Page, shoot: Shoot) -> None:
    page.goto("/")
    with page.expect_request("**/api/insights/searches") as logged:
        page.locator("#q").fill("马头琴")
        page.locator("#q").press("Enter")
    assert json.loads(logged.value.post_data or "{}") == {"query": f"q={quote('马头琴')}"}
    page.goto("/insights")
    page.locator("#key").fill(CURATOR_KEY)
    page.locator(".login-form button").click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    expect(page.locator("table.table").first).to_contain_text("马头琴")
    expect(page.locator("svg.chart--trend")).to_be_visible()
    shoot(page, "insights")


def test_a_curator_makes_a_share_link(page: Page, server: LiveServer, corpus: Corpus) -> None:
    page.goto(f"/items/{corpus.ids['video']}")
    share = page.locator("details#share")
    expect(share).to_be_visible()  # shown by the script only where the share route exists
    share.locator("summary").click()
    page.locator("#share-key").fill(CURATOR_KEY)
    page.locator("#share-form button[type=submit]").click()
    link = page.locator("#share-result a")
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(server.url)}/share/"))
    expect(page.locator("#share-key")).to_have_value("")  # the key is not kept in the form
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        assert json.load(response)["id"] == corpus.ids["video"]
