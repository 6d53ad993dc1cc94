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


def test_the_seed_list_is_the_first_national_batch_with_its_source() -> None:
    """ich-projects.json: 518 projects of 2006 (31 of them folk literature, as the State
    Council's circular counts them), each list number unique and agreeing with its category,
    with the source and its licence named; entries the other public copies confirm are there."""
    from collections import Counter

    from schemas import ich_projects
    from schemas.authority import ROMAN, list_number

    data = ich_projects()
    assert data["source"]["url"].startswith("https://github.com/")
    assert data["source"]["license"] and data["source"]["title"]
    numerals = {c["numeral"]: c["code"] for c in data["categories"]}
    assert list(numerals) == list(ROMAN)
    assert list(numerals.values()) == [c.code for c in categories()]
    projects = data["projects"]
    assert len(projects) == 518
    numbers = [p["list_number"] for p in projects]
    assert len(set(numbers)) == 518
    for project in projects:
        assert list_number(project["list_number"]) == project["list_number"]
        assert numerals[project["list_number"][0]] == project["category"]
        assert project["batch_year"] == 2006
        code = project.get("region", {}).get("code")
        assert code is None or (len(code) == 6 and code.isdigit())
    assert Counter(p["category"] for p in projects)["folk-literature"] == 31
    named = {p["list_number"]: p["zh"] for p in projects}
    assert named["Ⅰ-1"] == "苗族古歌"
    assert named["Ⅱ-28"] == "侗族大歌"
    assert named["Ⅳ-12"] == "川剧"
    assert named["Ⅶ-16"] == "剪纸"
    papercut = next(p for p in projects if p["list_number"] == "Ⅶ-16")
    assert "蔚县剪纸" in papercut["alternative_names"]
