"""How records and hits look on the wire: file URLs and display fields with labels."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from api.labels import labels_for


def file_url(item_id: str, role: str, n: int = 1, base: str | None = None) -> str:
    """`/api/items/{id}/files/{role}`, with `?n=N` for the N-th file of a role (N from 1).
    `base` replaces `/api/items/{id}` (a share link's files live under `/share/{token}`)."""
    url = f"{base or f'/api/items/{quote(item_id)}'}/files/{quote(role)}"
    return url if n == 1 else f"{url}?n={n}"


AUTHORITY_PAGES = {"project": "projects", "bearer": "bearers"}
"""Kinds of authority with a public page (`api/http/routes/authorities.py`)."""


def authority_path(kind: str, authority_id: str) -> str:
    """`/projects/{id}` or `/bearers/{id}`; `/authorities/{id}` for a kind with no page yet (an
    institution): the one place the RDF, IIIF and page links get an authority's address from."""
    return f"/{AUTHORITY_PAGES.get(kind, 'authorities')}/{quote(authority_id)}"


def with_file_urls(record: Mapping[str, Any], base: str | None = None) -> dict[str, Any]:
    """The record exactly as stored, each file gaining its download `url` (under `base`)."""
    result = copy.deepcopy(dict(record))
    seen: dict[str, int] = {}
    for file in result.get("files", []):
        seen[file["role"]] = seen.get(file["role"], 0) + 1
        file["url"] = file_url(result["id"], file["role"], seen[file["role"]], base)
    return result


def nth_file(record: Mapping[str, Any], role: str, n: int) -> dict[str, Any] | None:
    files = [f for f in record.get("files", []) if f["role"] == role]
    return files[n - 1] if 1 <= n <= len(files) else None


def paged_originals(record: Mapping[str, Any]) -> list[bool]:
    """For each file of the record, whether it belongs to an original that has page images (a
    file's derivatives follow its original in `files`)."""
    groups: list[int] = []
    group = 0
    for file in record.get("files", []):
        group += file["role"] == "original"
        groups.append(group)
    paged = {g for g, f in zip(groups, record.get("files", []), strict=True) if f["role"] == "page"}
    return [g in paged for g in groups]


def category_fields(category: str | None, lang: str) -> dict[str, Any]:
    if not category:
        return {"category_label": None, "category_labels": None}
    labels = labels_for("category", category)
    return {"category_label": labels[lang], "category_labels": labels}
