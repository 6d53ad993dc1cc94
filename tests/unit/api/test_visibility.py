"""The record-side visibility rule that item, file and page routes apply."""

from __future__ import annotations

from datetime import date

import pytest

from api.visibility import is_visible
from search.base import Audience

TODAY = date(2024, 6, 1)


def record(**fields: str) -> dict[str, str]:
    return {"status": "published", "access": "public", "institution": "museum-a", **fields}


@pytest.mark.parametrize(
    ("fields", "public"),
    [
        ({}, True),
        ({"status": "draft"}, False),
        ({"status": "review"}, False),
        ({"status": "withdrawn"}, False),
        ({"access": "institution"}, False),
        ({"access": "restricted"}, False),
        ({"embargo_until": "2024-06-02"}, False),
        ({"embargo_until": "2024-06-01"}, True),  # the embargo ends on that day
        ({"embargo_until": "2020-01-01"}, True),
    ],
)
def test_public_sees_only_published_public_unembargoed(fields: dict, public: bool) -> None:
    assert is_visible(record(**fields), Audience.public(), TODAY) is public


def test_an_institution_sees_its_own_hidden_items_only() -> None:
    draft = record(status="draft", access="restricted")
    assert is_visible(draft, Audience(institution="museum-a"), TODAY)
    assert not is_visible(draft, Audience(institution="museum-b"), TODAY)
    assert is_visible(record(), Audience(institution="museum-b"), TODAY)


def test_everyone_sees_everything() -> None:
    assert is_visible(record(status="draft", embargo_until="2999-01-01"), Audience.all(), TODAY)
