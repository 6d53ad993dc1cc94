"""The flat document every backend indexes, and the summary a hit carries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from schemas import validate_record
from search.documents import (
    DISPLAY_TEXT_CHARS,
    FIELD_BOOSTS,
    decades,
    summary_of,
    to_document,
    year_range,
)


def record(**fields: Any) -> dict[str, Any]:
    sha = "a" * 64
    base = {
        "schema_version": "1.0",
        "id": "kq-001",
        "collection": "kunqu-archive",
        "institution": "suzhou-kunqu-museum",
        "title": {"zh": "崑曲《牡丹亭》", "en": "Kunqu opera: The Peony Pavilion"},
        "description": {"zh": "蘇州昆劇院演出。" * 60, "en": "Recorded in Suzhou."},
        "category": "traditional-drama",
        "media_type": "video",
        "region": {"name": "苏州市", "name_en": "Suzhou"},
        "date": {"edtf": "1957", "earliest": 1957, "latest": 1957, "display": "1957年"},
        "people": [{"name": "俞振飞", "role": "performer", "name_en": "Yu Zhenfei"}],
        "subjects": ["戏曲"],
        "tags": [{"value": "折子戏", "source": "given"}],
        "access": "public",
        "status": "published",
        "text": "工尺谱",
        "files": [
            {"role": role, "key": "k", "media_type": "video/mp4", "bytes": 1, "sha256": sha}
            for role in ("original", "thumbnail", "access")
        ],
        "events": [],
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-02-01T00:00:00Z",
    }
    base.update(fields)
    validate_record(base)
    return base


def tokens(doc: dict[str, Any], field: str) -> list[str]:
    return doc[field].split()


def test_keyword_fields_and_years() -> None:
    doc = to_document(record())
    assert {k: doc[k] for k in ("id", "collection", "category", "media_type", "region")} == {
        "id": "kq-001",
        "collection": "kunqu-archive",
        "category": "traditional-drama",
        "media_type": "video",
        "region": "苏州市",
    }
    assert (doc["access"], doc["status"], doc["institution"]) == (
        "public",
        "published",
        "suzhou-kunqu-museum",
    )
    assert (doc["year_min"], doc["year_max"], doc["date_sort"], doc["decade"]) == (
        1957,
        1957,
        1957,
        [1950],
    )
    assert doc["embargo_until"] is None
    assert doc["modified"] == "2024-02-01T00:00:00Z"


def test_every_title_language_is_indexed_folded_with_pinyin() -> None:
    title = tokens(to_document(record()), "t_title")
    assert {"昆曲", "牡丹", "丹亭", "kunqu", "mudan", "opera", "peony", "pavilion"} <= set(title)
    assert "崑曲" not in title
    assert {"昆", "曲"} <= set(title)  # single characters for one-character queries


def test_people_places_subjects_description_and_text() -> None:
    doc = to_document(record())
    assert {"振飞", "yu", "zhenfei", "yuzhen"} <= set(tokens(doc, "t_people"))
    assert {"苏州", "suzhou"} <= set(tokens(doc, "t_places"))
    subjects = set(tokens(doc, "t_subjects"))
    assert {"戏曲", "子戏", "传统", "戏剧", "traditional", "drama"} <= subjects
    assert "kunqu" not in subjects  # pinyin only for titles, people and places
    assert {"昆剧", "record"} <= set(tokens(doc, "t_description"))
    assert tokens(doc, "t_text") == ["工尺", "尺谱"]


def test_field_boosts_rank_title_over_names_over_subjects_over_description_over_text() -> None:
    b = FIELD_BOOSTS
    assert b["t_title"] > b["t_people"] == b["t_places"] > b["t_subjects"]
    assert b["t_subjects"] > b["t_description"] > b["t_text"] > 0


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (1950, 1959, [1950]),
        (1958, 1962, [1950, 1960]),
        (1949, 1976, [1940, 1950, 1960, 1970]),
        (1945, 1985, []),  # five decades: too vague for a decade filter
        (1644, 1912, []),  # a dynasty
        (-221, -207, [-230, -220, -210]),  # floor: -221 is in -230…-221
        (None, None, []),
    ],
)
def test_decades(low: int | None, high: int | None, expected: list[int]) -> None:
    assert decades(low, high) == expected


def test_year_range_is_read_from_edtf_when_years_are_missing() -> None:
    assert year_range(record(date={"edtf": "195X"})) == (1950, 1959)
    assert year_range(record(date={"edtf": "1644/1912", "display": "清代"})) == (1644, 1912)
    assert year_range(record(date={"edtf": "not a date"})) == (None, None)
    # historical years, as `earliest`/`latest` count them: EDTF -0221 is 222 BCE
    assert year_range(record(date={"edtf": "-0221"})) == (-222, -222)
    assert year_range(record(date={"edtf": "15XX-01-3X"})) == (1500, 1599)
    assert year_range(record(date={"edtf": "1949/.."}))[1] == date.today().year
    undated = {k: v for k, v in record().items() if k != "date"}
    assert year_range(undated) == (None, None)
    assert to_document(undated)["decade"] == []


def test_a_date_open_at_its_end_runs_to_this_year() -> None:
    """新中国 (1949/..) must not sit inside 民国 (1912–1949) as the year 1949 alone."""
    prc = {"edtf": "1949/..", "display": "新中国", "earliest": 1949, "era": "prc"}
    assert year_range(record(date=prc)) == (1949, date.today().year)
    assert year_range(record(date={"edtf": "1957", "earliest": 1957})) == (1957, 1957)


def test_summary() -> None:
    summary = summary_of(record())
    assert summary["id"] == "kq-001"
    assert summary["title"] == {"zh": "崑曲《牡丹亭》", "en": "Kunqu opera: The Peony Pavilion"}
    assert summary["description"]["en"] == "Recorded in Suzhou."
    assert summary["description"]["zh"].endswith("…")
    assert len(summary["description"]["zh"]) < len(record()["description"]["zh"])
    assert summary["category_label"] == {"zh": "传统戏剧", "en": "Traditional drama"}
    assert summary["region"] == "苏州市"
    assert summary["date"] == {"display": "1957年", "earliest": 1957, "latest": 1957}
    assert summary["has_thumbnail"] is True
    assert summary["file_roles"] == ["access", "original", "thumbnail"]
    assert to_document(record())["summary"] == summary


def test_display_keeps_the_original_text_for_highlighting() -> None:
    doc = to_document(record())
    assert doc["display"]["title"]["zh"] == "崑曲《牡丹亭》"
    assert doc["display"]["description"]["zh"] == record()["description"]["zh"]


def test_title_sort_uses_pinyin_of_the_chinese_title() -> None:
    assert to_document(record())["title_sort"] == "kun qu mu dan ting"
    english = record(title={"en": "Andai dance"})
    assert to_document(english)["title_sort"] == "andai dance"


def test_an_unindexable_record_is_refused_naming_its_id() -> None:
    broken = record()
    del broken["title"]
    with pytest.raises(ValueError, match="kq-001.*cannot be indexed"):
        to_document(broken)


def test_a_paged_documents_text_is_kept_for_the_highlighter_up_to_a_cap() -> None:
    assert "text" not in to_document(record())["display"]  # not paged: the index keeps no text
    long = "第一页\n\n" + "页" * DISPLAY_TEXT_CHARS
    paged = record(text=long, text_pages=[0, 5, DISPLAY_TEXT_CHARS + 2])
    validate_record(paged)

    display = to_document(paged)["display"]

    assert display["text"] == long[:DISPLAY_TEXT_CHARS]
    assert display["text_pages"] == [0, 5]  # a page past the kept text cannot be told
