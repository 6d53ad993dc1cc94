"""Language choice and labels for facet values."""

from __future__ import annotations

import pytest

from api.labels import labels_for, pick_language, text_in
from api.operations.contributions import TAG
from schemas import category_by_code


@pytest.mark.parametrize(
    ("lang", "accept", "expected"),
    [
        ("en", "zh-CN", "en"),
        ("EN", None, "en"),
        ("fr", None, "zh"),
        (None, None, "zh"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, zh;q=0.8", "zh"),
        (None, "zh-Hant;q=0, en;q=0.1", "en"),
        (None, "de, fr;q=0.5", "zh"),
        (None, "en;q=bad, zh", "zh"),
    ],
)
def test_pick_language(lang: str | None, accept: str | None, expected: str) -> None:
    assert pick_language(lang, accept) == expected


def test_text_in_falls_back_to_any_language() -> None:
    assert text_in({"zh": "剪纸", "en": "Paper cutting"}, "en") == "Paper cutting"
    assert text_in({"zh": "剪纸"}, "en") == "剪纸"
    assert text_in({"mn": "ᠤᠷᠲᠤ"}, "zh") == "ᠤᠷᠲᠤ"
    assert text_in(None, "zh") == ""


def test_category_labels_come_from_the_vocabulary() -> None:
    concept = category_by_code("craftsmanship")
    assert labels_for("category", "craftsmanship") == {"zh": concept.zh, "en": concept.en}


def test_values_without_a_vocabulary_label_are_shown_as_they_are() -> None:
    assert labels_for("region", "陕西省") == {"zh": "陕西省", "en": "陕西省"}
    assert labels_for("category", "unknown-code") == {"zh": "unknown-code", "en": "unknown-code"}
    assert labels_for("decade", "1950")["en"] == "1950s"


def test_the_tag_a_contribution_gets_is_labelled_in_both_languages() -> None:
    assert labels_for("tag", TAG) == {"zh": "公众投稿", "en": "Public contribution"}
    assert labels_for("tag", "剪纸") == {"zh": "剪纸", "en": "剪纸"}  # a person's: as written
