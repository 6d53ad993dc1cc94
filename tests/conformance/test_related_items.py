"""`SearchIndex.related`: the same related items, for the same reasons, on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.errors import InvalidInput
from search.base import Audience, RelatedItem, SearchIndex
from tests.conformance.conftest import make_record

_PLACE = {"name": "蔚县", "name_en": "Yu County", "code": "130726"}
_ELSEWHERE = {"name": "佛山市", "name_en": "Foshan", "code": "440600"}
_BEARER = {"kind": "bearer", "id": "bearer-wang-lao-shi-1950"}
_PROJECT = {"kind": "project", "id": "project-vii-16"}


def _item(id: str, title: str, **fields: Any) -> dict[str, Any]:  # noqa: A002
    fields.setdefault("institution", "yu-xian-museum")
    return make_record(id, "yu-xian", {"zh": title}, **fields)


ITEMS = [
    _item("a-self", "蔚县剪纸窗花", region=_PLACE, authorities=[_BEARER, _PROJECT]),
    _item("b-bearer", "戏曲人物", region=_ELSEWHERE, authorities=[_BEARER]),
    _item("c-project", "十二生肖", region=_ELSEWHERE, authorities=[_PROJECT]),
    _item("d-place", "庙会照片", region=_PLACE),
    _item("e-text", "窗花图样集", region=_ELSEWHERE),
    _item("f-none", "长调民歌", region=_ELSEWHERE),
    _item("g-draft", "剪纸草稿", region=_PLACE, status="draft", authorities=[_BEARER]),
    _item("h-restricted", "剪纸访谈", access="restricted", authorities=[_BEARER]),
    _item("i-embargoed", "窗花剪纸", embargo_until="2099-01-01", authorities=[_PROJECT]),
    _item("j-bearer", "剪纸工具", region=_ELSEWHERE, authorities=[_BEARER]),
]
HIDDEN = {"g-draft", "h-restricted", "i-embargoed"}


def pairs(items: list[RelatedItem]) -> list[tuple[str, str]]:
    return [(item.id, item.reason) for item in items]


@pytest.fixture
def related_index(empty_index: SearchIndex) -> SearchIndex:
    empty_index.index(ITEMS)
    return empty_index


def test_reasons_in_order_for_the_public(related_index: SearchIndex) -> None:
    found = related_index.related(ITEMS[0], Audience.public(), limit=10)
    assert pairs(found) == [
        ("b-bearer", "same_bearer"),
        ("j-bearer", "same_bearer"),
        ("c-project", "same_project"),
        ("d-place", "same_place"),
        ("e-text", "similar_text"),
    ]
    assert found[0].summary["title"] == {"zh": "戏曲人物"}


def test_hidden_items_never_appear_for_the_public(related_index: SearchIndex) -> None:
    for record in ITEMS:
        found = {item.id for item in related_index.related(record, Audience.public(), limit=24)}
        assert not found & HIDDEN
        assert record["id"] not in found


def test_the_institution_sees_its_own_unpublished_items(related_index: SearchIndex) -> None:
    curator = Audience.member("yu-xian-museum", restricted=True)
    found = pairs(related_index.related(ITEMS[0], curator, limit=24))
    assert found[:4] == [
        ("b-bearer", "same_bearer"),
        ("g-draft", "same_bearer"),
        ("h-restricted", "same_bearer"),
        ("j-bearer", "same_bearer"),
    ]
    assert ("i-embargoed", "same_project") in found
    archivist = Audience.member("yu-xian-museum", restricted=False)
    assert "h-restricted" not in {i.id for i in related_index.related(ITEMS[0], archivist)}


def test_limit_cuts_the_weakest(related_index: SearchIndex) -> None:
    assert pairs(related_index.related(ITEMS[0], Audience.public(), limit=2)) == [
        ("b-bearer", "same_bearer"),
        ("j-bearer", "same_bearer"),
    ]
    with pytest.raises(InvalidInput, match="limit"):
        related_index.related(ITEMS[0], Audience.public(), limit=0)


def test_an_item_with_nothing_in_common_has_no_related_items(related_index: SearchIndex) -> None:
    lone = _item("z-lone", "马头琴", region={"name": "锡林郭勒盟"})
    assert related_index.related(lone, Audience.public()) == []
