"""Assemble an item record from manifest fields, worker results and derived tags.

Runs in the main process, after the worker stored every blob the record points to. Provenance
events follow PREMIS: ingestion, identification, normalization, validation (and
metadata-modification when a re-run changes an existing record). An event whose stage recovered
from a problem — a name that lies about the file's kind, a glitch skipped while transcoding —
has the outcome "warning" and says what happened.

A re-run never undoes what people decided about an existing item (`keep_curated`): its status,
access, embargo and owner stay as review and editing left them, and so does every field a person
edited since (a PATCH names the fields in its metadata-modification event) unless the run was
asked to overwrite edits. Each value not applied is a `Conflict` in the report, and every field
the row would change is a `FieldChange` (`field_changes`): the preview a dry run shows.

An item's media_type is its files' common kind, or "mixed" when they differ (photos and a video
of one performance); its `technical` facts are its first file's; its `text` is every document's
and transcript's text, in file order. Without a manifest title, a document's own title (PDF
Info) is used, else one made from the file name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ingest.captions import CaptionResult, merge_captions
from ingest.report import ChangeAction, Conflict, FieldChange
from ingest.tag import derive
from ingest.task import FileResult
from ingest.text import guess_language, joined_text, joined_text_pages
from repository import make_event, now_iso
from repository.records import SCHEMA_VERSION
from schemas.record import Event

VOLATILE = frozenset({"events", "created", "modified"})
"""Fields a re-run always changes; two records equal apart from these are the same item."""

DECISIONS = {
    "status": "an existing item's status changes only through review",
    "access": "an existing item's access changes only through review or an edit",
    "embargo_until": "an existing item's embargo changes only through review or an edit",
    "institution": "an item's owner does not change",
}
"""Fields a re-run never changes on an existing item, and why."""
EDITED = "a person edited it after ingest; re-run with --overwrite-edits to apply the manifest"
_PERSON_EDIT = re.compile(
    r"^(?:changed (?P<fields>[\w, ]+) \(JSON Merge Patch\)"
    r"|restored version \d+: changed (?P<restored>[\w, ]+))$"
)
"""The detail of a PATCH's metadata-modification event (`api.operations.items.apply_patch`) or
of a restore (`api.operations.history.restore`): both are a person's edit."""
_INGEST_UPDATE = "record updated from the manifest by ingest job"
_INGEST_CHANGED = re.compile(rf"^{_INGEST_UPDATE} \S+: changed (?P<fields>[\w, ]+)")

TITLE_MAX = 20_000  # … and on one language of a title


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
    stored_files: Sequence[Mapping[str, Any]] | None,
    existing: Mapping[str, Any] | None,
    defaults: Defaults,
    captions: Sequence[CaptionResult] = (),
) -> dict[str, Any]:
    """The record without events. `stored_files` (with `existing`) reuses its files unchanged
    (and the cues of its captions); `captions` are added unless already there."""
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": item_id,
        "collection": collection,
        "media_type": media_type_of(files),
    }
    record.update({k: v for k, v in fields.items() if k != "tags"})
    # Values an editor may have changed since (a review that published the item) are kept on a
    # re-run unless the manifest sets them again.
    for name in ("access", "status", "institution"):
        if name not in fields:
            record[name] = (
                existing[name] if existing and name in existing else getattr(defaults, name)
            )
    if existing is not None and "location_public" in existing:  # a curator's choice stands
        record["location_public"] = existing["location_public"]
    if stored_files is not None and existing is not None:
        record["files"] = stored_files
        record["media_type"] = existing["media_type"]
        technical = existing.get("technical", {})
        text = existing.get("text")
        text_pages = existing.get("text_pages")
        if "ocr" in existing:  # pages read (or corrected by a person) since; the OCR file stays
            record["ocr"] = existing["ocr"]
    else:
        record["files"] = [entry for result in files for entry in result.entries]
        technical = files[0].technical
        text = joined_text(files)
        text_pages = joined_text_pages(files, text)
    kept_cues = existing.get("cues", []) if stored_files is not None and existing else []
    merge_captions(record, captions, kept_cues)
    if "title" not in record:
        record["title"] = embedded_title(technical) or title_from_name(files[0].relpath)
    if technical:
        record["technical"] = technical
    if text:
        record["text"] = text
        if text_pages:
            record["text_pages"] = text_pages
    derived = derive(
        media_type=record["media_type"],
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


def media_type_of(files: list[FileResult]) -> str:
    kinds = {f.media_type for f in files}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def embedded_title(technical: dict[str, Any]) -> dict[str, str] | None:
    """The title a document carries itself (a PDF's Info dictionary), when it has one."""
    title = technical.get("title")
    if not isinstance(title, str) or not title.strip():
        return None
    return {guess_language(title): title.strip()[:TITLE_MAX]}


def title_from_name(relpath: str) -> dict[str, str]:
    """'photos/剪纸_王老师_2019.jpg' -> {'zh': '剪纸 王老师 2019'}."""
    name = PurePosixPath(relpath)
    text = re.sub(r"[_\s]+", " ", name.stem).strip() or name.name
    return {guess_language(text): text}


def keep_curated(
    record: dict[str, Any],
    existing: Mapping[str, Any],
    fields: dict[str, Any],
    *,
    overwrite_edits: bool,
) -> tuple[list[Conflict], list[str]]:
    """Put back in `record` what people decided about `existing`; (conflicts, edits replaced).

    A decision the manifest does not mention is kept without a conflict; an edited field is
    replaced only with `overwrite_edits`, and then named in the second list."""
    conflicts: list[Conflict] = []
    for name, why in DECISIONS.items():
        if name in fields and fields[name] != existing.get(name):
            conflicts.append(Conflict(name, fields[name], existing.get(name), why))
        _restore(record, existing, name)
    replaced: list[str] = []
    for name in sorted(edited_fields(existing["events"]) - DECISIONS.keys() - VOLATILE):
        if record.get(name) == existing.get(name):
            continue
        if overwrite_edits:
            replaced.append(name)
        else:
            conflicts.append(Conflict(name, record.get(name), existing.get(name), EDITED))
            _restore(record, existing, name)
    return conflicts, replaced


def field_changes(
    record: Mapping[str, Any],
    existing: Mapping[str, Any],
    conflicts: Sequence[Conflict],
    replaced: Sequence[str],
) -> list[FieldChange]:
    """Every field of `existing` the manifest row would change, by field name: what `record`
    (after `keep_curated` and screening) changes, and each value kept instead (`conflicts`).

    Events and timestamps are left out (every run changes them); files and extracted text are
    summarised, so a report does not carry a document's whole text twice."""
    changes: list[FieldChange] = []
    for conflict in conflicts:
        action: ChangeAction = "kept-decision" if conflict.field in DECISIONS else "kept-edited"
        old, new = (
            _summary(conflict.field, conflict.kept),
            _summary(conflict.field, conflict.manifest),
        )
        changes.append(FieldChange(conflict.field, old, new, action))
    for name in sorted(record.keys() | existing.keys()):
        if name in VOLATILE or record.get(name) == existing.get(name):
            continue
        action = "overwrite-edit" if name in replaced else "update"
        old, new = _summary(name, existing.get(name)), _summary(name, record.get(name))
        changes.append(FieldChange(name, old, new, action))
    return sorted(changes, key=lambda change: change.field)


SUMMARY_TEXT = 300  # characters of extracted text a change shows


def _summary(name: str, value: Any) -> Any:
    """A value as a change shows it: a file list as `role: name` lines, long text cut short."""
    if name == "files" and isinstance(value, list):
        return [f"{f.get('role')}: {f.get('name') or f.get('key')}" for f in value]
    if name == "text" and isinstance(value, str) and len(value) > SUMMARY_TEXT:
        return f"{value[:SUMMARY_TEXT]}… ({len(value)} characters)"
    return value


def _restore(record: dict[str, Any], existing: Mapping[str, Any], name: str) -> None:
    if name in existing:
        record[name] = existing[name]
    else:
        record.pop(name, None)


def person_edit_detail(fields: list[str]) -> str:
    """The detail of the event a person's edit appends; `edited_fields` reads it back."""
    return f"changed {', '.join(fields)} (JSON Merge Patch)"


def person_restore_detail(n: int, fields: list[str]) -> str:
    """The detail of the event restoring version `n` appends; `edited_fields` reads it back."""
    return f"restored version {n}: changed {', '.join(fields)}"


def edited_fields(events: list[dict[str, Any]]) -> set[str]:
    """The fields people edited and no ingest has replaced since, from the record's events."""
    edited: set[str] = set()
    for event in events:
        if event["type"] != "metadata-modification":
            continue
        detail = event.get("detail", "")
        if found := _PERSON_EDIT.match(detail):
            edited |= set((found["fields"] or found["restored"]).split(", "))
        elif found := _INGEST_CHANGED.match(detail):  # only ever an edit it was told to replace
            edited -= set(found["fields"].split(", "))
    return edited


def same_content(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    """Equal apart from events and timestamps: a re-run with nothing to change."""
    return _lasting(new) == _lasting(old)


def _lasting(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in VOLATILE}


def add_events(
    record: dict[str, Any],
    *,
    existing: Mapping[str, Any] | None,
    files: list[FileResult],
    reused_files: bool,
    job_id: str,
    agent: str,
    package: str | None = None,
    replaced: list[str] | None = None,
) -> None:
    """Append this run's provenance events (after the earlier ones, when updating).

    `package` describes the archive or bag the files came out of, for the ingestion event;
    `replaced` the fields people had edited that this run overwrote, as it was told to.
    """
    events = list(existing["events"]) if existing else []
    if existing:
        changed = [
            name
            for name in sorted(record.keys() | existing.keys())
            if name not in VOLATILE and record.get(name) != existing.get(name)
        ]
        detail = f"{_INGEST_UPDATE} {job_id}: changed {', '.join(changed)}"
        if replaced:
            detail += f"; replaced edits of {', '.join(replaced)} (overwrite edits)"
        events.append(make_event("metadata-modification", agent, detail=detail))
    if not reused_files:
        names = ", ".join(f.relpath for f in files)
        source = f" ({package})" if package else ""
        events.append(
            make_event(
                "ingestion",
                agent,
                detail=f"{len(files)} original(s) stored byte-identical from {names}{source} "
                f"by ingest job {job_id}",
            )
        )
        identified = "; ".join(
            f"{f.relpath}: {f.format} ({f.entries[0]['media_type']}) from its bytes" for f in files
        )
        misnamed = [f.misnamed for f in files if f.misnamed]
        events.append(_event("identification", agent, identified, misnamed))
        warnings = [w for f in files for w in f.warnings]
        events.append(_event("normalization", agent, _normalization(files), warnings))
    events.append(
        make_event(
            "validation",
            agent,
            detail=f"record valid against record.schema.json {SCHEMA_VERSION}",
        )
    )
    record["events"] = events


def _event(kind: str, agent: str, detail: str, warnings: list[str]) -> Event:
    """An event whose outcome is "warning" when problems were recovered from; they lead."""
    if not warnings:
        return make_event(kind, agent, detail=detail)
    return make_event(kind, agent, "warning", detail="; ".join([*warnings, detail]))


def _normalization(files: list[FileResult]) -> str:
    parts = []
    for result in files:
        pages = [e for e in result.entries[1:] if e["role"] == "page"]
        made = ", ".join(_described(e) for e in result.entries[1:] if e["role"] != "page")
        if pages:
            made = f"{made}, {len(pages)} page image(s)" if made else f"{len(pages)} page image(s)"
        made = made or "no derivatives"
        notes = "; ".join(result.notes)
        parts.append(f"{result.relpath}: {made}" + (f" ({notes})" if notes else ""))
    return "; ".join(parts)


def _described(entry: dict[str, Any]) -> str:
    """'access JPEG 400×600', 'access H.264/AAC MP4 320×240 12.0 s', 'waveform PNG 1200×200'."""
    text = f"{entry['role']} {entry.get('format') or entry['media_type']}"
    if entry.get("width") and entry.get("height"):
        text += f" {entry['width']}×{entry['height']}"
    if entry.get("duration"):
        text += f" {entry['duration']:.1f} s"
    return text
