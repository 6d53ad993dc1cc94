"""`authority_lookup`: the authority records that label linked data, read once per output; a
damaged one labels nothing instead of failing a harvest."""

from __future__ import annotations

from pathlib import Path

from api.operations.authorities import authority_lookup
from repository import LocalStore
from repository.authorities import AuthorityStore
from tests.unit.repository.test_authorities import papercut


class CountingStore(LocalStore):
    def __init__(self, root: Path):
        super().__init__(root)
        self.reads = 0

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        self.reads += 1
        return super().get_versioned(key)


def test_each_authority_is_read_once_and_damage_is_no_label(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    authorities = AuthorityStore(store)
    authorities.save(papercut())
    store.put_bytes("authorities/bearer-wang-1950.json", b'{"id": "bearer-wang')
    lookup = authority_lookup(authorities)
    store.reads = 0
    for _ in range(3):
        found = lookup("project-vii-16")
        assert found is not None and found["names"]["zh"] == "剪纸"
        assert lookup("bearer-wang-1950") is None  # damaged
        assert lookup("bearer-nobody-1900") is None  # absent
    assert store.reads == 3
