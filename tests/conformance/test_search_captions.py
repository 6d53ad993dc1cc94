"""SearchIndex conformance for captions: cue text is found, and a hit in it says at which second
(`highlights['t']`) on every backend; visibility rules hold for it as for any text."""

from __future__ import annotations

from search.base import Audience, SearchIndex, SearchQuery
from tests.conformance.conftest import make_record

_FILE = "b" * 64


def _cues(*cues: tuple[float, str]) -> list[dict[str, object]]:
    return [{"file": _FILE, "start": start, "end": start + 1, "text": text} for start, text in cues]


def test_a_hit_in_caption_cues_gives_the_time(empty_index: SearchIndex) -> None:
    video = make_record(
        "vid-001",
        "c",
        {"zh": "婚礼录像"},
        media_type="video",
        cues=_cues((0.0, "鄂尔多斯婚礼开始了"), (75.5, "唱起 <zygodactyl> 的歌"), (90, "再见")),
    )
    hidden = make_record(
        "vid-002",
        "c",
        {"zh": "秘密"},
        media_type="video",
        access="restricted",
        cues=_cues((3.0, "zygodactyl secret")),
    )
    assert empty_index.index([video, hidden]) == 2

    (hit,) = empty_index.search(SearchQuery(q="zygodactyl")).hits
    assert hit.id == "vid-001"
    assert hit.highlights["t"] == "75.5"
    assert hit.highlights["text"] == "唱起 &lt;<mark>zygodactyl</mark>&gt; 的歌"
    (hit,) = empty_index.search(SearchQuery(q="婚礼开始")).hits
    assert hit.highlights["t"] == "0"
    (hit,) = empty_index.search(SearchQuery(q="婚礼录像")).hits
    assert "t" not in hit.highlights  # the title matched, no cue did

    staff = empty_index.search(SearchQuery(q="zygodactyl", audience=Audience.all()))
    assert {h.id for h in staff.hits} == {"vid-001", "vid-002"}


def test_the_cue_holding_most_of_the_query_is_the_one_named(empty_index: SearchIndex) -> None:
    video = make_record(
        "vid-003",
        "c",
        {"en": "Rehearsal"},
        media_type="video",
        cues=_cues((10.0, "the drummer waits"), (20.0, "drummer and singer together")),
    )
    empty_index.index([video])
    (hit,) = empty_index.search(SearchQuery(q="singer drummer")).hits
    assert hit.highlights["t"] == "20"
    assert hit.highlights["text"] == "<mark>drummer</mark> and <mark>singer</mark> together"
