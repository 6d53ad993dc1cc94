"""A resident's contribution from a phone (390×844) in a real browser: the form filled in, the
page's own script solving the proof of work (at the default difficulty), a small photo uploaded
(resumable, tus),
the private status link shown; a curator signs in and accepts it; the item page credits the
contributor and shows the contact nowhere. Screenshot of the phone form: /tmp/contribute.png."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from api.http.i18n import message
from repository import LocalStore
from repository.users import UserStore
from tests.browser.conftest import SCREENSHOTS
from tests.browser.corpus import Corpus, live_server
from tests.support.server import LiveServer

PASSWORD = "correct horse battery"
CONTACT = "13800138000"
NAME = "赵大姐 <i>蔚县</i>"
SCREENSHOT = Path("/tmp/contribute.png")
ITEM_SCREENSHOT = SCREENSHOTS / "contribution-item-phone.png"
RELOADS = 240  # at 0.5 s: a generous bound for one small photo's ingest, not a timing assertion


@pytest.fixture
def contribute_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`heritage serve` over an empty repository with one curator of its institution."""
    data = tmp_path / "data"
    UserStore(LocalStore(data / "store")).create("wang.li", "local", "curator", PASSWORD)
    with live_server(Corpus(tmp_path, data, {})) as running:
        yield running


def state_after_reloads(page: Page, wanted: str) -> str:
    state = ""
    for _ in range(RELOADS):
        state = page.locator("#contribute-state").get_attribute("data-state") or ""
        if state == wanted:
            break
        page.wait_for_timeout(500)
        page.reload()
    return state


def test_a_contribution_from_a_phone_is_published_with_credit(
    browser: Browser, contribute_server: LiveServer, tmp_path: Path
) -> None:
    errors: list[str] = []
    phone = browser.new_context(
        base_url=contribute_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    visitor = phone.new_page()
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    sent: list[str] = []
    visitor.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    visitor.goto("/contribute")
    expect(visitor.locator("h1")).to_have_text(message("zh", "contribute.title"))
    expect(visitor.locator("#contribute-question")).to_be_hidden()  # the script answers
    visitor.locator("#contribute-name").fill(NAME)
    visitor.locator("#contribute-contact").fill(CONTACT)
    visitor.locator("#contribute-title").fill("正月十五的花灯")
    visitor.locator("#contribute-place").fill("河北省蔚县")
    visitor.locator("#contribute-date").fill("2019年2月")
    visitor.locator("#contribute-category").select_option("folk-customs")
    visitor.locator("#contribute-story").fill("全村一起扎花灯。")
    picture = io.BytesIO()
    Image.effect_noise((120, 80), 50).convert("RGB").save(picture, "JPEG")
    visitor.locator("#contribute-files").set_input_files(
        {"name": "花灯.jpg", "mimeType": "image/jpeg", "buffer": picture.getvalue()}
    )
    visitor.locator("#contribute-licence").check()
    visitor.locator("#contribute-consent").check()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
    visitor.screenshot(path=str(SCREENSHOT), full_page=True)
    visitor.locator("#contribute-send").click()
    visitor.wait_for_url("**/contribute/status/**", timeout=120_000)
    link = visitor.locator("#contribute-link")
    expect(link).to_contain_text("/contribute/status/")
    status_url = link.inner_text()
    assert any(s.startswith("PATCH ") and "/contribute/uploads/" in s for s in sent), sent
    assert state_after_reloads(visitor, "review") == "review"

    staff = browser.new_context(base_url=contribute_server.url, locale="zh-CN")
    curator = staff.new_page()
    curator.on("pageerror", lambda error: errors.append(str(error)))
    curator.goto("/workspace/login")
    curator.locator("#name").fill("wang.li")
    curator.locator("#password").fill(PASSWORD)
    curator.locator(".login-form button").click()
    curator.goto("/workspace/review?status=draft")
    expect(curator.locator(".review-contribution")).to_have_count(1)
    curator.locator(".review-contribution").click()
    entry = curator.locator(".contribution").filter(has_text="正月十五的花灯")
    expect(entry.locator(".contribution__contact")).to_have_text(CONTACT)
    entry.locator("textarea[name=message]").fill("谢谢分享！")
    entry.get_by_role("button", name=message("zh", "contributions.accept")).click()
    expect(curator.locator("#contributions-outcome")).to_have_text(
        message("zh", "contributions.done.accepted")
    )
    staff.close()

    visitor.goto(status_url)
    expect(visitor.locator("#contribute-state")).to_have_attribute("data-state", "published")
    visitor.locator("#contribute-item").click()
    expect(visitor.locator("h1")).to_contain_text("正月十五的花灯")
    credit = visitor.locator(".people li").filter(has_text="赵大姐")
    expect(credit.locator(".people__name")).to_have_text(NAME)  # the markup as text
    expect(visitor.locator("i", has_text="蔚县")).to_have_count(0)
    assert CONTACT not in visitor.content()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
    facts = visitor.locator(".facts__row")
    labels, values = facts.locator("dt").all_inner_texts(), facts.locator("dd").all_inner_texts()
    shown = dict(zip(labels, values, strict=True))
    assert shown[message("zh", "fact.keywords")] == "公众投稿"  # the tag `contribution`
    assert shown[message("zh", "fact.collection")] == "公众投稿"  # one word for it, not two
    assert message("zh", "fact.institution") not in shown  # `local` has no name configured
    visitor.locator(".facts").scroll_into_view_if_needed()
    visitor.screenshot(path=str(ITEM_SCREENSHOT))
    phone.close()
    assert not errors, f"errors in the pages: {errors}"
