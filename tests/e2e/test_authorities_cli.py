"""`heritage authorities seed|import|list`: the seed list loads once (a second run changes
nothing), a CSV or JSON file adds projects, bearers and institutions with their ids made from the
rows, a bearer names its project by name or list number, and each bad row is refused naming the
row and the field while the good ones are kept (exit 1); the import is in the audit log."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner, Result

from api.cli.commands import app
from repository import LocalStore
from repository.audit import AuditLog
from repository.authorities import AuthorityStore


def heritage(data_dir: Path, *args: str) -> Result:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERITAGE_")}
    env |= {"HERITAGE_DATA_DIR": str(data_dir), "HERITAGE_STORAGE": "local"}
    return CliRunner().invoke(app, list(args), env=env)


def authorities(data_dir: Path) -> AuthorityStore:
    return AuthorityStore(LocalStore(data_dir / "store"))


def test_seed_loads_the_national_list_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = heritage(data, "authorities", "seed")
    assert first.exit_code == 0, first.output
    assert "518 stored" in first.stdout
    again = heritage(data, "authorities", "seed")
    assert again.exit_code == 0 and "518 unchanged" in again.stdout
    papercut = authorities(data).load("project-vii-16")
    assert papercut["names"]["zh"] == "剪纸"
    assert (papercut["level"], papercut["list_number"], papercut["batch_year"]) == (
        "national", "Ⅶ-16", 2006,
    )  # fmt: skip
    assert papercut["category"] == "traditional-art"
    assert papercut["source"]["url"].startswith("https://github.com/")
    listed = json.loads(heritage(data, "authorities", "list", "--kind", "project", "--json").stdout)
    assert len(listed) == 518
    table = heritage(data, "authorities", "list", "--kind", "bearer")
    assert table.exit_code == 0 and "0 authorities" in table.stdout


def test_import_csv_makes_ids_links_projects_and_names_bad_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert heritage(data, "authorities", "seed").exit_code == 0
    rows = tmp_path / "people.csv"
    rows.write_text(
        "kind,zh,pinyin,level,birth,projects,region,region_code,same_as\n"
        "bearer,王桂芳,Wáng Guìfāng,省级,1950年,剪纸,河北省蔚县,130726,\n"
        "bearer,李四,,national,一九五六年,VII-16;Ⅲ-2,,,https://www.wikidata.org/wiki/Q42\n"
        "bearer,张三,,village,1950,,,,\n"
        "bearer,赵六,,,清代,不存在的项目,,,\n"
        "institution,蔚县文化馆,,,,,河北省蔚县,1307,\n",
        encoding="utf-8-sig",
    )
    result = heritage(data, "authorities", "import", str(rows))
    assert result.exit_code == 1, result.output
    assert "2 stored" in result.stdout and "3 refused" in result.stdout
    assert "people.csv row 4, level: 'village'" in result.stderr
    assert "people.csv row 5, projects: no project is named '不存在的项目'" in result.stderr
    assert "people.csv row 6, region_code: '1307'" in result.stderr
    store = authorities(data)
    wang = store.load("bearer-wang-guifang-1950")
    assert wang["projects"] == ["project-vii-16"]
    assert (wang["level"], wang["region"]["code"], wang["birth"]["earliest"]) == (
        "provincial", "130726", 1950,
    )  # fmt: skip
    li = store.load("bearer-li-si-1956")
    assert li["projects"] == ["project-vii-16", "project-iii-2"]
    assert li["same_as"] == ["Q42"]
    today = datetime.now(UTC).date()
    entries = list(AuditLog(LocalStore(data / "store")).day(today))
    imports = [e for e in entries if e["action"] == "authorities import"]
    assert any("people.csv" in e["summary"] for e in imports)

    again = heritage(data, "authorities", "import", str(rows))
    assert "2 unchanged" in again.stdout  # the same rows: the same ids, nothing written


def test_import_json_and_a_name_taken_by_another(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = tmp_path / "one.json"
    first.write_text(json.dumps([
        {"kind": "project", "zh": "蔚县剪纸", "level": "provincial", "category": "传统美术"},
        {"kind": "bearer", "id": "bearer-gao-1950", "names": {"zh": "高佩", "en": "Gao Pei"},
         "birth": "1950", "projects": ["蔚县剪纸"], "biography": {"zh": "剪纸艺人。"}},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    made = heritage(data, "authorities", "import", str(first))
    assert made.exit_code == 0, made.output
    store = authorities(data)
    assert store.load("project-yu-xian-jian-zhi")["category"] == "traditional-art"
    assert store.load("bearer-gao-1950")["projects"] == ["project-yu-xian-jian-zhi"]
    clash = tmp_path / "two.json"
    clash.write_text(json.dumps({"authorities": [
        {"kind": "project", "zh": "郁县剪纸", "level": "county"},  # the same pinyin, another name
        {"kind": "project", "zh": "剪纸", "list_number": "Ⅶ-16", "category": "craftsmanship"},
    ]}, ensure_ascii=False), encoding="utf-8")  # fmt: skip
    refused = heritage(data, "authorities", "import", str(clash))
    assert refused.exit_code == 1
    assert "two.json entry 1, id: project-yu-xian-jian-zhi already belongs to 蔚县剪纸" in (
        refused.stderr
    )
    assert "two.json entry 2, category: craftsmanship does not agree with list number Ⅶ-16" in (
        refused.stderr
    )


def test_unusable_files_exit_2_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    text = tmp_path / "list.txt"
    text.write_text("剪纸", encoding="utf-8")
    wrong = heritage(data, "authorities", "import", str(text))
    assert wrong.exit_code == 2 and ".json or .csv" in wrong.stderr
    typo = tmp_path / "typo.csv"
    typo.write_text("kind,nmae\nbearer,王\n", encoding="utf-8")
    bad = heritage(data, "authorities", "import", str(typo))
    assert bad.exit_code == 2 and "unknown column(s) 'nmae'" in bad.stderr
    missing = heritage(data, "authorities", "import", str(tmp_path / "none.csv"))
    assert missing.exit_code == 2 and "cannot be read" in missing.stderr
