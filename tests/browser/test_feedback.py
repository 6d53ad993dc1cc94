"""A visitor's correction in a real browser on a phone (390×844): written on the item page, thanked
without being shown, approved by the item's curator in the workspace, then shown to the visitor
on reload — as text. Screenshot of the phone page: /tmp/feedback.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.corpus import Corpus, live_server
from tests.e2e.governance_support import INST_A, ingest_rows, settings_for
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
CORRECTION = "这是蔚县，不是丰宁 <b>不是粗体</b>"
SCREENSHOT = Path("/tmp/feedback.png")


@pytest.fixture
def feedback_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """`heritage serve` over one published item and a curator of its institution."""
    data = tmp_path / "data"
    rows = {"public-published": {"status": "published", "access": "public"}}
    ids, _ = ingest_rows(settings_for(data), tmp_path / "source", rows, "browser-feedback")
    UserStore(LocalStore(data / "store")).create("wang.li", INST_A, "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running, ids["public-published"]


def test_a_visitors_correction_is_shown_once_approved(
    browser: Browser, feedback_server: tuple[LiveServer, str]
) -> None:
    server, item = feedback_server
    errors: list[str] = []
    phone = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    visitor = phone.new_page()
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"/items/{item}")
    form = visitor.locator("#feedback-form")
    form.scroll_into_view_if_needed()
    form.get_by_label(message("zh", "feedback.kind.correction")).check()
    visitor.locator("#feedback-text").fill(CORRECTION)
    visitor.locator("#feedback-name").fill("老王")
    visitor.locator("#feedback-contact").fill("wang@example.org")
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
    form.get_by_role("button", name=message("zh", "feedback.send")).click()
    expect(visitor.locator("#feedback-thanks")).to_have_text(message("zh", "feedback.thanks"))
    expect(visitor.locator("#feedback")).not_to_contain_text("蔚县")

    staff = browser.new_context(base_url=server.url, locale="zh-CN")
    curator = staff.new_page()
    curator.on("pageerror", lambda error: errors.append(str(error)))
    curator.goto("/workspace/login")
    curator.locator("#name").fill("wang.li")
    curator.locator("#password").fill(PASSWORD)
    curator.locator(".login-form button").click()
    curator.locator("#link-comments").click()
    expect(curator.locator("h1")).to_have_text(message("zh", "moderation.title"))
    entry = curator.locator(".moderation-item").filter(has_text="蔚县")
    expect(entry).to_contain_text("wang@example.org")
    entry.locator("textarea[name=reply]").fill("谢谢指正，已核实。")
    entry.get_by_role("button", name=message("zh", "moderation.send_reply")).click()
    expect(curator.locator("#moderation-outcome")).to_have_text(
        message("zh", "moderation.done.reply")
    )
    entry = curator.locator(".moderation-item").filter(has_text="蔚县")
    entry.get_by_role("button", name=message("zh", "moderation.approve")).click()
    expect(curator.locator("#moderation-outcome")).to_have_text(
        message("zh", "moderation.done.approve")
    )
    expect(curator.locator(".moderation-item")).to_have_count(0)
    staff.close()

    visitor.reload()
    shown = visitor.locator("#comments .comment").filter(has_text="蔚县")
    expect(shown.locator(".comment__text").first).to_have_text(CORRECTION)  # markup as text
    expect(shown).to_contain_text("老王")
    expect(shown).to_contain_text("谢谢指正，已核实。")
    expect(shown).not_to_contain_text("wang@example.org")
    expect(shown.locator("b")).to_have_count(0)
    shown.scroll_into_view_if_needed()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
    visitor.screenshot(path=str(SCREENSHOT))
    phone.close()
    assert not errors, f"errors in the pages: {errors}"
