"""`ingest.authorities.Linker`: a row's 项目 and bearers link to the one authority they name;
none or several link nothing and say so, naming the row, the column and the candidates; a kind
the repository holds no authority of is left alone, without a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.authorities import Linker, read_unlinked
from ingest.manifest import ManifestRow
from repository import LocalStore
from repository.authorities import AuthorityStore


def row(**values: Any) -> ManifestRow:
    columns = {"bearers": "column D '传承人'", "project": "column C '项目'"}
    return ManifestRow(3, "items.csv row 3 (line 4)", values, columns)


@pytest.fixture
def authorities(tmp_path: Path) -> AuthorityStore:
    store = AuthorityStore(LocalStore(tmp_path))
    store.save({"id": "project-vii-16", "kind": "project", "names": {"zh": "剪纸"},
                "list_number": "Ⅶ-16", "category": "traditional-art"})  # fmt: skip
    for year in (1950, 1972):
        store.save({"id": f"bearer-li-hua-{year}", "kind": "bearer", "names": {"zh": "李华"}})
    store.save({"id": "bearer-huang-1950", "kind": "bearer", "names": {"zh": "黄丽华"}})
    return store


def test_one_match_links_and_repeats_are_linked_once(authorities: AuthorityStore) -> None:
    fields: dict[str, Any] = {}
    given = row(project=["剪紙", "Ⅶ-16"], bearers=["黃麗華"], people=["黄丽华 (传承人)", "李四"])
    assert Linker(authorities).link(fields, given) == []
    assert fields["authorities"] == [
        {"kind": "project", "id": "project-vii-16"},
        {"kind": "bearer", "id": "bearer-huang-1950"},
    ]


def test_none_or_several_link_nothing_and_are_named(authorities: AuthorityStore) -> None:
    fields: dict[str, Any] = {}
    warnings = Linker(authorities).link(fields, row(bearers=["李华", "王五"], project=["皮影"]))
    assert "authorities" not in fields
    assert warnings == [
        "items.csv row 3 (line 4): column C '项目': no project authority is named '皮影'; "
        "not linked (add it with `heritage authorities import`, or write its id)",
        "items.csv row 3 (line 4): column D '传承人': '李华' names 2 bearer authorities: "
        "bearer-li-hua-1950 (李华); bearer-li-hua-1972 (李华); not linked (write the id of the "
        "one meant)",
        "items.csv row 3 (line 4): column D '传承人': no bearer authority is named '王五'; "
        "not linked (add it with `heritage authorities import`, or write its id)",
    ]
    fields = {}
    assert Linker(authorities).link(fields, row(bearers=["bearer-li-hua-1972"])) == []
    assert fields["authorities"] == [{"kind": "bearer", "id": "bearer-li-hua-1972"}]


def test_a_kind_not_in_use_is_left_alone(tmp_path: Path) -> None:
    empty = AuthorityStore(LocalStore(tmp_path))
    fields: dict[str, Any] = {}
    assert Linker(empty).link(fields, row(bearers=["王五"], project=["剪纸"])) == []
    assert fields == {}


def test_each_unlinked_value_is_read_back(tmp_path: Path) -> None:
    store = AuthorityStore(LocalStore(tmp_path))
    store.save({"id": "project-vii-16", "kind": "project", "names": {"zh": "剪纸"}})
    for year in (1950, 1972):
        store.save({"id": f"bearer-li-hua-{year}", "kind": "bearer", "names": {"zh": "李华"}})
    fields: dict[str, Any] = {}
    given = row(bearers=["李华", "王五", 'O\'Neil "Jr"'], project=["皮影", "剪纸"])
    warnings = Linker(store).link(fields, given)
    assert [read_unlinked(w) for w in warnings] == [
        ("project", "皮影"),
        ("bearer", "李华"),  # ambiguous: two of them
        ("bearer", "王五"),
        ("bearer", 'O\'Neil "Jr"'),
    ]
    assert fields["authorities"] == [{"kind": "project", "id": "project-vii-16"}]
    assert read_unlinked("looks like item x (distance 3)") is None
