"""Captions in a real browser: a 4-second video ingested with a .zh.vtt beside it plays with its
track loaded; clicking a transcript cue moves the player to that cue, and a page address ending
in #t=SECONDS (what a search hit in caption text links to) starts the player there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.corpus import Corpus, LiveServer, live_server
from tests.e2e.sharing_support import make_settings
from tests.support.ingesting import ingest_folder
from tests.unit.support.samples import ffmpeg

CUES = """WEBVTT

00:00:00.000 --> 00:00:01.500
鄂尔多斯婚礼开始了

00:00:02.500 --> 00:00:03.500
新娘上马
"""


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data folder holding the ingested video, and its id."""
    root = tmp_path_factory.mktemp("browser-captions")
    source = root / "source"
    source.mkdir()
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4",
        "-f", "lavfi", "-i", "sine=f=440:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        str(source / "wedding.mp4"),
    )  # fmt: skip
    (source / "wedding.zh.vtt").write_text(CUES, encoding="utf-8")
    settings = make_settings(root / "data")
    report = ingest_folder(
        settings, source, None, "captions-browser", institution="local", default_status="published"
    )
    (item,) = report.items
    assert item.id is not None
    return root, item.id


@pytest.fixture(scope="module")
def server(video: tuple[Path, str]) -> Iterator[LiveServer]:
    root, _ = video
    with live_server(Corpus(root, root / "data", {})) as running:
        yield running


def test_the_track_loads_and_a_cue_click_seeks(page: Page, video: tuple[Path, str]) -> None:
    _, item_id = video
    page.goto(f"/items/{item_id}")
    player = page.locator("#video-player")
    expect(player.locator("track")).to_have_attribute("srclang", "zh")
    page.wait_for_function(
        "() => { const v = document.getElementById('video-player');"
        " return v.readyState >= 1 && v.textTracks.length === 1"
        " && v.textTracks[0].mode === 'showing' && v.textTracks[0].cues"
        " && v.textTracks[0].cues.length === 2; }"
    )
    assert page.evaluate("document.getElementById('video-player').textTracks[0].cues[1].text") == (
        "新娘上马"
    )

    page.locator(".transcript__cue", has_text="新娘上马").click()
    page.wait_for_function("() => document.getElementById('video-player').currentTime >= 2.5")
    expect(page).to_have_url(re.compile(rf"/items/{item_id}#t=2\.5$"))
    # it plays on from there (the click is the gesture that allows sound)
    page.wait_for_function("() => document.getElementById('video-player').currentTime > 2.7")
    expect(page.locator(".transcript__cue", has_text="新娘上马")).to_have_attribute(
        "aria-current", "true"
    )


def test_a_time_in_the_address_starts_the_player_there(page: Page, video: tuple[Path, str]) -> None:
    _, item_id = video
    page.goto(f"/items/{item_id}#t=2.5")
    page.wait_for_function("() => document.getElementById('video-player').currentTime >= 2.5")
