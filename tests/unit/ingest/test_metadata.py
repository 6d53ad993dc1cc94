"""Manifest row -> record fields (the dates themselves: tests/unit/schemas/test_dates.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.errors import RowError
from ingest.manifest import MULTI_FIELDS, ManifestRow, split_multi
from ingest.metadata import bag_provenance, bag_values, row_fields
from ingest.unpack import BagInfo
from schemas import categories


def row(**values: Any) -> ManifestRow:
    values.setdefault("path", "a.jpg")
    cleaned = {k: split_multi(v) if k in MULTI_FIELDS else v for k, v in values.items()}
    return ManifestRow(7, "items.csv row 7 (line 8)", cleaned)


def test_reign_years_and_chinese_numerals_are_read_at_ingest() -> None:
    """Refused before the shared parser: 'is not a date this repository can read'."""
    assert row_fields(row(date="光绪二十六年"))["date"] == {
        "edtf": "1900",
        "display": "光绪二十六年",
        "earliest": 1900,
        "latest": 1900,
        "era": "qing",
    }
    assert row_fields(row(date="二〇一九年春"))["date"]["edtf"] == "2019-21"


def test_full_row() -> None:
    fields = row(
        identifier="ZJ-001",
        title_zh="剪纸《龙凤呈祥》",
        title="Dragon and phoenix",
        description="红色剪纸",
        category="傳統美術",  # traditional characters fold to the simplified label
        region="鄂尔多斯",
        region_en="Ordos",
        region_code="150600",
        lat="39.6",
        lon="109.8",
        date="20世纪50年代",
        people="王五 (国家级传承人); 李四（摄影）; 赵六",
        bearers="王五; 孙七 (省级)",
        subjects="剪纸; 婚俗",
        tags="红色；吉祥",
        language="中文; mn",
        license="CC-BY-4.0",
        rights_statement="仅供研究使用",
        rights_holder="鄂尔多斯市文化馆",
        access="institution",
        status="review",
        institution="ordos-museum",
        embargo_until="2030-01-01",
    )
    assert row_fields(fields) == {
        "identifier": "ZJ-001",
        "institution": "ordos-museum",
        "access": "institution",
        "status": "review",
        "title": {"zh": "剪纸《龙凤呈祥》", "en": "Dragon and phoenix"},
        "description": {"zh": "红色剪纸"},
        "category": "traditional-art",
        "region": {
            "name": "鄂尔多斯",
            "name_en": "Ordos",
            "code": "150600",
            "lat": 39.6,
            "lon": 109.8,
        },
        "date": {"edtf": "195X", "display": "20世纪50年代", "earliest": 1950, "latest": 1959},
        "people": [
            {"name": "王五", "role": "bearer", "level": "national"},
            {"name": "李四", "role": "photographer"},
            {"name": "赵六", "role": "creator"},
            {"name": "孙七", "role": "bearer", "level": "provincial"},
        ],
        "subjects": ["剪纸", "婚俗"],
        "tags": [
            {"value": "红色", "source": "given", "by": "manifest"},
            {"value": "吉祥", "source": "given", "by": "manifest"},
        ],
        "language": ["zh", "mn"],
        "rights": {
            "license": "CC-BY-4.0",
            "statement": {"zh": "仅供研究使用"},
            "holder": "鄂尔多斯市文化馆",
        },
        "embargo_until": "2030-01-01",
    }


@pytest.mark.parametrize("value", ["traditional-art", "传统美术", "Traditional fine arts"])
def test_category_by_code_or_label(value: str) -> None:
    assert row_fields(row(category=value))["category"] == "traditional-art"


def test_unknown_category_lists_valid_codes() -> None:
    with pytest.raises(RowError) as caught:
        row_fields(row(category="舞狮子"))
    message = str(caught.value)
    assert message.startswith(
        "items.csv row 7 (line 8): column 'category': unknown category '舞狮子'"
    )
    assert all(c.code in message and c.zh in message for c in categories())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"date": "someday"}, "column 'date': 'someday' is not a date"),
        (
            {"people": "王五 (导演)"},
            "column 'people': unknown role '导演' for 王五; roles are: bearer",
        ),
        ({"lat": "north", "lon": "1", "region": "x"}, "column 'lat': 'north' is not a number"),
        ({"lat": "95", "lon": "1", "region": "x"}, "column 'lat': 95.0 is outside -90…90"),
        ({"lat": "39.6", "region": "x"}, "column 'lat' and column 'lon': give both or neither"),
        ({"region_code": "150600"}, "column 'region': a place name is needed"),
        (
            {"language": "Klingon language"},
            "column 'language': 'Klingon language' is not a language",
        ),
        (
            {"embargo_until": "2030-02-30"},
            "column 'embargo_until': '2030-02-30' is not a real date",
        ),
    ],
)
def test_bad_values_name_the_row_and_column(values: dict[str, str], expected: str) -> None:
    with pytest.raises(RowError) as caught:
        row_fields(row(**values))
    assert str(caught.value).startswith("items.csv row 7 (line 8): ")
    assert expected in str(caught.value)


def test_title_language_is_guessed_from_the_script() -> None:
    assert row_fields(row(title="Long song"))["title"] == {"en": "Long song"}
    assert row_fields(row(title="长调民歌"))["title"] == {"zh": "长调民歌"}
    assert row_fields(row(title="ᠤᠷᠲᠤ ᠳᠠᠭᠤ"))["title"] == {"mn": "ᠤᠷᠲᠤ ᠳᠠᠭᠤ"}


def test_empty_row_gives_no_fields() -> None:
    assert row_fields(row()) == {}


BAG = BagInfo(
    "收藏/bag",
    {
        "Source-Organization": ["鄂尔多斯市群众艺术馆"],
        "external-description": ["漫瀚调录音", "second line"],
        "Bagging-Date": ["2024-05-01"],
        "Payload-Oxum": ["16.2"],
        "Contact-Email": ["a@example.org"],
    },
)


def test_bag_info_fills_description_and_rights_holder_only() -> None:
    assert bag_values(BAG) == {
        "description": "漫瀚调录音\nsecond line",
        "rights_holder": "鄂尔多斯市群众艺术馆",
    }
    fields = row_fields(ManifestRow(0, "bag-info.txt", bag_values(BAG)))
    assert fields == {
        "description": {"zh": "漫瀚调录音\nsecond line"},
        "rights": {"holder": "鄂尔多斯市群众艺术馆"},
    }


def test_bag_facts_about_the_package_go_to_provenance() -> None:
    assert bag_provenance(BAG) == (
        "BagIt bag 收藏/bag (validated; Source-Organization: 鄂尔多斯市群众艺术馆; "
        "Bagging-Date: 2024-05-01; Payload-Oxum: 16.2)"
    )
