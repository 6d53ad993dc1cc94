from __future__ import annotations

import pytest

from schemas import (
    SchemaError,
    categories,
    eras,
    resolve_category,
    validate_manifest_row,
    validate_record,
)
from schemas.loader import unesco_domains
from tests.unit.support.records import minimal_record


def test_ten_national_categories_map_to_five_unesco_domains() -> None:
    cats = categories()
    assert len(cats) == 10
    assert {c.unesco for c in cats} == set(unesco_domains())
    assert len(unesco_domains()) == 5
    assert resolve_category("民俗").code == "folk-customs"  # type: ignore[union-attr]
    assert resolve_category("Traditional drama").code == "traditional-drama"  # type: ignore[union-attr]
    assert resolve_category(" quyi ").code == "quyi"  # type: ignore[union-attr]
    assert resolve_category("cooking") is None


def test_eras_are_ordered_ranges() -> None:
    qing = next(e for e in eras() if e.code == "qing")
    assert (qing.start, qing.end) == (1644, 1912)
    assert "清代" in qing.aliases


def test_minimal_record_is_valid() -> None:
    validate_record(minimal_record())


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"category": "cooking"}, "$.category"),
        ({"access": "secret"}, "$.access"),
        ({"title": {}}, "$.title"),
        ({"id": "../etc"}, "$.id"),
        ({"unknown_field": 1}, "$"),
    ],
)
def test_invalid_records_name_the_field(change: dict, path: str) -> None:
    record = minimal_record() | change
    with pytest.raises(SchemaError) as excinfo:
        validate_record(record)
    assert excinfo.value.path == path


def test_bad_file_entry_is_located() -> None:
    record = minimal_record()
    record["files"][0]["sha256"] = "not-a-hash"
    with pytest.raises(SchemaError) as excinfo:
        validate_record(record)
    assert excinfo.value.path == "$.files[0].sha256"


def test_manifest_row_rejects_unknown_columns() -> None:
    validate_manifest_row({"path": "a.jpg", "title_zh": "剪纸", "tags": "红色;窗花"})
    with pytest.raises(SchemaError) as excinfo:
        validate_manifest_row({"path": "a.jpg", "titel": "typo"}, where="manifest.csv row 3")
    assert "manifest.csv row 3" in str(excinfo.value)
    assert "titel" in str(excinfo.value)
