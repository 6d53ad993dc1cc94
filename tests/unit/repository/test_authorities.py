"""The authority store: validated, versioned writes that change nothing when nothing changed, and
a name lookup that sees through 简繁, pinyin, tone marks, case and spaces — and returns every
match, so two bearers with one name stay two."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repository import LocalStore
from repository.authorities import (
    AuthorityNotFound,
    AuthorityStore,
    DamagedAuthority,
    fold_han,
    fold_latin,
    pinyin_of,
)
from schemas import SchemaError
from schemas.dates import parse_date
from schemas.errors import InvalidInput


@pytest.fixture
def authorities(tmp_path: Path) -> AuthorityStore:
    return AuthorityStore(LocalStore(tmp_path))


def papercut() -> dict[str, Any]:
    return {
        "id": "project-vii-16",
        "kind": "project",
        "names": {"zh": "剪纸", "en": "Paper cutting"},
        "level": "national",
        "list_number": "Ⅶ-16",
        "batch_year": 2006,
        "category": "traditional-art",
    }


def bearer(authority_id: str, name: str, born: str, **more: Any) -> dict[str, Any]:
    return {
        "id": authority_id,
        "kind": "bearer",
        "names": {"zh": name},
        "birth": parse_date(born),
        "projects": ["project-vii-16"],
        **more,
    }


def test_save_validates_stamps_and_reads_back(authorities: AuthorityStore) -> None:
    assert authorities.save(papercut()) == "stored"
    stored = authorities.load("project-vii-16")
    assert stored["names"]["zh"] == "剪纸"
    assert stored["schema_version"] == "1.0"
    assert stored["created"] == stored["modified"]
    assert authorities.store.stat("authorities/project-vii-16.json") is not None


def test_saving_the_same_again_writes_nothing_and_a_change_keeps_a_version(
    authorities: AuthorityStore,
) -> None:
    authorities.save(papercut())
    first = authorities.load("project-vii-16")
    assert authorities.save(papercut()) == "unchanged"
    assert authorities.version_numbers("project-vii-16") == []
    changed = {**papercut(), "alternative_names": ["剪紙"]}
    assert authorities.save(changed) == "updated"
    assert authorities.version_numbers("project-vii-16") == [1]
    kept = authorities.store.get_bytes("authorities/versions/project-vii-16/1.json")
    assert b"alternative_names" not in kept
    assert authorities.load("project-vii-16")["created"] == first["created"]
    assert [a["id"] for a in authorities.list()] == ["project-vii-16"]  # versions are not listed


def test_save_refuses_a_bad_authority_naming_the_field(authorities: AuthorityStore) -> None:
    with pytest.raises(SchemaError, match=r"\$\.level"):
        authorities.save({**papercut(), "level": "village"})
    with pytest.raises(InvalidInput, match="must start with 'bearer-'"):
        authorities.save({**papercut(), "kind": "bearer"})
    with pytest.raises(InvalidInput, match="authority id"):
        authorities.save({**papercut(), "id": "../records/x"})
    assert list(authorities.ids()) == []


def test_get_list_and_damage(authorities: AuthorityStore) -> None:
    authorities.save(papercut())
    authorities.save(bearer("bearer-wang-1950", "王桂芳", "1950年"))
    assert authorities.get("bearer-nobody") is None
    with pytest.raises(AuthorityNotFound):
        authorities.load("bearer-nobody")
    assert [a["id"] for a in authorities.list("bearer")] == ["bearer-wang-1950"]
    assert len(authorities.list()) == 2
    authorities.store.put_bytes("authorities/bearer-wang-1950.json", b'{"id": "bearer-wang')
    with pytest.raises(DamagedAuthority, match="bearer-wang-1950"):
        authorities.load("bearer-wang-1950")
    assert [a["id"] for a in authorities.list()] == ["project-vii-16"]
    assert "authorities/bearer-wang-1950.json" in authorities.damaged
    with pytest.raises(InvalidInput, match="kind 'person'"):
        authorities.list("person")


def test_folding() -> None:
    assert fold_han("剪紙") == fold_han(" 剪纸 ") == "剪纸"
    assert fold_han("王桂芳") == fold_han("王 桂芳")
    assert fold_latin("Jiǎn Zhǐ") == fold_latin("jian3 zhi3") == fold_latin("JIANZHI") == "jianzhi"
    assert fold_latin("Lǜ") == fold_latin("lu:") == fold_latin("LV") == "lv"
    assert pinyin_of("剪紙") == "jianzhi"


@pytest.mark.parametrize(
    "name",
    ["王桂芳", "王 桂芳", "Wang Guifang", "wáng guìfāng", "WANGGUIFANG", "wang2 gui4 fang1"],
)
def test_a_bearer_is_found_in_either_script_and_in_pinyin(
    authorities: AuthorityStore, name: str
) -> None:
    authorities.save(papercut())
    authorities.save(bearer("bearer-wang-guifang-1950", "王桂芳", "1950年"))
    found = authorities.find_by_name(name)
    assert [m.id for m in found] == ["bearer-wang-guifang-1950"]


def test_traditional_names_find_simplified_ones_and_back(authorities: AuthorityStore) -> None:
    authorities.save(bearer("bearer-huang-1960", "黄丽萍", "1960年"))  # stored simplified
    authorities.save(bearer("bearer-zhong-1948", "鍾國華", "1948年"))  # stored traditional
    assert [m.id for m in authorities.find_by_name("黃麗萍")] == ["bearer-huang-1960"]
    assert [m.id for m in authorities.find_by_name("钟国华")] == ["bearer-zhong-1948"]


def test_every_match_is_returned_so_ambiguity_shows(authorities: AuthorityStore) -> None:
    authorities.save(bearer("bearer-li-hua-1950", "李华", "1950年"))
    authorities.save(bearer("bearer-li-hua-1972", "李華", "1972年"))
    authorities.save(bearer("bearer-li-hua-1980", "李花", "1980年"))  # a homophone
    assert [m.id for m in authorities.find_by_name("李华")] == [
        "bearer-li-hua-1950",
        "bearer-li-hua-1972",
    ]
    assert len(authorities.find_by_name("Li Hua")) == 3  # pinyin cannot tell them apart
    assert authorities.find_by_name("李白") == []
    assert authorities.find_by_name("  ") == []


def test_projects_by_list_number_id_and_kind(authorities: AuthorityStore) -> None:
    authorities.save({**papercut(), "alternative_names": ["剪紙"], "pinyin": "jiǎnzhǐ"})
    authorities.save(bearer("bearer-jianzhi-1950", "简志", "1950年"))  # jianzhi in pinyin too
    assert [m.id for m in authorities.find_by_name("VII-16")] == ["project-vii-16"]
    assert [m.id for m in authorities.find_by_name("Ⅶ-16")] == ["project-vii-16"]
    assert [m.id for m in authorities.find_by_name("project-vii-16")] == ["project-vii-16"]
    assert [m.id for m in authorities.find_by_name("paper cutting")] == ["project-vii-16"]
    assert len(authorities.find_by_name("Jianzhi")) == 2
    match = authorities.find_by_name("Jianzhi", kind="project")
    assert [(m.id, m.name) for m in match] == [("project-vii-16", "剪纸")]
    assert authorities.find_by_name("剪紙", kind="bearer") == []


def test_the_index_follows_saves(authorities: AuthorityStore) -> None:
    assert authorities.find_by_name("剪纸") == []
    authorities.save(papercut())
    assert [m.id for m in authorities.find_by_name("剪纸")] == ["project-vii-16"]


def test_two_processes_saving_at_once_lose_no_edit(tmp_path: Path) -> None:
    """Eight writers, each with its own AuthorityStore (as separate processes have), add an
    alternative name by read + save(if_match), retrying when refused: every name lands, every
    replaced record is kept as a version."""
    import threading

    from repository.store import WriteConflict

    AuthorityStore(LocalStore(tmp_path)).save(papercut())

    def add(name: str) -> None:
        store = AuthorityStore(LocalStore(tmp_path))
        while True:
            current, read_at = store.load_versioned("project-vii-16")
            names = [*current.get("alternative_names", []), name]
            try:
                store.save({**current, "alternative_names": names}, if_match=read_at)
                return
            except WriteConflict:
                continue

    threads = [threading.Thread(target=add, args=(f"剪纸{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store = AuthorityStore(LocalStore(tmp_path))
    assert sorted(store.load("project-vii-16")["alternative_names"]) == sorted(
        f"剪纸{n}" for n in range(8)
    )
    assert len(store.version_numbers("project-vii-16")) >= 8
