"""Issue 19's "done means", in a real browser and nothing else: a resident sends a video of a
local festival from a phone (390×844, touch) through `/contribute` and keeps the private status
link; a curator signs in, edits and accepts it, and publishes an exhibition with a clip of it;
the status link then says published, with the curator's thanks; another visitor (on a phone
too) filters the map by the item's category, follows the marker at 蔚县 to the catalogue and
the item (the contributor credited) and leaves a comment, which nobody sees until the curator
approves it.
The contributor's contact is in no public page, the video's filming position in no download.
Each step is asserted from what the page shows.

Recorded: a Playwright trace of each person's session (`playwright show-trace
test-artifacts/story19/<who>-trace.zip`) and a screenshot of every step
(`test-artifacts/screenshots/story19-*.png`), both gitignored, for people to watch."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.conftest import SCREENSHOTS, sign_in
from tests.browser.corpus import Corpus, ffmpeg, live_server
from tests.support.ingesting import ingest_folder
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "story19"
INSTITUTION = "local"  # HERITAGE_INSTITUTION's default: the owner of `contributions`
CONTACT = "zhao.dajie.13800138000@example.cn"
NAME = "赵大姐"
TITLE = "2019年蔚县拜灯山"
TITLE_EN = "Worshipping the lantern hill, Yuxian, 2019"
PLACE = "河北省张家口市蔚县"
CATEGORY = "folk-customs"
FILMED_AT = "+39.8402+114.5703/"  # ISO 6709: 暖泉, 蔚县
THANKS = "谢谢分享，已收入线上展览。"
COMMENT = "我小时候也在暖泉看过拜灯山，谢谢分享！"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
INGESTED = """async () => {  // polls the status page until the upload job has run
    for (const end = Date.now() + 90000; Date.now() < end; ) {
        const page = await (await fetch(location.href)).text();
        if (!page.includes('data-state="received"')) return true;
        await new Promise(done => setTimeout(done, 500));
    }
    return false;
}"""


@pytest.fixture
def story_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over one published picture of another category and place (so the map's
    filter has something to leave out) and a curator of the institution owning contributions."""
    data = tmp_path / "data"
    source = tmp_path / "source"
    source.mkdir()
    Image.new("RGB", (320, 240), (180, 40, 40)).save(source / "papercut.jpg", quality=85)
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(
            [
                ["path", "title_zh", "category", "region", "status", "access"],
                ["papercut.jpg", "安塞剪纸", "traditional-art", "陕西省延安市安塞区",
                 "published", "public"],
            ]
        )  # fmt: skip
    corpus = Corpus(tmp_path, data, {})
    ingest_folder(corpus.settings(), source, manifest, "papercuts", institution=INSTITUTION)
    UserStore(LocalStore(data / "store")).create("wang.li", INSTITUTION, "curator", PASSWORD)
    with live_server(corpus) as running:
        yield running


@pytest.fixture
def festival_video(tmp_path: Path) -> Path:
    """A 4-second 160×120 QuickTime video with sound (~90 KB), carrying where it was filmed
    (`©xyz`) as a phone's camera writes it: the resident's festival footage."""
    path = tmp_path / "拜灯山.mov"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15:duration=4",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        "-metadata", f"location={FILMED_AT}", str(path),
    )  # fmt: skip
    assert FILMED_AT.encode() in path.read_bytes()
    return path


class Story:
    """The people of the story: each a browser context, traced; script errors are collected."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self.errors: list[str] = []

    @contextmanager
    def person(self, who: str, device: dict[str, Any]) -> Iterator[Page]:
        context = self.browser.new_context(base_url=self.server.url, locale="zh-CN", **device)
        context.tracing.start(screenshots=True, snapshots=True, title=who)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{who}: {error}"))
        try:
            yield page
        finally:
            context.tracing.stop(path=str(ARTIFACTS / f"{who}-trace.zip"))
            context.close()


def shot(page: Page, step: str) -> None:
    path = SCREENSHOTS / f"story19-{step}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def public(page: Page, step: str) -> None:
    """A public page as its visitor sees it: screenshot, no contact, fits a phone if on one."""
    shot(page, step)
    assert CONTACT not in page.content(), f"the contributor's contact is on {page.url}"
    if page.viewport_size and page.viewport_size["width"] <= 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def comment_shown(story: Story, item_url: str, step: str) -> bool:
    """Whether a visitor who has never been here sees the comment on the item page."""
    with story.person(f"visitor-{step}", DESKTOP) as page:
        page.goto(item_url)
        expect(page.locator("h1")).to_contain_text(TITLE)
        page.locator("#feedback").scroll_into_view_if_needed()
        public(page, step)
        return page.locator("#comments .comment__text", has_text=COMMENT).count() == 1


def test_a_residents_festival_video_goes_through_review_into_an_exhibition_and_onto_the_map(
    browser: Browser, story_server: LiveServer, festival_video: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    story = Story(browser, story_server)
    with story.person("resident", PHONE) as resident, story.person("curator", DESKTOP) as staff:
        # 1. The resident's contribution, from a phone.
        resident.goto("/contribute")
        expect(resident.locator("h1")).to_have_text(message("zh", "contribute.title"))
        expect(resident.locator("#contribute-question")).to_be_hidden()  # the script answers
        resident.locator("#contribute-name").fill(NAME)
        resident.locator("#contribute-contact").fill(CONTACT)
        resident.locator("#contribute-licence").check()
        resident.locator("#contribute-consent").check()
        resident.locator("#contribute-title").fill(TITLE)
        resident.locator("#contribute-place").fill(PLACE)
        resident.locator("#contribute-date").fill("2019年春")
        resident.locator("#contribute-category").select_option(CATEGORY)
        resident.locator("#contribute-story").fill("正月十五，暖泉古镇的乡亲们点起灯山，全村拜灯。")
        resident.locator("#contribute-files").set_input_files(festival_video)
        public(resident, "01-contribute-form")
        resident.locator("#contribute-send").tap()
        resident.wait_for_url("**/contribute/status/**", timeout=90_000)
        expect(resident.locator("#contribute-thanks")).to_be_visible()
        status_url = resident.locator("#contribute-link").inner_text()
        assert "/contribute/status/" in status_url
        public(resident, "02-status-link")
        assert resident.evaluate(INGESTED), "the contribution was never ingested"
        resident.goto(status_url)
        expect(resident.locator("#contribute-state")).to_have_text(
            message("zh", "contribute.state.review")
        )
        expect(resident.locator("#contribute-item")).to_have_count(0)

        # 2. The curator finds it in the workspace, adds an English title, accepts it.
        sign_in(staff, "wang.li", PASSWORD)
        expect(staff).to_have_url(f"{story_server.url}/workspace/")
        staff.goto("/workspace/review?status=draft")
        expect(staff.locator(".review-contribution")).to_have_count(1)
        shot(staff, "03-review-queue")
        staff.locator(".review-contribution").click()
        entry = staff.locator(".contribution").filter(has_text=TITLE)
        expect(entry.locator(".contribution__name")).to_have_text(NAME)
        expect(entry.locator(".contribution__contact")).to_have_text(CONTACT)  # staff only
        edit_link = entry.locator("h2 a")
        item_id = (edit_link.get_attribute("href") or "").rsplit("/", 1)[1]
        assert item_id
        edit_link.click()
        expect(staff.locator("#title_zh")).to_have_value(TITLE)
        staff.locator("#title_en").fill(TITLE_EN)
        staff.locator(".edit-form > button").click()
        expect(staff.locator("#edit-saved")).to_have_text(message("zh", "edit.saved"))
        shot(staff, "04-edited")
        staff.goto("/workspace/contributions")
        entry = staff.locator(".contribution").filter(has_text=TITLE)
        entry.locator("textarea[name=message]").fill(THANKS)
        entry.get_by_role("button", name=message("zh", "contributions.accept")).click()
        expect(staff.locator("#contributions-outcome")).to_have_text(
            message("zh", "contributions.done.accepted")
        )
        shot(staff, "05-accepted")

        # 3. An exhibition with a clip of the video, submitted and published.
        staff.goto("/workspace/")
        staff.locator("#link-exhibitions").click()
        staff.locator("#slug").fill("lantern-festival")
        staff.locator("#title_zh").fill("灯山与社火：乡亲们拍的正月")
        staff.locator("#exhibition-create").click()
        expect(staff).to_have_url(re.compile("/workspace/exhibitions/lantern-festival$"))
        staff.locator("#q").fill("拜灯山")
        staff.locator("#exhibition-search").click()
        expect(staff.locator(f"#exhibition-hits li[data-item='{item_id}']")).to_be_visible()
        staff.locator("#intro_zh").fill("这些影像都是乡亲们自己拍、自己送来的。")
        staff.locator("#s1_heading_zh").fill("拜灯山")
        staff.locator("#s1_e1_item").fill(item_id)
        staff.locator("#s1_e1_start").fill("1")
        staff.locator("#s1_e1_end").fill("3")
        staff.locator("#s1_e1_caption_zh").fill("灯山点亮的一刻")
        staff.locator("#exhibition-save").click()
        expect(staff.locator("#exhibition-saved")).to_be_visible()
        staff.locator("#move-review").click()
        expect(staff.locator("#exhibition-status")).to_have_attribute("data-status", "review")
        staff.locator("#move-published").click()
        expect(staff.locator("#exhibition-status")).to_have_attribute("data-status", "published")
        shot(staff, "06-exhibition-published")

        resident.goto("/exhibitions")  # the resident finds the exhibition on the phone
        resident.locator("a[href='/exhibitions/lantern-festival']").tap()
        expect(resident.locator("#exhibition-title")).to_have_text("灯山与社火：乡亲们拍的正月")
        clip = resident.locator(f"figure[data-item='{item_id}']")
        expect(clip.locator("figcaption")).to_contain_text("灯山点亮的一刻")
        expect(clip.locator("video")).to_have_attribute("src", re.compile(r"#t=1(\.0)?,3(\.0)?$"))
        resident.wait_for_function(
            "v => v.readyState >= 1 && Math.abs(v.currentTime - 1) < 0.5",
            arg=clip.locator("video").element_handle(),
        )  # the browser loaded the video and starts it at the clip's start
        public(resident, "07-exhibition-phone")

        # 4. The status link says published and leads to the item, the resident credited.
        resident.goto(status_url)
        expect(resident.locator("#contribute-state")).to_have_text(
            message("zh", "contribute.state.published")
        )
        expect(resident.locator("#contribute-message")).to_have_text(THANKS)
        public(resident, "08-status-published")
        resident.locator("#contribute-item").tap()
        expect(resident.locator("h1")).to_contain_text(TITLE)
        expect(resident.locator(".people li").filter(has_text=NAME)).to_be_visible()
        public(resident, "09-item-phone")

        # 5. Another visitor, on a phone: the map filtered by the category, the marker at 蔚县.
        with story.person("visitor", PHONE) as visitor:
            visitor.goto("/map")
            visitor.wait_for_function("document.getElementById('map').dataset.placed === '2'")
            visitor.select_option("#map-category", CATEGORY)
            visitor.wait_for_function("document.getElementById('map').dataset.placed === '1'")
            expect(visitor.locator(".map-marker")).to_have_count(1)
            marker = visitor.locator(".map-marker[title*='蔚县']")
            public(visitor, "10-map-filtered")
            marker.tap()
            popup = visitor.locator(".map-popup")
            expect(popup.locator(".map-popup__items a")).to_have_text([TITLE])
            shot(visitor, "11-map-popup")
            popup.locator(".map-popup__more").tap()
            visitor.wait_for_url(f"**/?category={CATEGORY}&place=*")
            card = visitor.locator("li.card").filter(has_text=TITLE)
            expect(visitor.locator("li.card")).to_have_count(1)
            public(visitor, "12-catalogue-at-the-place")
            card.locator(f"a[href*='/items/{item_id}']").first.tap()
            expect(visitor.locator("h1")).to_contain_text(TITLE)
            credit = visitor.locator(".people li").filter(has_text=NAME)
            expect(credit.locator(".people__name")).to_have_text(NAME)
            downloads = visitor.locator(".downloads a[download]")
            expect(downloads).to_have_count(2)  # the access copy and the original
            sizes = []
            for href in downloads.evaluate_all("links => links.map(a => a.href)"):
                got = visitor.request.get(href)
                assert got.ok, href
                assert FILMED_AT.encode() not in got.body(), f"{href} says where it was filmed"
                sizes.append(len(got.body()))
            assert festival_video.stat().st_size in sizes  # the original, the position blanked
            form = visitor.locator("#feedback-form")
            form.get_by_label(message("zh", "feedback.kind.comment")).check()
            visitor.locator("#feedback-text").fill(COMMENT)
            visitor.locator("#feedback-name").fill("老李")
            form.get_by_role("button", name=message("zh", "feedback.send")).tap()
            expect(visitor.locator("#feedback-thanks")).to_have_text(
                message("zh", "feedback.thanks")
            )
            expect(visitor.locator("#feedback")).not_to_contain_text(COMMENT)
            public(visitor, "13-comment-sent")
            item_url = visitor.url.split("#")[0].split("?")[0]

        assert not comment_shown(story, item_url, "14-before-moderation")

        staff.goto("/workspace/")
        staff.locator("#link-comments").click()
        expect(staff.locator("h1")).to_have_text(message("zh", "moderation.title"))
        waiting = staff.locator(".moderation-item").filter(has_text=COMMENT)
        shot(staff, "15-moderation")
        waiting.get_by_role("button", name=message("zh", "moderation.approve")).click()
        expect(staff.locator("#moderation-outcome")).to_have_text(
            message("zh", "moderation.done.approve")
        )

        assert comment_shown(story, item_url, "16-after-moderation")
    assert not story.errors, f"errors in the pages: {story.errors}"
