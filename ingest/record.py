"""Assemble an item record from manifest fields, worker results and derived tags.

Runs in the main process, after the worker stored every blob the record points to. Provenance
events follow PREMIS: ingestion, identification, normalization, validation (and
metadata-modification when a re-run changes an existing record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ingest.tag import derive
from ingest.text import guess_language
from ingest.worker import FileResult
from repository import make_event, now_iso
from repository.records import SCHEMA_VERSION

VOLATILE = frozenset({"events", "created", "modified"})
"""Fields a re-run always changes; two records equal apart from these are the same item."""


@dataclass(frozen=True)
class Defaults:
    access: str
    status: str
    institution: str
    agent: str


def build_record(
    *,
    item_id: str,
    collection: str,
    fields: dict[str, Any],
    files: list[FileResult],
    stored_files: list[dict[str, Any]] | None,
    existing: dict[str, Any] | None,
    defaults: Defaults,
) -> dict[str, Any]:
    """The record without events. `stored_files` (with `existing`) reuses its files unchanged."""
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": item_id,
        "collection": collection,
        "media_type": "image",
    }
    record.update({k: v for k, v in fields.items() if k != "tags"})
    # Values an editor may have changed since (a review that published the item) are kept on a
    # re-run unless the manifest sets them again.
    for name in ("access", "status", "institution"):
        if name not in fields:
            record[name] = (
                existing[name] if existing and name in existing else getattr(defaults, name)
            )
    if "title" not in record:
        record["title"] = title_from_name(files[0].relpath)
    if stored_files is not None and existing is not None:
        record["files"] = stored_files
        technical = existing.get("technical", {})
    else:
        record["files"] = [entry for result in files for entry in result.entries]
        technical = files[0].technical
    if technical:
        record["technical"] = technical
    derived = derive(
        media_type="image",
        technical=technical,
        texts=[*record["title"].values(), *record.get("description", {}).values()],
        folders=dict.fromkeys(
            folder for f in files for folder in PurePosixPath(f.relpath).parts[:-1]
        ),
        category_given="category" in record,
    )
    if derived.category:
        record["category"] = derived.category
    record["tags"] = fields.get("tags", []) + derived.tags
    now = now_iso()
    record["created"] = existing["created"] if existing else now
    record["modified"] = now
    return record


def title_from_name(relpath: str) -> dict[str, str]:
    """'photos/剪纸_王老师_2019.jpg' -> {'zh': '剪纸 王老师 2019'}."""
    name = PurePosixPath(relpath)
    text = re.sub(r"[_\s]+", " ", name.stem).strip() or name.name
    return {guess_language(text): text}


def same_content(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Equal apart from events and timestamps: a re-run with nothing to change."""
    return _lasting(new) == _lasting(old)


def _lasting(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in VOLATILE}


def add_events(
    record: dict[str, Any],
    *,
    existing: dict[str, Any] | None,
    files: list[FileResult],
    reused_files: bool,
    job_id: str,
    agent: str,
) -> None:
    """Append this run's provenance events (after the earlier ones, when updating)."""
    events = list(existing["events"]) if existing else []
    if existing:
        events.append(
            make_event(
                "metadata-modification",
                agent,
                detail=f"record updated from the manifest by ingest job {job_id}",
            )
        )
    if not reused_files:
        names = ", ".join(f.relpath for f in files)
        events.append(
            make_event(
                "ingestion",
                agent,
                detail=f"{len(files)} original(s) stored byte-identical from {names} "
                f"by ingest job {job_id}",
            )
        )
        identified = "; ".join(
            f"{f.relpath}: {f.format} ({f.entries[0]['media_type']}) from its bytes" for f in files
        )
        events.append(make_event("identification", agent, detail=identified))
        events.append(make_event("normalization", agent, detail=_normalization(files)))
    events.append(
        make_event(
            "validation",
            agent,
            detail=f"record valid against record.schema.json {SCHEMA_VERSION}",
        )
    )
    record["events"] = events


def _normalization(files: list[FileResult]) -> str:
    parts = []
    for result in files:
        sizes = ", ".join(
            f"{e['role']} JPEG {e['width']}×{e['height']}" for e in result.entries[1:]
        )
        notes = "; ".join(result.notes)
        parts.append(f"{result.relpath}: {sizes}" + (f" ({notes})" if notes else ""))
    return "; ".join(parts)
