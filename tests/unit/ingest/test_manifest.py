"""Manifests: CSV in every encoding Chinese spreadsheets write, JSON, and pairing with files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.discover import SourceFile
from ingest.errors import IngestError
from ingest.manifest import load_manifest, pair_rows, split_multi

CSV_TEXT = (
    "path,identifier,title_zh,category,people,tags\n"
    "剪纸/龙凤.jpg,ZJ-001,剪纸《龙凤呈祥》,传统美术,王五 (传承人); 李四 (摄影),红色；吉祥\n"
    '"photos/a.jpg;photos/b.jpg",ZJ-002,"安代舞, 第一场",传统舞蹈,,\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_loads_correct_chinese(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    manifest = load_manifest(path)
    assert manifest.failures == []
    first, second = manifest.rows
    assert first.values["title_zh"] == "剪纸《龙凤呈祥》"
    assert first.values["category"] == "传统美术"
    assert first.paths == ["剪纸/龙凤.jpg"]
    assert first.values["people"] == ["王五 (传承人)", "李四 (摄影)"]
    assert first.values["tags"] == ["红色", "吉祥"]  # split on the full-width ；too
    assert second.paths == ["photos/a.jpg", "photos/b.jpg"]
    assert second.values["title_zh"] == "安代舞, 第一场"
    assert "people" not in second.values  # empty cells are ignored
    assert (first.number, second.number) == (1, 2)
    assert first.where == "items.csv row 1 (line 2)"


def test_tab_separated_excel_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "items.txt"
    path.write_bytes("path\ttitle_zh\nx.jpg\t长调\n".encode("utf-16"))
    assert load_manifest(path).rows[0].values == {"path": ["x.jpg"], "title_zh": "长调"}


def test_json_list_and_items_object(tmp_path: Path) -> None:
    rows = [{"path": ["a.jpg", "b.jpg"], "title": "长调", "lat": 39.6, "lon": 109.8}]
    for data in (rows, {"items": rows}):
        path = tmp_path / "m.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        row = load_manifest(path).rows[0]
        assert row.paths == ["a.jpg", "b.jpg"]
        assert row.values["lat"] == 39.6
        assert row.where == "m.json item 1"


def test_bad_row_names_its_number_and_column_and_others_load(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path,access\na.jpg,public\nb.jpg,secret\nc.jpg,\n", encoding="utf-8")
    manifest = load_manifest(path)
    assert [r.paths for r in manifest.rows] == [["a.jpg"], ["c.jpg"]]
    (failure,) = manifest.failures
    assert failure.number == 2
    assert str(failure.error) == (
        "items.csv row 2 (line 3): column B 'access': 'secret' is not allowed; use one of "
        "public (公开), institution (机构内部), restricted (受限), or leave it empty"
    )


def test_row_with_too_many_cells_fails(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path,title\na.jpg,x,extra\n", encoding="utf-8")
    (failure,) = load_manifest(path).failures
    assert str(failure.error) == (
        "items.csv row 1 (line 2): column C has no name in the header but holds 'extra'; "
        "name the column or clear the cell"
    )


def test_row_without_path_fails(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"title": "x"}, {"path": " ; "}]), encoding="utf-8")
    failures = load_manifest(path).failures
    assert [f.number for f in failures] == [1, 2]
    assert all("column 'path' is empty" in str(f.error) for f in failures)


def test_unknown_header_column_stops_the_run(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path,titel\na.jpg,x\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        load_manifest(path)
    assert str(caught.value).startswith(
        "manifest items.csv: the header (row 1): column B 'titel' is not a column we know "
        "(did you mean 'title'?). Valid columns are: path (文件), identifier (编号), "
    )


def test_undecodable_or_broken_manifest_stops_the_run(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes(b"path\n\x81\x20")
    with pytest.raises(IngestError, match="neither UTF-8 nor GBK"):
        load_manifest(path)
    broken = tmp_path / "items.json"
    broken.write_text('[{"path": "a.jpg",}]', encoding="utf-8")
    with pytest.raises(IngestError, match=r"items\.json: not valid JSON: .* line 1"):
        load_manifest(broken)


def test_duplicate_identifier_fails_the_second_row(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path,identifier\na.jpg,X1\nb.jpg,X1\n", encoding="utf-8")
    manifest = load_manifest(path)
    assert [r.number for r in manifest.rows] == [1]
    assert "identifier 'X1' is already used by row 1" in str(manifest.failures[0].error)


def files(*relpaths: str) -> list[SourceFile]:
    return [SourceFile(Path("/data") / p, p) for p in relpaths]


def test_pairing_matches_normalised_paths_and_leaves_the_rest_unmatched(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text('path\n".\\photos\\a.jpg; photos/b.jpg"\n', encoding="utf-8")
    pairing = pair_rows(load_manifest(path), files("photos/a.jpg", "photos/b.jpg", "c.jpg"))
    ((row, matched),) = pairing.items
    assert [f.relpath for f in matched] == ["photos/a.jpg", "photos/b.jpg"]
    assert [f.relpath for f in pairing.unmatched] == ["c.jpg"]


def test_missing_path_fails_that_row_only_naming_row_and_path(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path\na.jpg\nPhotos/B.JPG;a2.jpg\nc.jpg\n", encoding="utf-8")
    pairing = pair_rows(load_manifest(path), files("a.jpg", "a2.jpg", "photos/b.jpg", "c.jpg"))
    assert [row.number for row, _ in pairing.items] == [1, 3]
    (failure,) = pairing.failures
    assert str(failure.error) == (
        "items.csv row 2 (line 3): file 'Photos/B.JPG' was not found in the ingested folder "
        "(did you mean 'photos/b.jpg'? paths are case-sensitive)"
    )
    # a2.jpg belongs to the failed row: it is not ingested without the row's metadata
    assert [f.relpath for f in pairing.unmatched] == ["photos/b.jpg"]


def test_a_file_claimed_by_two_rows_fails_the_second(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path\na.jpg\na.jpg\n", encoding="utf-8")
    pairing = pair_rows(load_manifest(path), files("a.jpg"))
    assert "file 'a.jpg' already belongs to row 1" in str(pairing.failures[0].error)


def test_split_multi() -> None:
    assert split_multi("a; b；c;;") == ["a", "b", "c"]
    assert split_multi(["a", "b；c", " "]) == ["a", "b", "c"]
