"""The authority lookups of api/operations/authorities.py: `authority_lookup` (labels of linked
data, read once per output; a damaged one labels nothing instead of failing a harvest) and
`AuthorityNames` (labels of the project and bearer facets, kept a while); `institution_names`."""

from __future__ import annotations

from pathlib import Path

from api.operations.authorities import AuthorityNames, authority_lookup, institution_names
from api.operations.searching import facet_labels
from api.settings import Settings
from repository import LocalStore
from repository.authorities import AuthorityStore
from tests.unit.repository.test_authorities import papercut

PAPERCUT = {
    "id": "project-vii-16",
    "kind": "project",
    "names": {"zh": "剪纸", "en": "Paper cutting"},
    "level": "national",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_names_are_read_once_and_again_after_the_ttl(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    AuthorityStore(store).save(PAPERCUT)
    clock = Clock()
    names = AuthorityNames(store, ttl=60, clock=clock)
    assert names.names("project-vii-16") == {"zh": "剪纸", "en": "Paper cutting"}
    AuthorityStore(store).save(PAPERCUT | {"names": {"zh": "剪纸艺术"}})
    clock.now = 59
    assert names.names("project-vii-16") == {"zh": "剪纸", "en": "Paper cutting"}  # kept
    clock.now = 61
    assert names.names("project-vii-16") == {"zh": "剪纸艺术"}


def test_facet_labels_use_the_names_with_either_language_standing_in(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    AuthorityStore(store).save(PAPERCUT | {"names": {"zh": "剪纸"}})
    names = AuthorityNames(store).names
    assert facet_labels("project", "project-vii-16", names) == {"zh": "剪纸", "en": "剪纸"}
    assert names("project-nope") is None
    assert facet_labels("bearer", "bearer-nobody", names) == {
        "zh": "bearer-nobody",
        "en": "bearer-nobody",
    }
    assert facet_labels("media_type", "image", names) == {"zh": "图像", "en": "Image"}
    assert facet_labels("project", "project-vii-16") == {  # no lookup: the id
        "zh": "project-vii-16",
        "en": "project-vii-16",
    }


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


def test_an_institution_is_named_by_its_authority_else_by_the_settings_never_by_its_code(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path)
    AuthorityStore(store).save(
        {"id": "institution-yuxian", "kind": "institution", "names": {"zh": "蔚县剪纸博物馆"}}
    )
    names = AuthorityNames(store).names
    settings = Settings(data_dir=tmp_path, institution="local", institution_name_en="Ansai Centre")
    assert institution_names("yuxian", settings, names) == {"zh": "蔚县剪纸博物馆"}
    assert institution_names("local", settings, names) == {"en": "Ansai Centre"}
    assert institution_names("local", Settings(data_dir=tmp_path), names) is None
    assert institution_names("Not An Id!", settings, names) is None
    assert institution_names("", settings, names) is None
