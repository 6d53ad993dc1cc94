"""Derived tags: technical, vocabulary (zh/en, traditional folded), folder and EXIF."""

from __future__ import annotations

from typing import Any

from ingest.tag import derive, keyword_matches


def tags(**kwargs: Any) -> list[tuple[str, str, str]]:
    kwargs.setdefault("media_type", "image")
    kwargs.setdefault("technical", {})
    kwargs.setdefault("texts", [])
    kwargs.setdefault("folders", [])
    kwargs.setdefault("category_given", False)
    result = derive(**kwargs)
    assert all(t["source"] == "derived" for t in result.tags)
    return [(t["value"], t["by"], t["scheme"]) for t in result.tags]


def test_technical_tags() -> None:
    assert tags(technical={"width": 6000, "height": 4000}) == [
        ("image", "technical", "media-type"),
        ("landscape", "technical", "orientation"),
        ("12–50MP", "technical", "resolution"),
    ]
    portrait = tags(technical={"width": 600, "height": 800})
    assert ("portrait", "technical", "orientation") in portrait
    assert ("<1MP", "technical", "resolution") in portrait
    assert ("square", "technical", "orientation") in tags(technical={"width": 2000, "height": 2000})
    assert ("1–12MP", "technical", "resolution") in tags(technical={"width": 2000, "height": 2000})


def test_exif_tags() -> None:
    found = tags(technical={"camera": "Canon EOS 5D", "captured": "2019-05-01T10:20:30"})
    assert ("Canon EOS 5D", "exif", "camera") in found
    assert ("2019", "exif", "year") in found


def test_vocabulary_in_chinese_traditional_and_english() -> None:
    assert ("剪纸", "vocabulary", "ich-keyword") in tags(texts=["蔚县剪紙藝術"])
    assert ("paper cutting", "vocabulary", "ich-keyword") in tags(texts=["Paper Cutting of Yu"])
    assert ("dance", "vocabulary", "ich-keyword") in tags(texts=["Dances of the steppe"])


def test_latin_keywords_match_whole_words_only() -> None:
    assert keyword_matches("the team of Germany") == []  # not 'tea', not 'ger'
    assert ("craftsmanship", "tea") in keyword_matches("brick tea making")


def test_folder_names_give_folder_tags() -> None:
    found = tags(folders=["ordos", "paper_cutting", "2019"])
    assert ("paper cutting", "folder", "ich-keyword") in found


def test_exactly_one_matched_category_is_proposed() -> None:
    result = derive(
        media_type="image",
        technical={},
        texts=["剪纸《龙凤》"],
        folders=["剪纸"],
        category_given=False,
    )
    assert result.category == "traditional-art"
    assert {
        "value": "traditional-art",
        "source": "derived",
        "by": "vocabulary",
        "scheme": "ich-category",
    } in result.tags


def test_no_category_when_ambiguous_or_given() -> None:
    ambiguous = derive(
        media_type="image",
        technical={},
        texts=["剪纸 and 民歌"],
        folders=[],
        category_given=False,
    )
    assert ambiguous.category is None
    given = derive(
        media_type="image", technical={}, texts=["剪纸"], folders=[], category_given=True
    )
    assert given.category is None
    assert not any(t["scheme"] == "ich-category" for t in given.tags)
