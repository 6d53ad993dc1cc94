"""A manifest's 项目 and 传承人 columns link items to authority records: the same bearer and
project written three ways (简体, 繁體, pinyin) link one record each, never a new one; a name that
matches two bearers, or none, links nothing and is reported naming the row and the candidates."""

from __future__ import annotations

from pathlib import Path

from repository import LocalStore, RecordStore
from repository.authorities import AuthorityStore
from tests.e2e.authority_support import heritage
from tests.unit.support import images

BEARERS = (
    "kind,zh,pinyin,birth,projects\n"
    "bearer,黄丽华,Huáng Lìhuá,1950年,剪纸\n"
    "bearer,李华,,1950年,Ⅶ-16\n"
    "bearer,李华,,1972年,Ⅶ-16\n"
)
MANIFEST = (
    "文件,标题,项目,传承人\n"
    "a.jpg,剪纸一,剪纸,黄丽华\n"
    "b.jpg,剪纸二,剪紙,黃麗華 (国家级传承人)\n"
    "c.jpg,剪纸三,Jiǎnzhǐ,huang lihua\n"
    "d.jpg,剪纸四,VII-16,李华; 王五\n"
)


def test_three_spellings_link_one_bearer_and_ambiguity_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert heritage(data, "authorities", "seed").exit_code == 0
    people = tmp_path / "bearers.csv"
    people.write_text(BEARERS, encoding="utf-8")
    imported = heritage(data, "authorities", "import", str(people))
    assert imported.exit_code == 0, imported.output
    folder = tmp_path / "photos"
    folder.mkdir()
    for n, name in enumerate("abcd"):
        images.jpeg(folder / f"{name}.jpg", size=(300 + 10 * n, 200))
    manifest = tmp_path / "items.csv"
    manifest.write_text(MANIFEST, encoding="utf-8")

    ran = heritage(data, "ingest", str(folder), "-c", "papercuts", "--manifest", str(manifest),
                   "--workers", "1")  # fmt: skip
    assert ran.exit_code == 0, ran.output

    store = LocalStore(data / "store")
    bearers = AuthorityStore(store).list("bearer")
    assert len(bearers) == 3  # nothing was added by ingest
    huang = "bearer-huang-lihua-1950"
    records = {r["title"]["zh"]: r for r in RecordStore(store)}
    for title in ("剪纸一", "剪纸二", "剪纸三"):
        assert records[title]["authorities"] == [
            {"kind": "project", "id": "project-vii-16"},
            {"kind": "bearer", "id": huang},
        ], title
        assert any(p["role"] == "bearer" for p in records[title]["people"])  # the text stays
    assert records["剪纸二"]["subjects"] == ["剪紙"]
    fourth = records["剪纸四"]
    assert fourth["authorities"] == [{"kind": "project", "id": "project-vii-16"}]

    output = " ".join(ran.stdout.split())  # the table wraps long lines
    assert "not linked" in output
    assert "'李华' names 2 bearer authorities: bearer-li-hua-1950 (李华); bearer-li-hua-1972" in (
        output
    )
    assert "no bearer authority is named '王五'" in output
    assert "items.csv row 4" in output  # the fourth item row, as the spreadsheet shows it
