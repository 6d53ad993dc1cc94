"""Online exhibitions at rest (`exhibitions/<slug>.json`): one JSON document each, validated on
every write (`exhibition.schema.json`, and `check_document` so its text can travel wherever a
record's goes). Changes are conditional writes: `load_versioned` gives the stored ETag, `save`
with `if_match` writes only while the stored one is still that version (`WriteConflict`
otherwise), so two editors on two replicas never silently undo each other."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from repository.keys import EXHIBITIONS_PREFIX, exhibition_key, is_valid_slug
from repository.store import ObjectNotFound, ObjectStore
from schemas import validate_exhibition
from schemas.errors import Unavailable
from schemas.text import check_document


def _read(slug: str, data: bytes) -> dict[str, Any]:
    """A stored exhibition, validated as on write: one edited by hand into something the pages
    cannot show is `Unavailable` (503 naming it), never a half-drawn page or a 500."""
    try:
        parsed = json.loads(data)
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        validate_exhibition(parsed)
    except ValueError as exc:  # not JSON, not UTF-8, or a SchemaError
        raise Unavailable(f"exhibition {slug} is stored damaged: {exc}") from None
    return parsed


def dump_exhibition(exhibition: Mapping[str, Any]) -> bytes:
    return json.dumps(exhibition, ensure_ascii=False, indent=1, sort_keys=True).encode()


class ExhibitionStore:
    """Every institution's exhibitions, over the object store."""

    def __init__(self, store: ObjectStore):
        self.store = store

    def save(
        self, exhibition: Mapping[str, Any], *, create: bool = False, if_match: str | None = None
    ) -> str:
        """Validate, then write: `create` only while none is stored under the slug, `if_match`
        only while the stored one has that ETag (else `WriteConflict`, nothing written). The
        new ETag."""
        check_document(exhibition, what=f"exhibition {exhibition.get('slug', '?')}")
        validate_exhibition(exhibition)
        key = exhibition_key(exhibition["slug"])
        info = self.store.put_bytes(
            key, dump_exhibition(exhibition), if_match=if_match, if_none_match=create
        )
        return info.etag

    def load_versioned(self, slug: str) -> tuple[dict[str, Any], str] | None:
        """The stored exhibition and its ETag; None when there is none (or the slug is not one)."""
        if not is_valid_slug(slug):
            return None
        try:
            data, etag = self.store.get_versioned(exhibition_key(slug))
        except ObjectNotFound:
            return None
        return _read(slug, data), etag

    def load(self, slug: str) -> dict[str, Any] | None:
        found = self.load_versioned(slug)
        return found[0] if found else None

    def exists(self, slug: str) -> bool:
        return is_valid_slug(slug) and self.store.stat(exhibition_key(slug)) is not None

    def all(self) -> list[dict[str, Any]]:
        """Every readable exhibition, by slug (a damaged one is left out of lists)."""
        found = []
        for key in self.store.list(EXHIBITIONS_PREFIX):
            if not key.endswith(".json"):
                continue
            slug = key[len(EXHIBITIONS_PREFIX) : -len(".json")]
            try:
                found.append(_read(slug, self.store.get_bytes(key)))
            except (ObjectNotFound, Unavailable):
                continue
        return sorted(found, key=lambda e: str(e["slug"]))
