"""Uploading in a real browser: an archivist signs in, picks a folder of two photos and an XLSX
manifest with the template's Chinese headers, sees the upload go (the script's XMLHttpRequest),
lands on the job's page and watches it refresh itself until the report table shows both items."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from ingest.manifest_template import manifest_template
from repository import LocalStore
from repository.users import UserStore
from tests.browser.corpus import Corpus, live_server
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
FOLDER = "剪纸"
PHOTOS = {"蝴蝶.jpg": ("butterfly", "蝴蝶剪纸"), "喜鹊.jpg": ("magpie", "喜鹊登梅")}


@pytest.fixture
def upload_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over an empty repository with one archivist user."""
    data = tmp_path / "data"
    UserStore(LocalStore(data / "store")).create("li.na", "蔚县文化馆", "archivist", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running


def photo_folder(root: Path) -> Path:
    folder = root / FOLDER
    folder.mkdir()
    for seed, name in enumerate(PHOTOS):
        rng = random.Random(seed)
        Image.frombytes("RGB", (96, 64), rng.randbytes(96 * 64 * 3)).save(folder / name, "JPEG")
    return folder


def xlsx_manifest(path: Path, photos: dict[str, tuple[str, str]] = PHOTOS) -> Path:
    """The downloadable template (Chinese headers in row 1), filled in below its English row."""
    book = load_workbook(io.BytesIO(manifest_template()))
    sheet = book.active
    assert sheet is not None
    column = {cell.value: cell.column for cell in sheet[2]}
    assert sheet.cell(1, column["title"]).value != "title"  # row 1 is the Chinese heading
    for row, (name, (identifier, title)) in enumerate(photos.items(), start=3):
        sheet.cell(row, column["path"], f"{FOLDER}/{name}")
        sheet.cell(row, column["identifier"], identifier)
        sheet.cell(row, column["title"], title)
    book.save(path)
    return path


@pytest.fixture
def staff_page(browser: Browser, upload_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(
        base_url=upload_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto("/workspace/login")
    page.locator("#name").fill("li.na")
    page.locator("#password").fill(PASSWORD)
    page.locator(".login-form button").click()
    expect(page).to_have_url(f"{server.url}/workspace/")


def test_upload_a_folder_with_an_xlsx_manifest_and_watch_the_job(
    staff_page: Page, upload_server: LiveServer, tmp_path: Path
) -> None:
    page = staff_page
    folder = photo_folder(tmp_path)
    manifest = xlsx_manifest(tmp_path / "著录清单.xlsx")
    sign_in(page, upload_server)
    page.locator("#link-upload").click()
    expect(page.locator("h1")).to_have_text(message("zh", "upload.title"))
    page.locator("#collection").fill("weixian-papercuts")
    page.locator("#folder").set_input_files(folder)
    page.locator("#manifest").set_input_files(manifest)
    page.screenshot(path=str(tmp_path / "upload-form.png"), full_page=True)
    with page.expect_request(lambda r: r.method == "POST" and "/workspace/upload" in r.url) as sent:
        page.locator("#upload-form button[type=submit]").click()
    assert sent.value.header_value("x-csrf-token")  # the script sent it, not a plain form post
    expect(page).to_have_url(re.compile(r"/workspace/jobs/[\w-]+$"))
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=120_000)
    rows = page.locator("#job-report tbody tr")
    expect(rows).to_have_count(2)
    sources = rows.locator("td:first-child").all_inner_texts()
    assert sorted(sources) == sorted(f"{FOLDER}/{name}" for name in PHOTOS)
    for row in rows.all():
        expect(row).to_have_attribute("data-outcome", "stored")
        expect(row.locator("td a")).to_have_attribute("href", re.compile(r"^/items/"))
    expect(page.locator(".job-downloads a")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "job-done.png"), full_page=True)
    assert (tmp_path / "job-done.png").stat().st_size > 0
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    page.screenshot(path=str(tmp_path / "job-done-tablet.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 820  # no sideways scrolling
    page.locator("#outcome").select_option("stored")
    page.locator(".job-filter button").click()
    expect(page).to_have_url(re.compile(r"outcome=stored"))
    expect(rows).to_have_count(2)


def upload_folder(page: Page, folder: Path, manifest: Path, *, dry_run: bool) -> None:
    """Fill the upload form, send it and wait on the job's page until the job is done."""
    page.goto("/workspace/upload")
    page.locator("#collection").fill("weixian-papercuts")
    page.locator("#folder").set_input_files(folder)
    page.locator("#manifest").set_input_files(manifest)
    if dry_run:
        page.locator("#dry_run").check()
    page.locator("#upload-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/workspace/jobs/[\w-]+$"))
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=120_000)


def test_a_dry_run_shows_each_change_and_applying_it_imports_the_same_files(
    staff_page: Page, upload_server: LiveServer, tmp_path: Path
) -> None:
    page = staff_page
    folder = photo_folder(tmp_path)
    sign_in(page, upload_server)
    upload_folder(page, folder, xlsx_manifest(tmp_path / "著录.xlsx"), dry_run=False)
    retitled = {**PHOTOS, "喜鹊.jpg": ("magpie", "喜鹊登梅（窗花）")}

    upload_folder(page, folder, xlsx_manifest(tmp_path / "改正.xlsx", retitled), dry_run=True)

    expect(page.locator("#job-dry-run")).to_have_text(message("zh", "job.dry_run"))
    rows = page.locator("#job-report > tbody > tr[data-outcome]")
    expect(rows).to_have_count(2)
    changed = page.locator("#job-report tr[data-outcome=would-update]")
    expect(changed.locator("td:first-child")).to_have_text(f"{FOLDER}/喜鹊.jpg")
    change = page.locator(".job-changes tr[data-action]")
    expect(change).to_have_count(1)
    cells = change.locator("td").all_inner_texts()
    assert cells == [
        "title",
        "zh: 喜鹊登梅",
        "zh: 喜鹊登梅（窗花）",
        message("zh", "job.change.update"),
    ]
    page.screenshot(path="/tmp/ws-preview.png", full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})
    assert page.evaluate("document.documentElement.scrollWidth") <= 820  # no sideways scrolling
    page.locator("#outcome").select_option("unchanged")  # the filter takes the changes along
    page.locator(".job-filter button").click()
    expect(page.locator(".job-changes")).to_have_count(0)
    page.locator("#outcome").select_option("would-update")
    page.locator(".job-filter button").click()
    expect(page.locator(".job-changes tr[data-action=update]")).to_have_count(1)
    preview = page.url.split("?")[0]

    page.locator("#job-apply button").click()

    expect(page).to_have_url(re.compile(r"/workspace/jobs/[\w-]+$"))
    assert page.url != preview
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=120_000)
    expect(page.locator("#job-report tr[data-outcome=updated]")).to_have_count(1)
    expect(page.locator("#job-report tr[data-outcome=unchanged]")).to_have_count(1)
    page.locator("#job-applies a").click()
    expect(page.locator("#job-applied")).to_be_visible()
    expect(page.locator("#job-apply")).to_have_count(0)  # applied once
