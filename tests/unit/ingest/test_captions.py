"""captions: strict WebVTT and SRT reading, with messages naming the file, line and cue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.captions import (
    MAX_BYTES,
    MAX_CUES,
    CaptionError,
    caption_entry,
    caption_name_parts,
    is_caption_name,
    merge_captions,
    parse_captions,
    plan_captions,
)
from ingest.discover import SourceFile

GOOD_VTT = """WEBVTT - festival

NOTE recorded in 2019

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:04.500 align:start
<v 王>唱起来</v> &amp; 跳起来

01:02.250 --> 01:05.000
second line
two lines
"""


def test_good_vtt_is_read_and_kept_as_it_is() -> None:
    captions = parse_captions(GOOD_VTT.encode(), "festival.zh.vtt")
    assert [(c.start, c.end) for c in captions.cues] == [(1.0, 4.5), (62.25, 65.0)]
    assert captions.cues[0].plain == "唱起来 & 跳起来"
    assert captions.cues[1].plain == "second line two lines"
    assert captions.vtt == GOOD_VTT.encode()
    assert captions.converted is None


def test_srt_with_bom_and_crlf_becomes_webvtt() -> None:
    srt = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<font color=red>红</font> & <i>绿</i>\r\n\r\n"
    )
    srt += "2\r\n00:00:03,000 --> 00:00:04,000\r\n第二\r\n"
    captions = parse_captions(srt.encode(), "festival.srt")
    assert [(c.start, c.end, c.plain) for c in captions.cues] == [
        (1.0, 2.5, "红 & 绿"),
        (3.0, 4.0, "第二"),
    ]
    assert captions.converted == "converted from SRT to WebVTT"
    stored = captions.vtt.decode()
    assert stored.startswith("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n红 &amp; <i>绿</i>\n")
    assert "font" not in stored
    again = parse_captions(captions.vtt, "festival.vtt")  # what is stored reads back the same
    assert again.cues == captions.cues


def test_gb18030_srt_is_read() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\n剪纸艺人\n".encode("gb18030")
    assert parse_captions(srt, "a.srt").cues[0].plain == "剪纸艺人"


def test_overlapping_cues_are_fine() -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nA\n\n00:00:02.000 --> 00:00:03.000\nB\n"
    assert len(parse_captions(vtt.encode(), "a.vtt").cues) == 2


def test_end_before_start_names_file_line_and_cue() -> None:
    srt = "".join(
        f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},500\ntext {n}\n\n" for n in range(1, 12)
    )
    srt += "12\n00:01:05,000 --> 00:01:02,000\nbad\n"
    with pytest.raises(CaptionError) as caught:
        parse_captions(srt.encode(), "festival.srt")
    assert str(caught.value) == (
        "festival.srt: line 46 (cue 12): end 00:01:02,000 before start 00:01:05,000"
    )


def test_cues_out_of_order_are_refused() -> None:
    vtt = "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nA\n\n00:00:02.000 --> 00:00:03.000\nB\n"
    with pytest.raises(
        CaptionError,
        match=r"a.vtt: line 6 \(cue 2\): starts at 00:00:02.000, "
        r"before cue 1 \(00:00:05.000\)",
    ):
        parse_captions(vtt.encode(), "a.vtt")


def test_negative_time_is_refused() -> None:
    vtt = "WEBVTT\n\n-00:00:01.000 --> 00:00:02.000\nA\n"
    with pytest.raises(CaptionError, match=r"line 3 \(cue 1\).*cannot be negative"):
        parse_captions(vtt.encode(), "a.vtt")


def test_zero_length_cue_is_refused() -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:01.000\nA\n"
    with pytest.raises(CaptionError, match="ends when it starts"):
        parse_captions(vtt.encode(), "a.vtt")


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "a.srt", "not UTF-8"),
        (b"hello there\nthis is no caption file\n", "a.srt", "line 1 (cue 1): not a WebVTT or SRT"),
        (b"hello\n", "a.vtt", "must start with the line WEBVTT"),
        (b"WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nA\n", "a.vtt", "expected a timing line"),
        (b"WEBVTT\n\n00:00:01 --> 00:00:02\nA\n", "a.vtt", "is not a timing line"),
        (
            b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n00:00:03.000 --> 00:00:04.000\n",
            "a.vtt",
            "line 5 (cue 1): a cue's text may not contain '-->'",
        ),
        (b"", "a.srt", "has no cues"),
    ],
)
def test_garbage_is_refused_by_name(data: bytes, name: str, said: str) -> None:
    with pytest.raises(CaptionError) as caught:
        parse_captions(data, name)
    assert str(caught.value).startswith(f"{name}: ")
    assert said in str(caught.value)


def test_huge_file_is_refused_before_reading() -> None:
    with pytest.raises(CaptionError, match="caption files may be at most"):
        parse_captions(b"WEBVTT\n\n" + b" " * MAX_BYTES, "big.vtt")


def test_too_many_cues_are_refused() -> None:
    cue = "00:00:01.000 --> 00:00:02.000\nx\n\n"
    vtt = "WEBVTT\n\n" + cue * (MAX_CUES + 1)
    with pytest.raises(CaptionError, match=f"more than {MAX_CUES:,} cues"):
        parse_captions(vtt.encode(), "many.vtt")


@pytest.mark.parametrize(
    ("relpath", "parts"),
    [
        ("a/festival.zh.vtt", ("a/festival", "zh")),
        ("festival.zh-Hant.srt", ("festival", "zh-Hant")),
        ("festival.srt", ("festival", None)),
        ("song.take2.vtt", ("song.take2", None)),
        ("song.EN.vtt", ("song", "en")),
    ],
)
def test_caption_names(relpath: str, parts: tuple[str, str | None]) -> None:
    assert is_caption_name(relpath)
    assert caption_name_parts(relpath) == parts


def test_media_names_are_not_captions() -> None:
    assert not is_caption_name("festival.mp4")


def _sources(*relpaths: str) -> list[SourceFile]:
    return [SourceFile(Path("/nowhere") / relpath, relpath) for relpath in relpaths]


def test_captions_go_to_the_item_named_like_them_or_naming_them() -> None:
    festival, song, photo = _sources("a/festival.mp4", "song.wav", "photo.jpg")
    captions = _sources(
        "a/festival.zh.vtt", "a/festival.srt", "lyrics/song.en.srt", "b/festival.vtt", "x.vtt"
    )
    plan = plan_captions(
        [([festival], []), ([song], ["lyrics/song.en.srt", "missing.vtt"]), ([photo], [])],
        captions,
    )
    assert [[(c.source.relpath, c.language) for c in mine] for mine in plan.by_unit] == [
        [("a/festival.zh.vtt", "zh"), ("a/festival.srt", None)],
        [("lyrics/song.en.srt", "en")],
        [],
    ]
    assert plan.notes == [[], ["missing.vtt: caption file not found in the ingested folder"], []]
    assert [c.relpath for c in plan.orphans] == ["b/festival.vtt", "x.vtt"]


def test_a_caption_file_goes_to_the_first_item_claiming_it() -> None:
    one, two = _sources("one.mp4", "two.mp4")
    (shared,) = _sources("one.vtt")
    plan = plan_captions([([one], []), ([two], ["one.vtt"])], [shared])
    assert [len(mine) for mine in plan.by_unit] == [1, 0] and plan.orphans == []


def test_merging_keeps_each_file_once_and_the_cues_of_files_kept() -> None:
    captions = parse_captions(GOOD_VTT.encode(), "festival.zh.vtt")
    stored = {"key": "blobs/sha256/aa/aa/" + "a" * 64, "sha256": "a" * 64, "bytes": 10}
    result = caption_entry(captions, "festival.zh.vtt", "zh", "captions", stored)
    record: dict[str, Any] = {"files": [{"role": "original", "sha256": "b" * 64}]}
    merge_captions(record, [result])
    merge_captions(record, [result], record["cues"])
    assert [f["role"] for f in record["files"]] == ["original", "captions"]
    assert [c["start"] for c in record["cues"]] == [1.0, 62.25]
    assert record["files"][1]["cues"] == 2 and record["files"][1]["kind"] == "captions"
