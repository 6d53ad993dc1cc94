"""Manifests: CSV in every encoding Chinese spreadsheets write, JSON, and pairing with files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.discover import SourceFile
from ingest.errors import IngestError, RowError
from ingest.manifest import columns, load_manifest, pair_rows, split_multi
from ingest.metadata import row_fields

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


def test_a_caption_file_in_the_path_column_says_where_it_belongs(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path,captions\nfestival.mp4;festival.vtt\nb.mp4,b.srt\n", encoding="utf-8")
    pairing = pair_rows(load_manifest(path), files("festival.mp4", "b.mp4"))
    (failure,) = pairing.failures
    assert "file 'festival.vtt' is a caption file" in str(failure.error)
    assert "captions column (字幕)" in str(failure.error)
    ((row, matched),) = pairing.items
    assert row.values["captions"] == ["b.srt"] and [f.relpath for f in matched] == ["b.mp4"]


def test_a_file_claimed_by_two_rows_fails_the_second(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("path\na.jpg\na.jpg\n", encoding="utf-8")
    pairing = pair_rows(load_manifest(path), files("a.jpg"))
    assert "file 'a.jpg' already belongs to row 1" in str(pairing.failures[0].error)


def test_a_refused_row_holds_back_the_files_it_names(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    rows = [
        {"path": ["a.jpg", "b.jpg"], "access": "secret"},  # the row schema refuses it
        {"path": "c.jpg", "identifier": "X"},
        {"path": "d.jpg", "identifier": "X"},  # a duplicate identifier
        {"path": "a.jpg"},  # would have been the second row naming a.jpg anyway
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    manifest = load_manifest(path)
    assert [f.paths for f in manifest.failures] == [("a.jpg", "b.jpg"), ("d.jpg",)]
    pairing = pair_rows(manifest, files("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"))
    assert [row.number for row, _ in pairing.items] == [2]
    assert sorted(f.number for f in pairing.failures) == [1, 3, 4]
    assert "file 'a.jpg' already belongs to item 1" in str(pairing.failures[-1].error)
    assert [f.relpath for f in pairing.unmatched] == ["e.jpg"]


def test_split_multi() -> None:
    assert split_multi("a; b；c;;") == ["a", "b", "c"]
    assert split_multi(["a", "b；c", " "]) == ["a", "b", "c"]


def csv_manifest(tmp_path: Path, text: str, name: str = "items.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_empty_columns_excel_leaves_are_ignored(tmp_path: Path) -> None:
    """Excel saves a column once typed in and cleared as an empty header cell: no reason to stop."""
    path = csv_manifest(tmp_path, "path,title,,\na.jpg,长调,,\n,,,\nb.jpg,,,\n")
    manifest = load_manifest(path)
    assert manifest.failures == []
    assert [r.values for r in manifest.rows] == [
        {"path": ["a.jpg"], "title": "长调"},
        {"path": ["b.jpg"]},
    ]


def test_a_value_under_a_nameless_column_fails_its_row_naming_the_column(tmp_path: Path) -> None:
    path = csv_manifest(tmp_path, "path,,title\na.jpg,,甲\nb.jpg,oops,乙\n")
    manifest = load_manifest(path)
    assert [r.paths for r in manifest.rows] == [["a.jpg"]]
    (failure,) = manifest.failures
    assert str(failure.error) == (
        "items.csv row 2 (line 3): column B has no name in the header but holds 'oops'; "
        "name the column or clear the cell"
    )
    assert failure.paths == ("b.jpg",)  # its file waits for the corrected row


def test_chinese_headers_and_value_labels_map_to_the_schema_columns(tmp_path: Path) -> None:
    path = csv_manifest(
        tmp_path,
        "文件名,编号,标题,英文标题,描述,类别,地区,日期,传承人,标签,访问权限,状态\n"
        "剪纸/龙凤.jpg,ZJ-1,龙凤呈祥,Dragon,窗花,传统美术,鄂尔多斯,1985,王五;李四,红色,受限,已发布\n",
    )
    (row,) = load_manifest(path).rows
    assert row.values == {
        "path": ["剪纸/龙凤.jpg"],
        "identifier": "ZJ-1",
        "title": "龙凤呈祥",
        "title_en": "Dragon",
        "description": "窗花",
        "category": "传统美术",
        "region": "鄂尔多斯",
        "date": "1985",
        "bearers": ["王五", "李四"],
        "tags": ["红色"],
        "access": "restricted",
        "status": "published",  # so the check that only curators publish sees it too
    }


@pytest.mark.parametrize(
    "header",
    ["Title", "TITLE", " title ", "标题", "题名", "标题\ntitle", "标题 / title", "标题（title）"],
)
def test_header_spellings(tmp_path: Path, header: str) -> None:
    path = csv_manifest(tmp_path, f'path,"{header}"\na.jpg,甲\n')
    assert load_manifest(path).rows[0].values["title"] == "甲"


def test_english_and_chinese_label_values_and_plain_codes(tmp_path: Path) -> None:
    path = csv_manifest(
        tmp_path, "path,access,status\na,Public,Draft\nb,机构内部,待审核\nc,public,\n"
    )
    assert [(r.values.get("access"), r.values.get("status")) for r in load_manifest(path).rows] == [
        ("public", "draft"),
        ("institution", "review"),
        ("public", None),
    ]


def test_header_typo_names_column_letter_and_the_closest_known_header(tmp_path: Path) -> None:
    path = csv_manifest(tmp_path, "文件,标题,日起,catgory\na.jpg,甲,1985,民俗\n")
    with pytest.raises(IngestError) as caught:
        load_manifest(path)
    assert str(caught.value).startswith(
        "manifest items.csv: the header (row 1): column C '日起' is not a column we know "
        "(did you mean '日期'?); column D 'catgory' is not a column we know "
        "(did you mean 'category'?). Valid columns are: "
    )


def test_two_headers_meaning_one_column_stop_the_run(tmp_path: Path) -> None:
    path = csv_manifest(tmp_path, "path,标题,Title\na.jpg,甲,A\n")
    with pytest.raises(IngestError, match=r"columns B '标题' and C 'Title' both mean 'title'"):
        load_manifest(path)


def test_a_header_without_a_path_column_says_so(tmp_path: Path) -> None:
    path = csv_manifest(tmp_path, "标题,日期\n甲,1985\n")
    with pytest.raises(IngestError, match=r"the header \(row 1\) has no 'path' \(文件\) column"):
        load_manifest(path)


def test_a_title_above_the_header_and_an_english_header_row_are_passed_over(
    tmp_path: Path,
) -> None:
    path = csv_manifest(
        tmp_path, "鄂尔多斯市非遗资源清单,,\n文件,标题,日期\npath,title,date\na.jpg,甲,1985\n"
    )
    (row,) = load_manifest(path).rows
    assert row.values == {"path": ["a.jpg"], "title": "甲", "date": "1985"}
    assert (row.number, row.where) == (1, "items.csv row 1 (line 4)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "path,region_code\na.jpg,15060\n",
            "column B 'region_code': '15060' is not a six-digit administrative division code "
            "such as 150602",
        ),
        (
            "文件,限制期至\na.jpg,2030/1/1\n",
            "column B '限制期至': '2030/1/1' is not a date written YYYY-MM-DD, such as 2030-01-01",
        ),
        (
            "path,title\na.jpg," + "长" * 2001 + "\n",
            "column B 'title': the text is 2001 characters long; at most 2000 are allowed",
        ),
        (
            "path,tags\na.jpg," + "长" * 20001 + "\n",
            "column B 'tags': the text is 20001 characters long; at most 20000 are allowed",
        ),
        (
            "path,状态\na.jpg,secret\n",
            "column B '状态': 'secret' is not allowed; use one of draft (草稿), review (待审核), "
            "published (已发布), withdrawn (已撤回), or leave it empty",
        ),
    ],
)
def test_bad_values_say_which_column_and_what_shape_in_plain_words(
    tmp_path: Path, text: str, message: str
) -> None:
    (failure,) = load_manifest(csv_manifest(tmp_path, text)).failures
    assert str(failure.error) == f"items.csv row 1 (line 2): {message}"


def test_json_bad_shapes_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    rows = [{"path": 7}, {"path": ["a.jpg", 3]}, {"path": "b.jpg", "lat": [1]}, {"fiel": "x"}]
    path.write_text(json.dumps(rows), encoding="utf-8")
    errors = [str(f.error) for f in load_manifest(path).failures]
    assert errors == [
        "m.json item 1: column 'path': expected text (several values separated by ';'), "
        "not the number 7",
        "m.json item 2: column 'path': entry 2: expected text, not the number 3",
        "m.json item 3: column 'lat': expected text or a number, not a list",
        "m.json item 4: unknown field(s) 'fiel' (did you mean 'file'?); valid: "
        + ", ".join(columns()),
    ]
    assert not any("valid under" in error for error in errors)  # no validator jargon


def test_row_messages_name_the_column_as_its_header_is_written(tmp_path: Path) -> None:
    path = csv_manifest(tmp_path, "文件,类别,日期\na.jpg,戏法,1985\n")
    (row,) = load_manifest(path).rows
    with pytest.raises(RowError, match=r"^items\.csv row 1 \(line 2\): column B '类别': unknown"):
        row_fields(row)


def test_a_first_row_naming_a_file_called_file_is_data_not_a_second_header(tmp_path: Path) -> None:
    assert [r.paths for r in load_manifest(csv_manifest(tmp_path, "path\nfile\n")).rows] == [
        ["file"]
    ]
    two = csv_manifest(tmp_path, "文件,标题\nfile,Title\na.jpg,甲\n")
    assert [r.paths for r in load_manifest(two).rows] == [["a.jpg"]]  # that one is a header row


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("items.csv", "\ufeffpath,title_zh\n".encode("utf-16")[:-1], "UTF-16"),
        ("items.json", b"[" * 100_000 + b"]" * 100_000, "not a manifest's JSON"),
        ("items.json", b'[{"path": "a.jpg", "n": ' + b"9" * 5000 + b"}]", "not a manifest's JSON"),
        ("items.csv", b"path,title_zh\na.jpg," + b"x" * 200_000 + b"\n", "line 2 cannot be read"),
    ],
)
def test_a_hostile_manifest_stops_with_its_name_not_a_traceback(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as refused:
        load_manifest(path)
    assert name in str(refused.value) and said in str(refused.value)


def test_a_csv_whose_first_header_starts_with_a_bracket_is_still_a_table(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("[文件],标题\na.jpg,剪纸\n", encoding="utf-8")
    with pytest.raises(IngestError) as refused:  # a table with an unknown column, not bad JSON
        load_manifest(path)
    assert "JSON" not in str(refused.value)
