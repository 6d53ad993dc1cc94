"""An online exhibition in a real browser: a curator signs in, starts an exhibition from the
workspace, finds a picture through the form's search and places a detail of it, places a clip
of a video (a clip that ends before it starts is refused on the form, in Chinese), submits the
exhibition for review and publishes it; a visitor on a phone-sized screen (390×844) then reads
the story page: the detail drawn by our IIIF Image API, the video starting at the clip's start.
A screenshot goes to test-artifacts/screenshots/exhibition-phone.png."""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, expect

from api.http.i18n import message
from api.settings import Settings
from repository import LocalStore
from repository.users import UserStore
from tests.browser.conftest import SCREENSHOTS, signed_in_page
from tests.browser.corpus import Corpus, live_server
from tests.e2e.governance_support import INST_A, settings_for
from tests.support.ingesting import ingest_folder
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
PICTURE_ZH = "喜鹊登梅窗花"
VIDEO_ZH = "社火龙舞"


def _media(folder: Path) -> Path:
    """A 480×320 picture (a red disc in its middle) and a 4-second video, with a manifest."""
    folder.mkdir(parents=True)
    picture = Image.new("RGB", (480, 320), (245, 235, 220))
    ImageDraw.Draw(picture).ellipse((180, 100, 300, 220), fill=(200, 30, 30))
    picture.save(folder / "window.jpg", quality=90)
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(folder / "dance.mp4")],
        check=True,
    )  # fmt: skip
    manifest = folder.parent / "exhibition-media.csv"
    with manifest.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(
            [
                ["path", "title_zh", "title_en", "status", "access"],
                ["window.jpg", PICTURE_ZH, "Magpies on plum blossom", "published", "public"],
                ["dance.mp4", VIDEO_ZH, "Dragon dance", "published", "public"],
            ]
        )
    return manifest


@pytest.fixture
def exhibition_server(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """`heritage serve` over a picture and a video of institution A, and a curator of A."""
    data = tmp_path / "data"
    settings: Settings = settings_for(data)
    manifest = _media(tmp_path / "source")
    report = ingest_folder(settings, tmp_path / "source", manifest, "festival", institution=INST_A)
    ids = {Path(o.source).stem: str(o.id) for o in report.items}
    UserStore(LocalStore(data / "store")).create("li.curator", INST_A, "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running, ids


def test_a_curator_publishes_an_exhibition_with_a_detail_and_a_clip(
    browser: Browser, exhibition_server: tuple[LiveServer, dict[str, str]]
) -> None:
    server, ids = exhibition_server
    with signed_in_page(browser, server.url, "li.curator", PASSWORD) as page:
        page.locator("#link-exhibitions").click()
        expect(page.locator("h1")).to_have_text(message("zh", "exhibitions.workspace_title"))
        page.locator("#slug").fill("spring-festival")
        page.locator("#title_zh").fill("春节里的窗花与龙舞")
        page.locator("#exhibition-create").click()
        expect(page).to_have_url(re.compile("/workspace/exhibitions/spring-festival$"))

        page.locator("#q").fill("窗花")
        page.locator("#exhibition-search").click()
        expect(page.locator(f"#exhibition-hits li[data-item='{ids['window']}']")).to_be_visible()
        page.locator("#intro_zh").fill("正月里，人们剪窗花、舞龙灯。")
        page.locator("#s1_heading_zh").fill("窗花")
        page.locator("#s1_e1_item").fill(ids["window"])
        page.locator("#s1_e1_region").fill("pct:37.5,31.25,25,37.5")
        page.locator("#s1_e1_caption_zh").fill("梅枝上的喜鹊")
        page.locator("#exhibition-save").click()
        expect(page.locator("#exhibition-saved")).to_be_visible()

        page.locator("#s2_heading_zh").fill("龙舞")
        page.locator("#s2_e1_item").fill(ids["dance"])
        page.locator("#s2_e1_start").fill("2")
        page.locator("#s2_e1_end").fill("1")  # before the start: refused, said in Chinese
        page.locator("#exhibition-save").click()
        expect(page.locator("#problem-s2_e1_end")).to_have_text(
            message("zh", "exhibitions.problem.clip_order")
        )
        expect(page.locator("#s2_e1_item")).to_have_value(ids["dance"])  # kept as typed
        page.locator("#s2_e1_end").fill("3.5")
        page.locator("#s2_e1_caption_zh").fill("龙头转身")
        page.locator("#exhibition-save").click()
        expect(page.locator("#exhibition-saved")).to_be_visible()

        page.locator("#move-review").click()
        expect(page.locator("#exhibition-status")).to_have_attribute("data-status", "review")
        page.locator("#move-published").click()
        expect(page.locator("#exhibition-status")).to_have_attribute("data-status", "published")

    phone = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    errors: list[str] = []
    try:
        visitor = phone.new_page()
        visitor.on("pageerror", lambda error: errors.append(str(error)))
        visitor.goto("/exhibitions")
        visitor.locator("a[href='/exhibitions/spring-festival']").click()
        expect(visitor.locator("#exhibition-title")).to_have_text("春节里的窗花与龙舞")
        expect(visitor.locator("#exhibition-intro")).to_contain_text("正月里")
        headings = visitor.locator(".exhibition-part h2")
        expect(headings).to_have_text(["窗花", "龙舞"])

        detail = visitor.locator(f"figure[data-item='{ids['window']}'] img")
        expect(detail).to_have_attribute(
            "src", f"/iiif/image/{ids['window']}/180,100,120,120/max/0/default.jpg"
        )
        detail.scroll_into_view_if_needed()
        visitor.wait_for_function(
            "img => img.complete && img.naturalWidth === 120", arg=detail.element_handle()
        )
        # The detail fits the phone's width: no sideways scrolling.
        assert visitor.evaluate("document.documentElement.scrollWidth") <= 390

        video = visitor.locator(f"figure[data-item='{ids['dance']}'] video")
        src = video.get_attribute("src") or ""
        assert src.endswith("#t=2,3.5"), src
        visitor.wait_for_function(
            "v => v.readyState >= 1 && Math.abs(v.currentTime - 2) < 0.5",
            arg=video.element_handle(),
        )
        expect(visitor.locator(f"figure[data-item='{ids['dance']}'] figcaption")).to_contain_text(
            "龙头转身"
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        visitor.evaluate("window.scrollTo(0, 0)")
        visitor.screenshot(path=str(SCREENSHOTS / "exhibition-phone.png"), full_page=True)
    finally:
        phone.close()
    assert not errors, errors
