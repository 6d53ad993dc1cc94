"""Staff download the XLSX template, fill it in Chinese in a spreadsheet, and ingest with it;
and a run stopped by Ctrl-C still hands back the report it stored."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ingest import IngestOptions, run_ingest
from ingest.manifest_template import write_manifest_template
from ingest.report import IngestInterrupted
from repository import LocalStore, RecordStore, StoreConfig
from tests.unit.support import images

COLLECTION = "ordos-papercuts"


def item_id(identifier: str) -> str:
    digest = hashlib.sha256((COLLECTION + "\0" + identifier).encode()).hexdigest()
    return f"{COLLECTION}-{digest[:12]}"


def fill_template(path: Path, rows: list[dict[str, object]]) -> None:
    """Type rows under the template's Chinese headers, as a member of staff would."""
    book = load_workbook(path)
    sheet = book["清单"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    for number, row in enumerate(rows, start=3):
        for header, value in row.items():
            sheet.cell(number, headers[header], value)
    book.save(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "照片"
    (root / "剪纸").mkdir(parents=True)
    for seed, name in enumerate(["龙凤.jpg", "窗花.jpg", "牧人.jpg", "错误.jpg"]):
        images.simple(root / "剪纸" / name, "JPEG", (64 + seed, 48))
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    return root


def test_a_filled_in_template_ingests_as_records(folder: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "清单.xlsx"
    write_manifest_template(manifest)
    fill_template(
        manifest,
        [
            {
                "文件": "剪纸/龙凤.jpg",
                "编号": "JZ-001",
                "标题": "龙凤呈祥",
                "英文标题": "Dragon and phoenix",
                "描述": "红纸剪成的窗花",
                "类别": "传统美术",  # chosen from the drop-down list
                "地区": "鄂尔多斯",
                "行政区划代码": 150600,  # typed as a number
                "日期": datetime(1985, 5, 3),  # typed as a date
                "传承人": "王五",
                "标签": "红色；吉祥",
                "访问权限": "公开",
                "状态": "待审核",
            },
            {"文件": "剪纸/窗花.jpg", "编号": 1002, "标题": "窗花", "日期": 1956, "类别": "民俗"},
            {"文件": "剪纸/牧人.jpg", "编号": "JZ-003", "标题": "牧人", "访问权限": "受限"},
            {"文件": "剪纸/错误.jpg", "编号": "JZ-004", "标题": "错误", "类别": "剪纸艺术"},
        ],
    )
    store = tmp_path / "store"
    options = IngestOptions(COLLECTION, manifest=manifest, workers=1)
    report = run_ingest([folder], options, StoreConfig(local_root=store), None)

    assert report.counts() == {"stored": 3, "failed": 1, "skipped": 1}
    (failed,) = [item for item in report.items if item.outcome == "failed"]
    assert (failed.source, failed.row) == ("剪纸/错误.jpg", 4)
    assert (failed.reason or "").startswith(
        "清单.xlsx row 6: column G '类别': unknown category '剪纸艺术'"
    )  # the spreadsheet's row, the column's letter and header as written
    (skipped,) = [item for item in report.items if item.outcome == "skipped"]
    assert skipped.source == ".DS_Store"

    records = RecordStore(LocalStore(store))
    dragon = records.load(item_id("JZ-001"))
    assert dragon["title"] == {"zh": "龙凤呈祥", "en": "Dragon and phoenix"}
    assert dragon["description"] == {"zh": "红纸剪成的窗花"}
    assert dragon["category"] == "traditional-art"
    assert dragon["region"] == {"name": "鄂尔多斯", "code": "150600"}
    assert dragon["date"]["edtf"] == "1985-05-03"
    assert {"name": "王五", "role": "bearer"} in dragon["people"]
    assert {"红色", "吉祥"} <= {tag["value"] for tag in dragon["tags"]}
    assert (dragon["access"], dragon["status"]) == ("public", "review")
    window = records.load(item_id("1002"))  # a number typed as identifier: no '.0'
    assert (window["date"]["edtf"], window["category"]) == ("1956", "folk-customs")
    assert records.load(item_id("JZ-003"))["access"] == "restricted"


def test_ctrl_c_hands_back_the_report_it_stored(folder: Path, tmp_path: Path) -> None:
    class CtrlCAfterTheFirstItem:
        def start(self, total: int) -> None:
            pass

        def advance(self, name: str, outcome: str) -> None:
            if outcome == "stored":
                raise KeyboardInterrupt

    store = LocalStore(tmp_path / "store")
    with pytest.raises(IngestInterrupted) as caught:
        run_ingest(
            [folder],
            IngestOptions(COLLECTION, workers=1),
            StoreConfig(local_root=store.root),
            None,
            CtrlCAfterTheFirstItem(),
        )
    report = caught.value.report
    assert report.finished is not None and "interrupted" in report.errors[0]
    assert report.counts() == {"skipped": 1, "stored": 1}
    stored = json.loads(store.get_bytes(f"reports/{report.job_id}.json"))
    assert stored == report.to_dict()  # the command can write and name the same report
