"""The whole day of a culture centre's one member of staff, in a real browser and nothing else:
sign in, upload a folder of photos with the template filled in Chinese, fix two records (a date
typed as 清代 reads 1644–1912 before anything is saved), publish both from the review queue,
find them in the public catalogue; then withdraw one, upload the same folder and manifest again,
and it stays withdrawn.

Recorded: a Playwright trace of the session (`playwright show-trace test-artifacts/story/trace.zip`:
every action with a screenshot and the page as it was) and a screenshot of every step go to
`test-artifacts/story/` (gitignored) for people to watch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.corpus import Corpus, live_server
from tests.browser.test_workspace_upload import PHOTOS, photo_folder, xlsx_manifest
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "story"
FIXED = {"butterfly": ("蔚县蝴蝶剪纸", "清代"), "magpie": ("蔚县喜鹊登梅剪纸", "1950年代")}


@pytest.fixture
def story_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over an empty repository with one curator (who may also upload)."""
    data = tmp_path / "data"
    UserStore(LocalStore(data / "store")).create("zhao.min", "蔚县文化馆", "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running


@pytest.fixture
def staff(browser: Browser, story_server: LiveServer) -> Iterator[Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        base_url=story_server.url,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
    )
    context.tracing.start(screenshots=True, snapshots=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.tracing.stop(path=str(ARTIFACTS / "trace.zip"))
    context.close()
    assert not errors, f"errors in the page: {errors}"


def shot(page: Page, step: str) -> None:
    path = ARTIFACTS / f"{step}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def upload(page: Page, folder: Path, manifest: Path) -> dict[str, str]:
    """Upload through the form and wait for the job; the item id of each identifier's row."""
    page.goto("/workspace/upload")
    page.locator("#collection").fill("weixian-papercuts")
    page.locator("#folder").set_input_files(folder)
    page.locator("#manifest").set_input_files(manifest)
    page.locator("#upload-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/workspace/jobs/[\w-]+$"))
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=180_000)
    ids = {}
    for name, (identifier, _) in PHOTOS.items():
        row = page.locator("#job-report tbody tr", has_text=name)
        href = row.locator("a[href^='/items/']").first.get_attribute("href")
        assert href, f"no item link for {name}"
        ids[identifier] = href.rsplit("/", 1)[1]
    return ids


def test_a_day_in_the_workspace_from_upload_to_the_public_catalogue(
    staff: Page, story_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    page = staff
    page.goto("/workspace/login")
    page.locator("#name").fill("zhao.min")
    page.locator("#password").fill(PASSWORD)
    shot(page, "01-sign-in")
    page.locator(".login-form button").click()
    expect(page).to_have_url(f"{story_server.url}/workspace/")

    folder = photo_folder(tmp_path)
    manifest = xlsx_manifest(tmp_path / "著录清单.xlsx")
    ids = upload(page, folder, manifest)
    expect(page.locator("#job-report tbody tr[data-outcome=stored]")).to_have_count(2)
    shot(page, "02-upload-done")

    for identifier, (title, date) in FIXED.items():  # fix two records
        page.goto(f"/workspace/items/{ids[identifier]}")
        page.locator("#title_zh").fill(title)
        page.locator("#date").fill(date)
        expect(page.locator("#date-understood")).to_contain_text(  # read as typed, unsaved
            {"清代": "1644–1912", "1950年代": "1950–1959"}[date]
        )
        page.locator(".edit-form > button").click()
        expect(page.locator("#edit-saved")).to_have_text(message("zh", "edit.saved"))
        expect(page.locator("#title_zh")).to_have_value(title)
        shot(page, f"03-fixed-{identifier}")
    expect(page.locator("#date-understood")).to_contain_text("1950")  # the last one, as read

    page.goto("/workspace/review?status=draft")  # new items wait as drafts
    for identifier in FIXED:
        page.locator(f"#select-{ids[identifier]}").check()
    page.locator("#bulk-reason").fill("已核对著录")
    page.get_by_role("button", name=message("zh", "review.bulk_move.review")).click()
    expect(page.locator("#review-done")).to_contain_text(ids["butterfly"])
    page.goto("/workspace/review?status=review")
    for identifier in FIXED:
        page.locator(f"#select-{ids[identifier]}").check()
    page.locator("#bulk-reason").fill("同意公开")
    shot(page, "04-review-queue")
    page.get_by_role("button", name=message("zh", "review.bulk_move.published")).click()
    expect(page.locator("#review-done")).to_contain_text(ids["magpie"])

    visitor = browser.new_context(base_url=story_server.url, locale="zh-CN")
    public = visitor.new_page()
    for identifier, (title, _) in FIXED.items():
        public.goto("/?q=" + title)
        expect(public.locator(f"a[href*='/items/{ids[identifier]}']").first).to_be_visible()
    public.goto("/?q=剪纸&era=qing")  # the date typed as 清代 files it under the Qing
    expect(public.locator(f"a[href*='/items/{ids['butterfly']}']").first).to_be_visible()
    public.screenshot(path=str(ARTIFACTS / "05-public-catalogue.png"), full_page=True)

    page.goto("/workspace/review?status=published")  # the curator withdraws one
    row = page.locator(f"tr[data-item='{ids['magpie']}']")
    row.locator("input[name=reason]").fill("传承人要求暂不公开")
    row.get_by_role("button", name=message("zh", "review.move.withdrawn")).click()
    expect(page.locator("#review-done")).to_contain_text(ids["magpie"])

    again = upload(page, folder, manifest)  # the same folder and manifest, uploaded again
    assert again == ids
    shot(page, "06-upload-again")
    public.goto("/?q=" + FIXED["magpie"][0])
    expect(public.locator(f"a[href*='/items/{ids['magpie']}']")).to_have_count(0)
    public.goto("/?q=" + FIXED["butterfly"][0])  # the edited title was not reverted either
    expect(public.locator(f"a[href*='/items/{ids['butterfly']}']").first).to_be_visible()
    visitor.close()
    page.goto(f"/workspace/items/{ids['magpie']}")
    expect(page.locator("#title_zh")).to_have_value(FIXED["magpie"][0])
    shot(page, "07-still-withdrawn")
