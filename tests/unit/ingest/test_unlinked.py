"""`ingest.authorities.read_unlinked` reads back, from `Linker.link`'s own warnings, the kind and
name of each value not linked (what the workspace offers as a new authority)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.authorities import Linker, read_unlinked
from repository import LocalStore
from repository.authorities import AuthorityStore
from tests.unit.ingest.test_authorities import row


def test_each_unlinked_value_is_read_back(tmp_path: Path) -> None:
    store = AuthorityStore(LocalStore(tmp_path))
    store.save({"id": "project-vii-16", "kind": "project", "names": {"zh": "剪纸"}})
    for year in (1950, 1972):
        store.save({"id": f"bearer-li-hua-{year}", "kind": "bearer", "names": {"zh": "李华"}})
    fields: dict[str, Any] = {}
    given = row(bearers=["李华", "王五", "O'Neil \"Jr\""], project=["皮影", "剪纸"])
    warnings = Linker(store).link(fields, given)
    assert [read_unlinked(w) for w in warnings] == [
        ("project", "皮影"),
        ("bearer", "李华"),  # ambiguous: two of them
        ("bearer", "王五"),
        ("bearer", "O'Neil \"Jr\""),
    ]
    assert fields["authorities"] == [{"kind": "project", "id": "project-vii-16"}]
    assert read_unlinked("looks like item x (distance 3)") is None
