"""`AuthorityNames`: the labels of the project and bearer search facets, read once and kept a
while, so a renamed authority shows its new name after `ttl` and a page of facets costs no reads."""

from __future__ import annotations

from pathlib import Path

from api.operations.authorities import AuthorityNames
from api.operations.searching import facet_labels
from repository import LocalStore
from repository.authorities import AuthorityStore

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
