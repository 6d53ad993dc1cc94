"""Resumable uploads in a real browser: the workspace page sends each file with tus-js-client
(PATCHes to /api/uploads/, a progress bar per file), then the batch naming the upload ids, and
lands on the job's page, which finishes. Then the network goes away in the middle of a file: the
page says so, and when the browser is back online the upload goes on from the offset the server
kept (a HEAD, then a PATCH from there), not from the start."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.corpus import Corpus, live_server
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
SCREENSHOT = Path("/tmp/ws-tus.png")
CHUNK = 64 * 1024  # bytes per PATCH in these tests, so a photo takes several


@pytest.fixture
def upload_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over an empty repository with one archivist user."""
    data = tmp_path / "data"
    UserStore(LocalStore(data / "store")).create("li.na", "蔚县文化馆", "archivist", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running


@pytest.fixture
def context(browser: Browser, upload_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=upload_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    yield context
    context.close()


@pytest.fixture
def staff_page(context: BrowserContext, upload_server: LiveServer) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/workspace/login")
    page.locator("#name").fill("li.na")
    page.locator("#password").fill(PASSWORD)
    page.locator(".login-form button").click()
    expect(page).to_have_url(f"{upload_server.url}/workspace/")
    page.goto("/workspace/upload")
    yield page
    assert not errors, f"errors in the page: {errors}"


def noise_jpeg(path: Path, seed: int, size: tuple[int, int]) -> Path:
    """A photo that does not compress: several chunks of bytes."""
    rng = random.Random(seed)
    Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)).save(path, quality=95)
    return path


def tus_requests(page: Page) -> list[tuple[str, str | None]]:
    """(method, Upload-Offset) of every request the page sends to /api/uploads/, as sent."""
    seen: list[tuple[str, str | None]] = []

    def note(request: Request) -> None:
        if "/api/uploads/" in request.url:
            seen.append((request.method, request.header_value("upload-offset")))

    page.on("request", note)
    return seen


def start(page: Page, files: list[Path], collection: str) -> None:
    page.locator("#collection").fill(collection)
    page.locator("#files").set_input_files(files)
    page.evaluate(f"document.getElementById('upload-form').dataset.chunkBytes = '{CHUNK}'")
    page.locator("#upload-form button[type=submit]").click()


def finished_job(page: Page) -> list[Any]:
    expect(page).to_have_url(re.compile(r"/workspace/jobs/[\w-]+$"), timeout=60_000)
    expect(page.locator("#job")).to_have_attribute("data-state", "done", timeout=120_000)
    return page.locator("#job-report tbody tr").all()


def test_each_file_goes_resumably_then_the_batch_ingests(staff_page: Page, tmp_path: Path) -> None:
    page = staff_page
    photos = [noise_jpeg(tmp_path / f"{name}.jpg", n, (320, 240)) for n, name in enumerate("甲乙")]
    sent = tus_requests(page)
    is_batch = lambda r: r.method == "POST" and "/workspace/upload" in r.url  # noqa: E731
    with page.expect_request(is_batch) as batch:
        start(page, photos, "weixian-papercuts")
    body = batch.value.post_data_buffer or b""
    assert b'name="uploads"' in body and b"image/jpeg" not in body  # ids, not the photos
    rows = finished_job(page)
    assert len(rows) == 2
    for row in rows:
        expect(row).to_have_attribute("data-outcome", "stored")
    creations = [m for m, _ in sent if m == "POST"]
    patches = [offset for m, offset in sent if m == "PATCH"]
    assert len(creations) == 2
    sizes = [p.stat().st_size for p in photos]
    assert len(patches) == sum(-(-size // CHUNK) for size in sizes)  # chunk by chunk, no repeat


def test_a_dropped_connection_resumes_from_the_servers_offset(
    staff_page: Page, context: BrowserContext, tmp_path: Path
) -> None:
    page = staff_page
    photo = noise_jpeg(tmp_path / "长卷.jpg", 7, (640, 480))
    assert photo.stat().st_size > 4 * CHUNK
    sent = tus_requests(page)
    patches = 0

    def drop_the_third_patch(route: Route) -> None:
        nonlocal patches
        if route.request.method == "PATCH":
            patches += 1
            if patches == 3:  # two chunks are in: the network goes away
                context.set_offline(True)
                route.abort("internetdisconnected")
                return
        route.continue_()

    page.route("**/api/uploads/**", drop_the_third_patch)
    start(page, [photo], "weixian-scrolls")
    paused = page.locator("#upload-files li[data-state=paused]")
    expect(paused).to_have_count(1)
    expect(paused).to_contain_text(message("zh", "upload.file_paused"))
    expect(page.locator("#upload-resume")).to_be_visible()
    kept = page.locator("#upload-files progress").evaluate("bar => bar.value")
    assert 0 < kept < 100  # part of the file is in
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    context.set_offline(False)  # the browser's `online` event resumes it
    rows = finished_job(page)
    assert len(rows) == 1
    expect(rows[0]).to_have_attribute("data-outcome", "stored")
    offsets = [offset for m, offset in sent if m == "PATCH"]
    resumed_at = str(2 * CHUNK)
    assert offsets.count("0") == 1, offsets  # never started again from the beginning
    assert offsets.count(resumed_at) == 2, offsets  # the dropped chunk, then its resume
    after_drop = sent[[m for m, _ in sent].index("PATCH") :]
    assert ("HEAD", None) in after_drop, sent  # the client asked the server where it stood
